import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { IncompleteStreamError } from "../dispatch/routed-stream.js";
import { ResponseInvalidError } from "../errors.js";
import { parseRetryAfterMs } from "../limits/rate-limit-headers.js";

/** What went wrong with one attempt, in the router's terms. */
export type FailureKind =
  | "rate-limited"
  | "quota-exhausted"
  | "server"
  | "timeout"
  | "conflict"
  | "connection"
  | "auth"
  | "not-found"
  | "bad-request"
  /** The endpoint answered, but not with what the operation expects (HTML, not JSON, wrong shape, empty). */
  | "invalid-response"
  | "aborted"
  | "unknown";

/** What the failed attempt means for the lane that served it. */
export type LaneEffect =
  /** Stop admitting until retry-after (429). */
  | "cool"
  /** Count a failure for the breaker and the latency figure. */
  | "failure"
  /** The endpoint is misconfigured (401/403, or billing): take it out. */
  | "disable"
  /** The deployment for this model is missing on that endpoint (404): stop sending this model there. */
  | "disable-model"
  | "none";

/** A classified attempt failure. */
export interface Failure {
  readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  /** Another attempt may succeed (on this or another lane). */
  readonly retryable: boolean;
  /** Another attempt may succeed, but not on this lane. */
  readonly failoverOnly: boolean;
  readonly laneEffect: LaneEffect;
  /** Uncapped retry-after the service asked for, if any. */
  readonly retryAfterMs: number | undefined;
  /** Which budget a 429 says is exhausted. */
  readonly exhausted: "requests" | "tokens" | "both";
  readonly error: unknown;
}

/**
 * Classifies an error thrown by the SDK (works with 6.x and 7.x error classes).
 * 400/422 (and other 4xx) never retry, whatever the headers say: the same body fails again.
 * 401/403/404 fail over. 408/409/429/5xx, timeouts and connection errors retry; `x-should-retry:
 * false` on one of them means "not here": the request fails over instead of retrying this endpoint.
 * An answer that is not what the operation expects (`ResponseInvalidError`, or the SDK's SyntaxError
 * on a stream that is not JSON) retries too and counts against the endpoint, and so does an SSE error
 * event (an APIError without a status): the endpoint broke its own stream.
 */
export function classifyFailure(error: unknown, now: number): Failure {
  const base = {
    error,
    status: undefined,
    code: undefined,
    retryAfterMs: undefined,
    exhausted: "both" as const,
  };
  if (error instanceof APIUserAbortError || (error as { name?: unknown } | null)?.name === "AbortError") {
    return { ...base, kind: "aborted", retryable: false, failoverOnly: false, laneEffect: "none" };
  }
  if (
    error instanceof ResponseInvalidError ||
    error instanceof SyntaxError ||
    error instanceof IncompleteStreamError
  ) {
    return { ...base, kind: "invalid-response", retryable: true, failoverOnly: false, laneEffect: "failure" };
  }
  if (error instanceof APIConnectionTimeoutError) {
    return { ...base, kind: "timeout", retryable: true, failoverOnly: false, laneEffect: "failure" };
  }
  if (error instanceof APIConnectionError) {
    return { ...base, kind: "connection", retryable: true, failoverOnly: false, laneEffect: "failure" };
  }
  if (!(error instanceof APIError) || error.status === undefined) {
    // A body cut by the peer surfaces from undici as a bare `TypeError: terminated` (the SDK's stream
    // iterator rethrows it unwrapped): a connection failure, not a bug in the request.
    if (isNetworkError(error)) {
      return { ...base, kind: "connection", retryable: true, failoverOnly: false, laneEffect: "failure" };
    }
    // The SDK throws an APIError without a status for an `error` event inside a stream.
    if (error instanceof APIError) {
      const code = typeof error.code === "string" ? error.code : undefined;
      return { ...base, code, kind: "server", retryable: true, failoverOnly: false, laneEffect: "failure" };
    }
    return { ...base, kind: "unknown", retryable: false, failoverOnly: false, laneEffect: "none" };
  }
  const status = error.status;
  const code = typeof error.code === "string" ? error.code : undefined;
  const headers = error.headers;
  const shouldRetry = headers?.get("x-should-retry");
  const common = { ...base, status, code };
  if (status === 429) {
    const body = error.error;
    if (code === "insufficient_quota" || (error as { type?: unknown }).type === "insufficient_quota") {
      return {
        ...common,
        kind: "quota-exhausted",
        retryable: false,
        failoverOnly: true,
        laneEffect: "disable",
      };
    }
    return {
      ...common,
      kind: "rate-limited",
      retryable: shouldRetry !== "false",
      failoverOnly: shouldRetry === "false",
      laneEffect: "cool",
      retryAfterMs: parseRetryAfterMs(headers, body, now),
      exhausted: exhaustedBudget(error.message, headers),
    };
  }
  if (status === 401 || status === 403) {
    return { ...common, kind: "auth", retryable: false, failoverOnly: true, laneEffect: "disable" };
  }
  if (status === 404) {
    return {
      ...common,
      kind: "not-found",
      retryable: false,
      failoverOnly: true,
      laneEffect: "disable-model",
    };
  }
  const transient = status === 408 || status === 409 || status >= 500;
  if (transient) {
    return {
      ...common,
      kind: status >= 500 ? "server" : status === 409 ? "conflict" : "timeout",
      retryable: shouldRetry !== "false",
      failoverOnly: shouldRetry === "false",
      laneEffect: "failure",
      // A 503 often says when to come back; the lane honours it like a 429's.
      retryAfterMs: parseRetryAfterMs(headers, undefined, now),
    };
  }
  return {
    ...common,
    kind: "bad-request",
    retryable: false,
    failoverOnly: false,
    laneEffect: "none",
  };
}

function exhaustedBudget(message: string, headers: Headers | undefined): "requests" | "tokens" | "both" {
  const remTokens = headers?.get("x-ratelimit-remaining-tokens");
  const remRequests = headers?.get("x-ratelimit-remaining-requests");
  if (remRequests === "0" && remTokens !== "0") return "requests";
  if (remTokens === "0" && remRequests !== "0") return "tokens";
  // The services' own wording names the limit: Azure "exceeded token|call rate limit" (its text starts
  // with "Requests to the … Operation"), openai.com "on tokens|requests per min (TPM|RPM) … Requested N".
  const tokenLimit = /\btokens? (?:rate limit|per (?:min|minute|day))|\bT(?:PM|PD)\b/i.test(message);
  const requestLimit =
    /\b(?:call|request) rate limit|\brequests? per (?:min|minute|day)|\bR(?:PM|PD)\b/i.test(message);
  if (tokenLimit && !requestLimit) return "tokens";
  if (requestLimit && !tokenLimit) return "requests";
  if (/token/i.test(message) && !/request|call/i.test(message)) return "tokens";
  if (/request|call/i.test(message) && !/token/i.test(message)) return "requests";
  return "both";
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** undici's errors for a connection that failed or closed mid-response, possibly wrapped in `cause`. */
export function isNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (e instanceof TypeError && (e.message === "terminated" || e.message === "fetch failed")) return true;
  }
  return false;
}
