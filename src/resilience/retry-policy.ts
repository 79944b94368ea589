import type { Failure } from "./classify.js";

/** What a failed attempt leads to. The caller applies it; this decides nothing else. */
export type RetryDecision =
  /** The caller stopped the request (its signal, or an abort of the attempt). */
  | { readonly action: "aborted" }
  /** The request's deadline has passed. */
  | { readonly action: "deadline" }
  /** The same request cannot succeed anywhere (a 400, a stored response's 404): the upstream's error. */
  | { readonly action: "final" }
  /** The attempts on this model are spent: the next fallback model, or every endpoint failed. */
  | { readonly action: "exhausted"; readonly modelAttempts: number }
  /** Another attempt, after `delayMs`, avoiding the lane that failed (while another can serve it). */
  | { readonly action: "retry"; readonly modelAttempts: number; readonly delayMs: number };

/** How retries are paced and bounded (`retry` in the config). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  /** The delay before the `retry`-th retry (0-based), jitter included. */
  readonly backoff: (retry: number) => number;
}

/** What the decision reads of the request. */
export interface RetryState {
  /** Failed attempts on the current model that counted so far. */
  readonly modelAttempts: number;
  readonly deadline: number;
  /** The caller's signal has fired. */
  readonly aborted: boolean;
}

/**
 * What a failed attempt means for its request. A plain 429 is a reason to wait (its lane cools), not
 * a failure of the request: it does not count toward `maxAttempts`, and only the deadline bounds how
 * long the request waits for budget. A lane that named a retry-after cools until then, and the
 * request itself may go elsewhere at once; any other retry backs off.
 * @example
 * decide({ modelAttempts: 0, deadline, aborted: false }, failure, now, { maxAttempts: 3, backoff })
 * // → { action: "retry", modelAttempts: 1, delayMs: 73 }
 */
export function decide(state: RetryState, failure: Failure, now: number, policy: RetryPolicy): RetryDecision {
  if (failure.kind === "aborted" || state.aborted) return ABORTED;
  if (now >= state.deadline) return DEADLINE;
  if (!failure.retryable && !failure.failoverOnly) return FINAL;
  const throttled = failure.kind === "rate-limited" && failure.retryable;
  const modelAttempts = throttled ? state.modelAttempts : state.modelAttempts + 1;
  if (modelAttempts >= policy.maxAttempts) return { action: "exhausted", modelAttempts };
  const delayMs =
    throttled || failure.retryAfterMs !== undefined ? 0 : Math.round(policy.backoff(modelAttempts - 1));
  return { action: "retry", modelAttempts, delayMs };
}

const ABORTED: RetryDecision = { action: "aborted" };
const DEADLINE: RetryDecision = { action: "deadline" };
const FINAL: RetryDecision = { action: "final" };
