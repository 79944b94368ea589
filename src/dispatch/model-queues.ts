import type { Job } from "./job.js";
import { PriorityWaitQueue } from "./wait-queue.js";

/**
 * The central queue, kept as one priority queue per model: requests for a model whose lanes are all
 * busy must not hold back requests for another model. Within a model, order is strict.
 */
export class ModelQueues {
  private readonly byModel = new Map<string, PriorityWaitQueue<Job>>();
  private total = 0;

  /** @param agingMs see {@link PriorityWaitQueue} */
  constructor(private readonly agingMs: number) {}

  get size(): number {
    return this.total;
  }

  push(job: Job): void {
    let q = this.byModel.get(job.model);
    if (!q) {
      q = new PriorityWaitQueue<Job>(this.agingMs);
      this.byModel.set(job.model, q);
    }
    q.push(job);
    this.total += 1;
  }

  remove(job: Job): boolean {
    const removed = this.byModel.get(job.model)?.remove(job) ?? false;
    if (removed) this.total -= 1;
    return removed;
  }

  /** Queues with waiting jobs, in model order, with their model (allocates: for diagnostics and metrics). */
  waiting(): [string, PriorityWaitQueue<Job>][] {
    const out: [string, PriorityWaitQueue<Job>][] = [];
    for (const entry of this.byModel) if (entry[1].size > 0) out.push(entry);
    return out;
  }

  /** Every model's queue, in model order (some may be empty: check `size`). Allocation-free: runs per pump. */
  queues(): IterableIterator<PriorityWaitQueue<Job>> {
    return this.byModel.values();
  }

  /** Call after shifting from a queue obtained from `queues()` or `waiting()`. */
  shifted(): void {
    this.total -= 1;
  }

  /** Waiting jobs per priority, over all models. */
  sizesByPriority(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const q of this.byModel.values()) {
      for (const [p, n] of Object.entries(q.sizes())) out[p] = (out[p] ?? 0) + n;
    }
    return out;
  }

  /** Waiting jobs per model. */
  sizesByModel(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [model, q] of this.waiting()) out[model] = q.size;
    return out;
  }
}
