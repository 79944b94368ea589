import { type SchedulerLike, Subject, type Subscription } from "rxjs";
import type { Strategy } from "../strategies/types.js";
import type { Job } from "./job.js";
import type { Lane } from "./lane.js";
import { ModelQueues } from "./model-queues.js";
import { type Assignment, type StuckReason, selectLane } from "./select-lane.js";

/** What the dispatcher is built from. */
export interface DispatcherOptions<J extends Job & { timer: Subscription | undefined }> {
  readonly lanes: readonly Lane[];
  readonly strategy: Strategy;
  readonly maxQueueSize: number;
  readonly agingMs: number;
  readonly scheduler: SchedulerLike;
  readonly rng: () => number;
  /** A job bound to a lane: run its attempt. */
  readonly onAssigned: (job: J, assignment: Assignment) => void;
  /** A job that cannot keep waiting (queue full, nobody can serve it, too late). */
  readonly onStuck: (job: J, reason: StuckReason) => void;
}

/**
 * The one place jobs enter the selection: the central queue (`ModelQueues`), the selection operator
 * over the lanes, and the backoff timers of jobs waiting to go back in. `selectLane` pumps the queue;
 * this owns it.
 * @example
 * const dispatcher = new Dispatcher({ lanes, strategy, maxQueueSize, agingMs, scheduler, rng, onAssigned, onStuck });
 * dispatcher.submit(job);
 */
export class Dispatcher<J extends Job & { timer: Subscription | undefined }> {
  readonly queue: ModelQueues;
  private readonly jobs = new Subject<Job>();
  private readonly subscription: Subscription;
  /** The selection's own way in (see `SelectLaneOptions.connect`); the Subject is for its wiring. */
  private offer: (job: Job) => void = (job) => this.jobs.next(job);

  constructor(private readonly options: DispatcherOptions<J>) {
    this.queue = new ModelQueues(options.agingMs);
    this.subscription = this.jobs
      .pipe(
        selectLane({
          lanes: options.lanes,
          strategy: options.strategy,
          queue: this.queue,
          maxQueueSize: options.maxQueueSize,
          scheduler: options.scheduler,
          rng: options.rng,
          onStuck: (job, reason) => options.onStuck(job as J, reason),
          connect: (offer) => {
            this.offer = offer;
          },
        }),
      )
      .subscribe((assignment) => options.onAssigned(assignment.job as J, assignment));
  }

  /** Offers a job to the lanes now (bound at once when one can admit it, else queued). */
  submit(job: J): void {
    this.offer(job);
  }

  /**
   * Puts a job back after a failed attempt: at once, or after `delayMs` in the `backoff` state. A
   * delay that reaches the deadline never starts (it could only fail, and blame its endpoint): the
   * deadline settles the job instead.
   */
  requeue(job: J, delayMs: number): void {
    if (delayMs <= 0) {
      this.offer(job);
      return;
    }
    job.state = "backoff";
    if (delayMs >= job.deadline - this.options.scheduler.now()) return;
    job.timer = this.options.scheduler.schedule(() => {
      job.timer = undefined;
      if (job.state === "backoff") this.offer(job);
    }, delayMs);
  }

  /** Takes a queued job out; false when it was not in the queue. */
  remove(job: J): boolean {
    return this.queue.remove(job);
  }

  close(): void {
    this.subscription.unsubscribe();
    this.offer = () => undefined;
    this.jobs.complete();
  }
}
