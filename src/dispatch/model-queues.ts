import type { Job } from "./job.js";
import { PriorityWaitQueue, servedBefore } from "./wait-queue.js";

/**
 * The waiting requests of one model and one request class. Streams wait apart from plain calls: a
 * stream can be held up by its lanes' stream circuits, which must not hold up the plain calls behind it.
 */
export interface WaitLine {
  readonly model: string;
  readonly streams: boolean;
  readonly queue: PriorityWaitQueue<Job>;
}

/**
 * The central queue, kept as one priority queue per model and request class (a {@link WaitLine}).
 * Within a line, order is strict; across lines the dispatcher takes the heads in the order
 * {@link ranked} gives (priority with aging, then arrival), so the whole stays one queue.
 */
export class ModelQueues {
  private readonly lines = new Map<string, WaitLine>();
  /** The same lines as an array: `ranked` runs several times per queued request, a Map iterator each time is garbage. */
  private readonly all: WaitLine[] = [];
  private readonly order: WaitLine[] = [];
  private total = 0;

  /** @param agingMs see {@link PriorityWaitQueue} */
  constructor(private readonly agingMs: number) {}

  get size(): number {
    return this.total;
  }

  push(job: Job): void {
    const key = lineKey(job);
    let line = this.lines.get(key);
    if (!line) {
      line = {
        model: job.model,
        streams: job.kind === "stream",
        queue: new PriorityWaitQueue<Job>(this.agingMs),
      };
      this.lines.set(key, line);
      this.all.push(line);
    }
    line.queue.push(job);
    this.total += 1;
  }

  remove(job: Job): boolean {
    const removed = this.lines.get(lineKey(job))?.queue.remove(job) ?? false;
    if (removed) this.total -= 1;
    return removed;
  }

  /** The line `job` waits in (or would wait in). */
  lineOf(job: Job): WaitLine | undefined {
    return this.lines.get(lineKey(job));
  }

  /**
   * Lines with waiting jobs, the line whose head is served first first. The array is reused by the
   * next call: read it before calling again.
   */
  ranked(now: number): readonly WaitLine[] {
    // Written in place, never truncated to 0: V8 drops an emptied array's storage, so every call
    // would allocate it again (a shorter length keeps it).
    const order = this.order;
    const all = this.all;
    let n = 0;
    for (let i = 0; i < all.length; i++) {
      const line = all[i] as WaitLine;
      if (line.queue.size > 0) order[n++] = line;
    }
    if (n === 0) return NO_LINES;
    if (order.length > n) order.length = n;
    if (order.length > 1) {
      const agingMs = this.agingMs;
      order.sort((a, b) => {
        const ha = a.queue.peek(now) as Job;
        const hb = b.queue.peek(now) as Job;
        return servedBefore(ha, hb, now, agingMs) ? -1 : servedBefore(hb, ha, now, agingMs) ? 1 : 0;
      });
    }
    return order;
  }

  /** Call after shifting from a line's queue. */
  shifted(): void {
    this.total -= 1;
  }

  /** Waiting jobs per priority, over all lines. */
  sizesByPriority(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const line of this.lines.values()) {
      for (const [p, n] of Object.entries(line.queue.sizes())) out[p] = (out[p] ?? 0) + n;
    }
    return out;
  }

  /** Waiting jobs per model (streams and plain calls together). */
  sizesByModel(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const line of this.lines.values()) {
      if (line.queue.size > 0) out[line.model] = (out[line.model] ?? 0) + line.queue.size;
    }
    return out;
  }
}

const NO_LINES: readonly WaitLine[] = Object.freeze([]);

function lineKey(job: Job): string {
  return job.kind === "stream" ? `${job.model}\u0000stream` : job.model;
}
