import type { Response as ResponseObject } from "openai/resources/responses/responses";
import type { SchedulerLike, Subject } from "rxjs";
import type { Affinity } from "../affinity/affinity.js";
import { learnFromAnswer } from "../affinity/requests.js";
import { type AttemptContext, abortedFailure } from "../attempt/attempt.js";
import { type CallEnded, runCall } from "../attempt/run-call.js";
import { runStream, type StreamEnded } from "../attempt/run-stream.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { Fleet } from "../dispatch/fleet.js";
import type { Admission } from "../dispatch/lane.js";
import type { Assignment, StuckReason } from "../dispatch/select-lane.js";
import {
  AbortedError,
  AffinityUnavailableError,
  AllEndpointsFailedError,
  DeadlineExceededError,
  NoEndpointForModelError,
  QueueFullError,
  RequestTooLargeError,
  RouterError,
  StreamInterruptedError,
  UpstreamError,
} from "../errors.js";
import type { RouterEvent } from "../events.js";
import { classifyFailure, type Failure } from "../resilience/classify.js";
import { decide, type RetryPolicy } from "../resilience/retry-policy.js";
import { avoidLane, type Outcome, type RequestJob, recordAttempt, switchModel } from "./job.js";
import { headersOf, type Lifecycle } from "./lifecycle.js";

/** What the loop drives. */
export interface AttemptLoopOptions {
  readonly fleet: Fleet;
  readonly lifecycle: Lifecycle;
  readonly dispatcher: () => Dispatcher<RequestJob>;
  readonly affinity: Affinity;
  readonly events: Subject<RouterEvent>;
  readonly scheduler: SchedulerLike;
  readonly attempt: AttemptContext;
  readonly retry: RetryPolicy;
  readonly maxQueueSize: number;
}

/**
 * The one loop of a request's life after admission: an admitted job's attempt runs, its result is
 * reported to its lane, and then the request settles, retries, fails over or falls back — as the
 * retry policy decides. The attempts return values; only this applies them.
 */
export class AttemptLoop {
  constructor(private readonly options: AttemptLoopOptions) {}

  /** A lane admitted the job: run its attempt. */
  readonly run = (job: RequestJob, { admission }: Assignment): void => {
    const { events } = this.options;
    const lane = admission.lane;
    job.endpoint = lane.id;
    if (events.observed) {
      events.next({
        type: "dispatched",
        at: admission.startedAt,
        id: job.id,
        endpoint: lane.id,
        model: job.model,
        attempt: job.attempts.length + 1,
        queuedMs: admission.startedAt - job.queuedAt,
      });
    }
    if (job.kind === "stream") void this.stream(job, admission);
    else void runCall(job, admission, this.options.attempt, this.callEnded);
  };

  /** A job left the queue without a lane. */
  readonly stuck = (job: RequestJob, reason: StuckReason): void => {
    if (reason === "queue-full") {
      this.options.lifecycle.settle(job, { ok: false, error: new QueueFullError(this.options.maxQueueSize) });
      return;
    }
    if (this.fallBack(job)) return;
    this.options.lifecycle.settle(job, { ok: false, error: this.unservable(job) });
  };

  /** A plain call's attempt ended (see `runCall`). */
  private readonly callEnded: CallEnded = (job, admission, end) => {
    if (!end.ok) {
      this.failed(job, admission, end.failure, end.afterHeaders);
      return;
    }
    const lane = admission.lane;
    lane.finish(admission, { headers: end.headers, usage: end.usage });
    recordAttempt(job, admission, this.options.scheduler.now(), 200, undefined);
    this.learn(job, lane.id, end.response as ResponseObject);
    this.options.lifecycle.settle(job, end as Outcome);
  };

  private async stream(job: RequestJob, admission: Admission): Promise<void> {
    const start = await runStream(job, admission, this.options.attempt, (ended) =>
      this.streamEnded(job, admission, ended),
    );
    if (start.ok === true) job.started?.(start.stream, admission.lane.id, start.headers);
    else if (start.ok === false) this.failed(job, admission, start.failure, start.afterHeaders);
  }

  private streamEnded(
    job: RequestJob,
    admission: Admission,
    { end, headers, ttftMs, opened }: StreamEnded,
  ): void {
    const { lifecycle, scheduler } = this.options;
    const redact = this.options.attempt.redact;
    const lane = admission.lane;
    job.upstream = undefined;
    if (end.kind === "done") {
      lane.finish(admission, { headers, usage: end.usage, ttftMs });
      recordAttempt(job, admission, scheduler.now(), 200, undefined, ttftMs);
      this.learn(job, lane.id, opened.reader.response);
      lifecycle.settle(job, { ok: true, endpoint: lane.id, response: undefined, usage: end.usage });
      return;
    }
    if (
      end.kind === "stopped" ||
      end.error instanceof DeadlineExceededError ||
      (job.stopReason !== undefined && end.error === job.stopReason)
    ) {
      // The caller stopped it, or the router did (its deadline, close()): nothing said about the endpoint.
      const stop = end.kind === "stopped" ? new AbortedError() : (end.error as RouterError);
      lane.finish(admission, { failure: abortedFailure(undefined) });
      recordAttempt(job, admission, scheduler.now(), undefined, stop.code.toLowerCase());
      lifecycle.settle(job, { ok: false, error: stop });
      return;
    }
    const failure = classifyFailure(end.error, scheduler.now());
    lane.finish(admission, { failure, afterHeaders: true });
    recordAttempt(job, admission, scheduler.now(), failure.status, failure.code ?? failure.kind);
    const error =
      end.surfaced instanceof RouterError
        ? end.surfaced
        : new StreamInterruptedError(lane.id, 0, end.error, redact);
    lifecycle.settle(job, { ok: false, error });
  }

  /**
   * Ends a failed attempt: tells its lane, then applies what the retry policy decides. A timeout that
   * was the request's own deadline, or a call the router stopped, says nothing about the endpoint.
   */
  private failed(job: RequestJob, admission: Admission, classified: Failure, afterHeaders: boolean): void {
    const lane = admission.lane;
    job.upstream = undefined;
    const byDeadline =
      job.stopReason !== undefined ||
      (classified.kind === "timeout" &&
        job.timeoutIsDeadline &&
        this.options.scheduler.now() >= job.deadline);
    const failure = byDeadline ? abortedFailure(classified.error) : classified;
    // The freed slot is announced only once the request is settled or back in the queue, so that a
    // retry takes its place in the queue before anything waiting behind it can take the slot.
    const released = lane.release(admission, { headers: headersOf(failure.error), failure, afterHeaders });
    try {
      this.afterFailure(job, admission, failure, byDeadline);
    } finally {
      if (released) lane.announce();
    }
  }

  private afterFailure(job: RequestJob, admission: Admission, failure: Failure, byDeadline: boolean): void {
    const { lifecycle, scheduler, events } = this.options;
    const lane = admission.lane;
    const now = scheduler.now();
    if (byDeadline) {
      recordAttempt(job, admission, now, undefined, "deadline_exceeded");
      lifecycle.settle(job, { ok: false, error: lifecycle.deadlineError(job, "running") });
      return;
    }
    recordAttempt(job, admission, now, failure.status, failure.code ?? failure.kind);
    if (job.state === "settled") return;
    const state = {
      modelAttempts: job.modelAttempts,
      deadline: job.deadline,
      aborted: job.signal?.aborted === true,
    };
    const decision = decide(state, failure, now, this.options.retry);
    if (decision.action !== "aborted") job.lastError = failure.error;
    switch (decision.action) {
      case "aborted":
        lifecycle.settle(job, {
          ok: false,
          error: new AbortedError({ cause: job.signal?.reason ?? failure.error }),
        });
        return;
      case "deadline":
        lifecycle.settle(job, { ok: false, error: lifecycle.deadlineError(job, "running") });
        return;
      case "final":
        lifecycle.settle(job, {
          ok: false,
          error: new UpstreamError(lane.id, failure.error, this.options.attempt.redact),
        });
        return;
      case "exhausted":
        job.modelAttempts = decision.modelAttempts;
        if (this.fallBack(job)) return;
        // A pinned job had only its owner to try: say that the state's one home failed it.
        lifecycle.settle(job, {
          ok: false,
          error: job.pin === undefined ? allFailed(job) : this.unservable(job),
        });
        return;
      case "retry": {
        job.modelAttempts = decision.modelAttempts;
        const avoid = avoidLane(job, lane.id);
        if (events.observed) {
          if (job.pin === undefined && this.options.fleet.hasOther(job.model, avoid))
            events.next({
              type: "failed-over",
              at: now,
              id: job.id,
              from: lane.id,
              model: job.model,
              reason: failure.kind,
            });
          events.next({
            type: "retried",
            at: now,
            id: job.id,
            endpoint: lane.id,
            model: job.model,
            attempt: job.attempts.length,
            reason: failure.kind,
            status: failure.status,
            delayMs: decision.delayMs,
          });
        }
        this.options.dispatcher().requeue(job, decision.delayMs);
      }
    }
  }

  /** The next fallback model takes over, if there is one left. */
  private fallBack(job: RequestJob): boolean {
    const next = job.fallbacks.shift();
    if (next === undefined) return false;
    const { events, scheduler } = this.options;
    if (events.observed)
      events.next({ type: "fallback-used", at: scheduler.now(), id: job.id, from: job.model, to: next });
    switchModel(job, next);
    this.options.dispatcher().submit(job);
    return true;
  }

  /** Why no lane will take a job: its budget shrank below it, its attempts failed, or nobody serves it. */
  private unservable(job: RequestJob): RouterError {
    const { fleet, scheduler } = this.options;
    if (job.pin !== undefined) {
      const owner = fleet.byId.get(job.pin);
      const why =
        owner === undefined
          ? "is not configured in this router"
          : !owner.serves(job.model) && job.model !== ""
            ? `no longer serves "${job.model}"`
            : `cannot take requests before the deadline (${owner.state(scheduler.now())})`;
      return new AffinityUnavailableError(job.pin, job.ref ?? job.id, why, { cause: job.lastError });
    }
    const largest = fleet.largestTokenBudget(job.model, scheduler.now());
    if (job.tokens > largest) return new RequestTooLargeError(job.model, job.tokens, largest);
    if (job.attempts.length > 0) return allFailed(job);
    return new NoEndpointForModelError(job.model, [...fleet.models]);
  }

  private learn(job: RequestJob, endpoint: string, response: ResponseObject | undefined): void {
    learnFromAnswer(this.options.affinity, job, endpoint, response, this.options.scheduler.now());
  }
}

/** Every attempt failed: what each endpoint answered, with the last upstream error as cause. */
function allFailed(job: RequestJob): RouterError {
  return new AllEndpointsFailedError(job.requestedModel, job.attempts, job.lastError);
}
