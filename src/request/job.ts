import type { Subscription } from "rxjs";
import type { Job } from "../dispatch/job.js";
import type { Admission } from "../dispatch/lane.js";
import type { RoutedStream } from "../dispatch/routed-stream.js";
import type { AttemptRecord, RouterError } from "../errors.js";
import type { StoredTarget } from "../operations/stored.js";
import type { Completion, CompletionResponse, Usage } from "../types.js";

/** Hands a started stream to the API that asked for it (the promise API resolves here). */
export type StreamStarted = (
  stream: RoutedStream<never>,
  endpoint: string,
  headers: Headers | undefined,
) => void;

/** Gives a request its one outcome, with the upstream's response headers when there were any. */
export type Deliver = (completion: Completion, headers?: Headers) => void;

/**
 * A request inside the router, from intake to its one outcome: what the queue and the lanes see
 * (`Job`) plus what its lifecycle keeps. Its state changes are the functions of this module and the
 * lifecycle's `settle`; nothing else writes it.
 */
export interface RequestJob extends Job {
  readonly arrivedAt: number;
  /** Failed attempts on the current model that count toward `retry.maxAttempts` (plain 429s wait instead). */
  modelAttempts: number;
  /** Its place among the router's deadlines (see `Deadlines`): they fire whatever the job is doing then. */
  deadlineSlot: number;
  /** The retry timer while the job waits between attempts (backoff). */
  timer: Subscription | undefined;
  /** The running stream's controller, once its headers arrived: what the deadline aborts. */
  upstream: AbortController | undefined;
  /** Set when the router stopped the job (its deadline, close()): what a stream's consumer is told. */
  stopReason: RouterError | undefined;
  /** The running attempt's SDK timeout is the request's deadline (it was shorter than attemptTimeoutMs). */
  timeoutIsDeadline: boolean;
  /** What the last failed attempt threw: the cause when the request fails without another attempt. */
  lastError: unknown;
  readonly deliver: Deliver;
  /** Streams: called once the first content chunk arrived. */
  readonly started: StreamStarted | undefined;
  /** A call on a stored response: which one. */
  readonly target: StoredTarget | undefined;
  /** The response or conversation id that pins the job to its owner (what AFFINITY_UNAVAILABLE names). */
  readonly ref: string | undefined;
  /** Its soft-affinity key (prompt_cache_key, user, or the caller's `affinityKey`), scoped by model. */
  readonly affinityKey: string | undefined;
  onAbort: (() => void) | undefined;
  endpoint: string | undefined;
  /** What the instrument captured at arrival (the caller's trace context); undefined when not instrumented. */
  readonly begun: unknown;
  /** A stream's model as its first items said (set at its first content; its attempt records it). */
  responseModel: string | undefined;
}

/** How a request ends: an answer from an endpoint, or the error the caller gets. */
export type Outcome =
  | {
      readonly ok: true;
      readonly endpoint: string;
      readonly response: CompletionResponse;
      readonly usage: Usage | undefined;
      readonly headers?: Headers | undefined;
    }
  | { readonly ok: false; readonly error: RouterError };

/** Appends what an attempt did to the job's record (what `AllEndpointsFailedError` and outcomes list). */
export function recordAttempt(
  job: RequestJob,
  admission: Admission,
  now: number,
  status: number | undefined,
  errorCode: string | undefined,
  ttftMs?: number,
): void {
  const attempt: { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] } = {
    endpoint: admission.lane.id,
    model: job.model,
    durationMs: now - admission.startedAt,
    startedAt: admission.startedAt,
  };
  if (status !== undefined) attempt.status = status;
  if (errorCode !== undefined) attempt.errorCode = errorCode;
  if (ttftMs !== undefined) attempt.ttftMs = ttftMs;
  if (ttftMs !== undefined && job.responseModel !== undefined) attempt.responseModel = job.responseModel;
  job.attempts.push(attempt);
}

/** The next attempt should go elsewhere: the lane failed this job. Returns the lanes to avoid. */
export function avoidLane(job: RequestJob, lane: string): ReadonlySet<string> {
  job.avoid ??= new Set();
  job.avoid.add(lane);
  return job.avoid;
}

/** A fallback model takes over: its attempts start from zero, on any lane. */
export function switchModel(job: RequestJob, model: string): void {
  job.model = model;
  job.body = { ...job.body, model };
  job.avoid = undefined;
  job.modelAttempts = 0;
}
