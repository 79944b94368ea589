import { asyncScheduler, type SchedulerLike } from "rxjs";

/** What {@link Deadlines} needs of an item: its deadline, and a slot it may write its heap index in. */
export interface WithDeadline {
  readonly deadline: number;
  /** Index in the heap, -1 when not in it (owned by {@link Deadlines}). */
  deadlineSlot: number;
}

/**
 * The deadlines of every live request in one min-heap with ONE timer, set for the earliest. A timer
 * per request cost ~2 µs on Node 20 (a `Timeout` and its async resource each time); this costs a heap
 * insert and remove. Most requests share one `timeout`, so deadlines arrive in order and the timer is
 * rarely moved: it is re-armed when it fires, or when an item due earlier than it arrives. On the
 * default scheduler it is a native timer that does not keep the process alive, left armed when the
 * heap empties (sequential calls would otherwise start and stop it each time); on any other (a
 * virtual one in tests) it is cancelled as soon as nothing is due.
 * @example
 * const deadlines = new Deadlines(scheduler, (job) => expire(job));
 * deadlines.add(job);     // at admission
 * deadlines.remove(job);  // at its outcome
 */
export class Deadlines<T extends WithDeadline> {
  private readonly heap: T[] = [];
  private timer: { readonly at: number; readonly cancel: () => void } | undefined;
  private readonly native: boolean;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly onDue: (item: T) => void,
  ) {
    this.native = scheduler === asyncScheduler;
  }

  get size(): number {
    return this.heap.length;
  }

  add(item: T): void {
    if (item.deadlineSlot >= 0 || !Number.isFinite(item.deadline)) return;
    item.deadlineSlot = this.heap.length;
    this.heap.push(item);
    this.up(item.deadlineSlot);
    // A timer due before this item fires, then re-arms for whatever is earliest then.
    if (this.timer === undefined || item.deadline < this.timer.at) this.arm();
  }

  /** Takes an item out (its request settled). The timer stays: if it fires early, it re-arms. */
  remove(item: T): void {
    const i = item.deadlineSlot;
    if (i < 0) return;
    item.deadlineSlot = -1;
    const last = this.heap.pop() as T;
    if (last !== item) {
      this.heap[i] = last;
      last.deadlineSlot = i;
      this.down(i);
      this.up(last.deadlineSlot);
    }
    if (this.heap.length === 0 && !this.native) this.disarm();
  }

  /** Stops the timer (the heap is expected to be empty: every request settled). */
  close(): void {
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    const first = this.heap[0];
    if (first === undefined) return;
    const at = first.deadline;
    const ms = Math.max(0, at - this.scheduler.now());
    if (this.native) {
      const handle = setTimeout(() => this.fire(), ms);
      handle.unref();
      this.timer = { at, cancel: () => clearTimeout(handle) };
    } else {
      const sub = this.scheduler.schedule(() => this.fire(), ms);
      this.timer = { at, cancel: () => sub.unsubscribe() };
    }
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.scheduler.now();
    for (let first = this.heap[0]; first !== undefined && first.deadline <= now; first = this.heap[0]) {
      this.remove(first);
      this.onDue(first);
    }
    if (this.timer === undefined) this.arm();
  }

  private up(i: number): void {
    const heap = this.heap;
    const item = heap[i] as T;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as T;
      if (parent.deadline <= item.deadline) break;
      heap[i] = parent;
      parent.deadlineSlot = i;
      i = parentIndex;
    }
    heap[i] = item;
    item.deadlineSlot = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i] as T;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (heap[right] as T).deadline < (heap[left] as T).deadline ? right : left;
      const smaller = heap[child] as T;
      if (smaller.deadline >= item.deadline) break;
      heap[i] = smaller;
      smaller.deadlineSlot = i;
      i = child;
    }
    heap[i] = item;
    item.deadlineSlot = i;
  }
}
