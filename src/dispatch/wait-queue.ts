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
}

class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  live = 0;

  push(item: T): void {
    this.items.push(item);
    this.live += 1;
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
    if (level.live === 0) level.clear();
    this.count -= 1;
    return true;
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
    let bestItem: T | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const [priority, level] of this.levels) {
      if (level.live === 0) continue;
      const item = level.first(this.isRemoved);
      if (!item) continue;
      const score = priority - (now - item.enqueuedAt) / this.agingMs;
      if (bestItem === undefined || score < bestScore || (score === bestScore && item.seq < bestItem.seq)) {
        bestItem = item;
        bestScore = score;
        this.bestLevel = level;
      }
    }
    return bestItem;
  }
}
