/** What the queue needs to know about a waiting item. */
export interface Queued {
  /** Lower is served first. */
  readonly priority: number;
  /** Arrival order; equal priorities stay FIFO. */
  readonly seq: number;
  /** When the item first arrived (aging counts from here). */
  readonly enqueuedAt: number;
}

/** The central wait queue's contract: ordering can be swapped without touching the dispatcher. */
export interface WaitQueue<T extends Queued> {
  readonly size: number;
  push(item: T): void;
  /** The item to serve next at `now`, without removing it. */
  peek(now: number): T | undefined;
  /** Removes and returns what `peek(now)` returns. */
  shift(now: number): T | undefined;
  /** Removes a waiting item (abort, deadline); false when it was not waiting. */
  remove(item: T): boolean;
  /** Waiting items per priority. */
  sizes(): Record<string, number>;
  /** Up to `limit` waiting items in the order they would be served at `now`. */
  upcoming(now: number, limit: number): T[];
}

/** Effective priority at `now`: one level more urgent per `agingMs` waited. Lower is served first. */
export function agedPriority(item: Queued, now: number, agingMs: number): number {
  return item.priority - (now - item.enqueuedAt) / agingMs;
}

/** True when `a` is served before `b` at `now`: effective priority, then arrival. */
export function servedBefore(a: Queued, b: Queued, now: number, agingMs: number): boolean {
  const pa = agedPriority(a, now, agingMs);
  const pb = agedPriority(b, now, agingMs);
  return pa < pb || (pa === pb && a.seq < b.seq);
}

/**
 * One priority level, in arrival (`seq`) order. Invariant: the defined slots from `head` on are sorted by
 * `seq`; `undefined` slots are tombstones.
 */
class Fifo<T extends Queued> {
  private items: (T | undefined)[] = [];
  private head = 0;
  live = 0;

  /**
   * Appends the newest item in O(1). An older one (a retry going back to the queue) goes back to its
   * arrival place, so a retried request does not lose its turn to requests that came after it; it is
   * usually among the oldest waiting, so the scan from the head is short.
   */
  push(item: T): void {
    this.live += 1;
    const items = this.items;
    let last = items.length - 1;
    while (last >= this.head && items[last] === undefined) last -= 1;
    const newest = last < this.head ? undefined : items[last];
    if (newest === undefined || newest.seq < item.seq) {
      items.push(item);
      return;
    }
    let i = this.head;
    while (i <= last && (items[i] === undefined || (items[i] as T).seq < item.seq)) i += 1;
    items.splice(i, 0, item);
  }

  /** First item still waiting; removed ones are skipped lazily. */
  first(isRemoved: (item: T) => boolean): T | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head];
      if (item !== undefined && !isRemoved(item)) return item;
      this.items[this.head] = undefined;
      this.head += 1;
    }
    this.compact();
    return undefined;
  }

  /** Items still waiting, in order, from the head (for look-ahead; allocates). */
  waiting(isRemoved: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i];
      if (item !== undefined && !isRemoved(item)) out.push(item);
    }
    return out;
  }

  dropFirst(): void {
    this.items[this.head] = undefined;
    this.head += 1;
    this.live -= 1;
    if (this.live === 0) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
  }

  /** Nothing waits here any more: drop the tombstones, so removed items are not retained. */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }

  /** Clears the stale slot of an item that was removed and is pushed again (rare: O(n)). */
  forget(item: T): void {
    const i = this.items.indexOf(item, this.head);
    if (i >= 0) this.items[i] = undefined;
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}

/**
 * Priority levels, each FIFO, with aging: an item's effective priority improves by one level per
 * `agingMs` waited, so low priority is delayed, never starved. Removal is O(1) (marked, skipped later).
 * Invariant: `size` counts exactly the items pushed and neither shifted nor removed.
 */
export class PriorityWaitQueue<T extends Queued> implements WaitQueue<T> {
  private readonly levels = new Map<number, Fifo<T>>();
  /** The levels of `levels` as an array, for `best` (several times per queued request: no Map iterator). */
  private readonly levelList: Fifo<T>[] = [];
  /** Removed items whose slot may still be in their level (skipped lazily), with that level. */
  private readonly removed = new WeakMap<T, Fifo<T>>();
  private readonly levelOf = new WeakMap<T, Fifo<T>>();
  private count = 0;
  /** The level of the item the last `best()` returned. */
  private bestLevel: Fifo<T> | undefined;
  private readonly isRemoved = (item: T): boolean => this.removed.has(item);

  /** @param agingMs time after which a waiting item counts as one priority level more urgent @default 10000 */
  constructor(private readonly agingMs: number) {}

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    let level = this.levels.get(item.priority);
    if (!level) {
      level = new Fifo<T>();
      this.levels.set(item.priority, level);
      this.levelList.push(level);
    }
    const stale = this.removed.get(item);
    if (stale) {
      // Pushed again after remove(): the tombstone marks the item itself, so clear its old slot first.
      stale.forget(item);
      this.removed.delete(item);
    }
    level.push(item);
    this.levelOf.set(item, level);
    this.count += 1;
  }

  peek(now: number): T | undefined {
    return this.best(now);
  }

  shift(now: number): T | undefined {
    const item = this.best(now);
    const level = this.bestLevel;
    if (item === undefined || level === undefined) return undefined;
    level.dropFirst();
    if (level.live === 0) this.dropLevel(item.priority, level);
    this.levelOf.delete(item);
    this.count -= 1;
    return item;
  }

  remove(item: T): boolean {
    const level = this.levelOf.get(item);
    if (!level) return false;
    this.levelOf.delete(item);
    this.removed.set(item, level);
    level.live -= 1;
    if (level.live === 0) {
      // An empty level is dropped: arbitrary priorities must not leave a trail of levels to scan.
      level.clear();
      this.dropLevel(item.priority, level);
    }
    this.count -= 1;
    return true;
  }

  /** Up to `limit` waiting items in the order they would be served at `now` (look-ahead; allocates). */
  upcoming(now: number, limit: number): T[] {
    const lanes = [...this.levels.values()].map((level) => ({ items: level.waiting(this.isRemoved), i: 0 }));
    const out: T[] = [];
    while (out.length < limit) {
      let pick: { items: T[]; i: number } | undefined;
      for (const lane of lanes) {
        const item = lane.items[lane.i];
        if (item === undefined) continue;
        const current = pick?.items[pick.i];
        if (current === undefined || servedBefore(item, current, now, this.agingMs)) pick = lane;
      }
      const next = pick?.items[pick.i];
      if (pick === undefined || next === undefined) break;
      out.push(next);
      pick.i += 1;
    }
    return out;
  }

  /** An empty level goes: arbitrary priorities must not leave a trail of levels to scan. */
  private dropLevel(priority: number, level: Fifo<T>): void {
    this.levels.delete(priority);
    const list = this.levelList;
    const i = list.indexOf(level);
    if (i >= 0) {
      list[i] = list[list.length - 1] as Fifo<T>;
      list.pop();
    }
  }

  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [priority, level] of this.levels) if (level.live > 0) out[String(priority)] = level.live;
    return out;
  }

  /**
   * The item to serve at `now`; its level is left in `bestLevel`. Allocation-free: it runs on every
   * pump of the dispatcher, several times per request when requests queue.
   */
  private best(now: number): T | undefined {
    this.bestLevel = undefined;
    if (this.count === 0) return undefined;
    const levels = this.levelList;
    if (levels.length === 1) {
      // One priority in use (the usual case): its first item, no aging to compare.
      const level = levels[0] as Fifo<T>;
      const item = level.first(this.isRemoved);
      if (item !== undefined) this.bestLevel = level;
      return item;
    }
    let bestItem: T | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i] as Fifo<T>;
      if (level.live === 0) continue;
      const item = level.first(this.isRemoved);
      if (!item) continue;
      const score = agedPriority(item, now, this.agingMs);
      if (bestItem === undefined || score < bestScore || (score === bestScore && item.seq < bestItem.seq)) {
        bestItem = item;
        bestScore = score;
        this.bestLevel = level;
      }
    }
    return bestItem;
  }
}
