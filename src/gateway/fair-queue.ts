/** What the fair queue needs of a waiting request. */
export interface FairItem<C> {
  /** Who sent it: requests of one owner share that owner's turns. */
  readonly owner: C;
  /** Its size in the unit of the quantum (estimated tokens); at least 1. */
  readonly cost: number;
  /** Lower is served first (the client's priority). */
  readonly priority: number;
  /** When it arrived, for aging. @unit milliseconds */
  readonly arrivedAt: number;
}

/** Options of {@link FairQueue}. */
export interface FairQueueOptions {
  /** What each owner may send per turn, in the unit of `cost`. @default 512 */
  readonly quantum?: number;
  /** A waiting request gains one priority level per this long, so lower priorities are not starved forever. @default 10_000 @unit milliseconds */
  readonly agingMs?: number;
}

interface OwnerLine<C, T> {
  readonly owner: C;
  readonly items: T[];
  head: number;
  deficit: number;
}

interface Level<C, T> {
  readonly priority: number;
  readonly ring: OwnerLine<C, T>[];
  cursor: number;
}

/**
 * Deficit round-robin over owners (clients), with strict priority between levels: one owner sending
 * ten times more than another gets the same share of turns, not ten times the share, and a request
 * waits behind at most one turn of each other owner of its level, not behind their whole backlog.
 * Within one owner, requests stay in arrival order. Each owner earns `quantum` per round and spends
 * the cost of each request it sends (Shreedhar & Varghese's DRR, one request at a time); an owner
 * whose line empties leaves the round and keeps no credit. Levels are served lowest priority value
 * first, each level's best waiting request aged by `agingMs` per level.
 */
export class FairQueue<C, T extends FairItem<C>> {
  private readonly quantum: number;
  private readonly agingMs: number;
  private readonly levels: Level<C, T>[] = [];
  private readonly lines = new Map<C, Map<number, OwnerLine<C, T>>>();
  private count = 0;

  constructor(options: FairQueueOptions = {}) {
    this.quantum = options.quantum ?? 512;
    this.agingMs = options.agingMs ?? 10_000;
    if (!(this.quantum > 0)) throw new RangeError(`quantum must be > 0, got ${this.quantum}`);
    if (!(this.agingMs > 0)) throw new RangeError(`agingMs must be > 0, got ${this.agingMs}`);
  }

  /** Requests waiting. */
  get size(): number {
    return this.count;
  }

  /** Requests of one owner waiting. */
  sizeOf(owner: C): number {
    let n = 0;
    for (const line of this.lines.get(owner)?.values() ?? []) n += line.items.length - line.head;
    return n;
  }

  push(item: T): void {
    let byLevel = this.lines.get(item.owner);
    if (!byLevel) {
      byLevel = new Map();
      this.lines.set(item.owner, byLevel);
    }
    let line = byLevel.get(item.priority);
    if (!line) {
      line = { owner: item.owner, items: [], head: 0, deficit: 0 };
      byLevel.set(item.priority, line);
      this.levelOf(item.priority).ring.push(line);
    }
    line.items.push(item);
    this.count += 1;
  }

  /** Takes a waiting request out (its caller went away). */
  remove(item: T): boolean {
    const line = this.lines.get(item.owner)?.get(item.priority);
    if (!line) return false;
    const at = line.items.indexOf(item, line.head);
    if (at < 0) return false;
    line.items.splice(at, 1);
    this.count -= 1;
    if (line.head >= line.items.length) this.drop(line, item.priority);
    return true;
  }

  /**
   * The next request to let through, taken out of the queue; `undefined` when none waits whose owner
   * `eligible` accepts now (an owner at its own concurrency limit is skipped without losing its turn).
   */
  next(now: number, eligible: (owner: C) => boolean): T | undefined {
    let best: Level<C, T> | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const level of this.levels) {
      const oldest = this.oldestEligible(level, eligible);
      if (oldest === undefined) continue;
      const rank = level.priority - Math.floor((now - oldest) / this.agingMs);
      if (rank < bestRank) {
        bestRank = rank;
        best = level;
      }
    }
    return best ? this.takeFrom(best, eligible) : undefined;
  }

  private takeFrom(level: Level<C, T>, eligible: (owner: C) => boolean): T | undefined {
    const ring = level.ring;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < ring.length; i++) {
        const index = (level.cursor + i) % ring.length;
        const line = ring[index] as OwnerLine<C, T>;
        if (!eligible(line.owner)) continue;
        const item = line.items[line.head] as T;
        if (line.deficit < item.cost) continue;
        line.deficit -= item.cost;
        line.items[line.head] = undefined as unknown as T;
        line.head += 1;
        this.count -= 1;
        if (line.head >= line.items.length) {
          level.cursor = index; // the next line slides into this index
          this.drop(line, level.priority);
        } else {
          if (line.head > 64 && line.head * 2 > line.items.length) {
            line.items.splice(0, line.head);
            line.head = 0;
          }
          // Stay on this owner while it has credit for its next request; else the next owner's turn.
          const nextCost = (line.items[line.head] as T).cost;
          level.cursor = line.deficit >= nextCost ? index : (index + 1) % ring.length;
        }
        return item;
      }
      // Nobody eligible can afford its head: the rounds needed until the first can, credited to all at once.
      let rounds = Number.POSITIVE_INFINITY;
      for (const line of ring) {
        if (!eligible(line.owner)) continue;
        const short = (line.items[line.head] as T).cost - line.deficit;
        rounds = Math.min(rounds, Math.ceil(short / this.quantum));
      }
      if (!Number.isFinite(rounds)) return undefined;
      for (const line of ring) if (eligible(line.owner)) line.deficit += rounds * this.quantum;
    }
    return undefined;
  }

  private oldestEligible(level: Level<C, T>, eligible: (owner: C) => boolean): number | undefined {
    let oldest: number | undefined;
    for (const line of level.ring) {
      if (!eligible(line.owner)) continue;
      const at = (line.items[line.head] as T).arrivedAt;
      if (oldest === undefined || at < oldest) oldest = at;
    }
    return oldest;
  }

  private levelOf(priority: number): Level<C, T> {
    let level = this.levels.find((l) => l.priority === priority);
    if (!level) {
      level = { priority, ring: [], cursor: 0 };
      this.levels.push(level);
    }
    return level;
  }

  private drop(line: OwnerLine<C, T>, priority: number): void {
    const level = this.levelOf(priority);
    const at = level.ring.indexOf(line);
    if (at >= 0) {
      level.ring.splice(at, 1);
      if (level.cursor > at) level.cursor -= 1;
      if (level.cursor >= level.ring.length) level.cursor = 0;
    }
    const byLevel = this.lines.get(line.owner);
    byLevel?.delete(priority);
    if (byLevel?.size === 0) this.lines.delete(line.owner);
    if (level.ring.length === 0) this.levels.splice(this.levels.indexOf(level), 1);
  }
}
