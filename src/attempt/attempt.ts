/**
 * What the two kinds of attempt (a plain call, a stream) share: what an upstream call carries, the
 * body as a lane sends it, and what a failure of theirs means.
 */
import type { SchedulerLike } from "rxjs";
import type { JobBody } from "../dispatch/job.js";
import type { Admission } from "../dispatch/lane.js";
import type { CallCommon, Transport } from "../dispatch/transport.js";
import type { RequestJob } from "../request/job.js";
import { classifyFailure, type Failure } from "../resilience/classify.js";
import type { Redact } from "../resilience/redact.js";

/** What an attempt needs of the router. */
export interface AttemptContext {
  readonly transport: Transport;
  readonly scheduler: SchedulerLike;
  /** @unit milliseconds */
  readonly attemptTimeoutMs: number;
  /** @unit milliseconds */
  readonly firstTokenTimeoutMs: number;
  readonly redact: Redact;
}

/** An attempt that failed, and whether the endpoint had already answered with headers. */
export interface AttemptFailed {
  readonly ok: false;
  readonly failure: Failure;
  readonly afterHeaders: boolean;
}

/** What every upstream call carries. The SDK's timeout covers the call until its response headers. */
export function callCommon(job: RequestJob, admission: Admission, context: AttemptContext): CallCommon {
  const remaining = job.deadline - context.scheduler.now();
  job.timeoutIsDeadline = remaining < context.attemptTimeoutMs;
  return {
    endpoint: admission.lane.id,
    client:
      job.op === "chat" || job.op === "embeddings" ? admission.lane.client : admission.lane.responsesClient,
    // The caller's own signal, or none: a signal costs the SDK a listener (~8 µs on Node 20). What
    // close() cuts at its bound, it cuts by closing the router's sockets.
    signal: job.signal,
    timeout: Math.max(1, Math.min(context.attemptTimeoutMs, remaining)),
  };
}

/** The body as the lane sends it: its deployment name as `model` (copied only when that differs). */
export function laneBody(job: RequestJob, admission: Admission): JobBody {
  const model = admission.lane.deploymentFor(job.model);
  return model === job.body.model ? job.body : { ...job.body, model };
}

/**
 * What a failed attempt means. A 404 about stored state (a response or conversation the endpoint does
 * not hold) is the answer, not a missing deployment: final, and no verdict on the lane.
 */
export function classifyAttempt(job: RequestJob, error: unknown, now: number): Failure {
  const failure = classifyFailure(error, now);
  if (job.op === "chat" || job.op === "embeddings" || failure.status !== 404) return failure;
  if (failure.code === "DeploymentNotFound" || failure.code === "model_not_found") return failure;
  return { ...failure, retryable: false, failoverOnly: false, laneEffect: "none" };
}

/** An attempt stopped by the caller or by the request's deadline: no verdict on the endpoint. */
export function abortedFailure(error: unknown): Failure {
  return {
    kind: "aborted",
    status: undefined,
    code: undefined,
    retryable: false,
    failoverOnly: false,
    laneEffect: "none",
    retryAfterMs: undefined,
    exhausted: "both",
    error,
  };
}

/** An attempt the endpoint did not answer in time: a failure of that endpoint, retried elsewhere. */
export function timeoutFailure(error: unknown, phase: "response" | "first-token"): Failure {
  return {
    ...abortedFailure(error),
    kind: "timeout",
    retryable: true,
    laneEffect: "failure",
    // The same record as the SDK's own timeout (kind "timeout") unless it was the first token.
    code: phase === "first-token" ? "first_token_timeout" : undefined,
  };
}
