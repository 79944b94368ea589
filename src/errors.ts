/**
 * Every error the router raises extends {@link RouterError} and carries a stable `code`.
 * Branch on `code`, never on the message. Upstream failures keep the SDK's error as `cause`.
 */

/** Stable error codes. */
export type RouterErrorCode =
  | "CONFIG_INVALID"
  | "NO_ENDPOINT_FOR_MODEL"
  | "QUEUE_FULL"
  | "DEADLINE_EXCEEDED"
  | "ABORTED"
  | "ALL_ENDPOINTS_FAILED"
  | "ROUTER_CLOSED"
  | "REQUEST_TOO_LARGE"
  | "REQUEST_INVALID"
  | "UPSTREAM_ERROR"
  | "STREAM_INTERRUPTED"
  | "RESPONSE_INVALID"
  | "AFFINITY_UNAVAILABLE";

/**
 * What every router error has: a stable `code`, an actionable message, the upstream error as `cause`.
 * The public name is {@link RouterError}: a class at runtime (`instanceof` works), a discriminated
 * union on `code` in types.
 */
export class RouterErrorBase extends Error {
  /** Stable, machine-readable code. */
  readonly code: RouterErrorCode;
  constructor(code: RouterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target === RouterErrorBase ? "RouterError" : new.target.name;
  }
}
Object.defineProperty(RouterErrorBase, "name", { value: "RouterError" });

/** The constructor behind {@link RouterError}: `instanceof RouterError` narrows to the union. */
export interface RouterErrorConstructor {
  new (code: RouterErrorCode, message: string, options?: { cause?: unknown }): RouterErrorBase;
  readonly prototype: RouterError;
}

/**
 * Base class of all router errors. `e instanceof RouterError` matches every one of them, and the
 * type is a discriminated union on `code`: `e.code === "ALL_ENDPOINTS_FAILED"` narrows `e` to
 * {@link AllEndpointsFailedError} (with `attempts`).
 * @example
 * try { await router.chat.completions.create(body) } catch (e) {
 *   if (e instanceof RouterError && e.code === "ALL_ENDPOINTS_FAILED") console.error(e.attempts);
 * }
 */
export const RouterError: RouterErrorConstructor = RouterErrorBase as unknown as RouterErrorConstructor;

/** Every error the router raises, discriminated by `code`. */
export type RouterError =
  | ConfigError
  | NoEndpointForModelError
  | RequestInvalidError
  | QueueFullError
  | DeadlineExceededError
  | AbortedError
  | RouterClosedError
  | RequestTooLargeError
  | UpstreamError
  | AllEndpointsFailedError
  | StreamInterruptedError
  | ResponseInvalidError
  | AffinityUnavailableError;

/** One problem found in a router config. */
export interface ConfigIssue {
  /** Dotted path into the config, e.g. `endpoints.1.apiKey`. */
  readonly path: string;
  readonly message: string;
}

/**
 * The config passed to `createRouter` is invalid; `issues` lists every problem with its path.
 * @example
 * try { createRouter(cfg) } catch (e) { if (e instanceof ConfigError) console.error(e.issues) }
 */
export class ConfigError extends RouterErrorBase {
  declare readonly code: "CONFIG_INVALID";
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(
      "CONFIG_INVALID",
      `Invalid router config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues
        .map((i) => `  - ${i.path || "(root)"}: ${i.message}`)
        .join("\n")}`,
    );
    this.issues = issues;
  }
}

/** No configured endpoint serves the requested model (and no fallback model does either). */
export class NoEndpointForModelError extends RouterErrorBase {
  declare readonly code: "NO_ENDPOINT_FOR_MODEL";
  readonly model: string;
  constructor(model: string, known: readonly string[]) {
    super(
      "NO_ENDPOINT_FOR_MODEL",
      `No endpoint serves model "${model}". Configured models: ${known.length ? known.join(", ") : "(none)"}.`,
    );
    this.model = model;
  }
}

/** The request is malformed in a way no endpoint could accept (e.g. missing `model`). */
export class RequestInvalidError extends RouterErrorBase {
  declare readonly code: "REQUEST_INVALID";
  /** Every problem found, each `path: what is wrong` (`messages.1.content: must be …`). */
  readonly problems: readonly string[];
  /** One message, or the problems found in the body (the message then lists them). */
  constructor(message: string, problems?: readonly string[]) {
    const list = problems && problems.length > 0 ? problems : [message];
    super(
      "REQUEST_INVALID",
      problems && problems.length > 0
        ? `${message} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`
        : message,
    );
    this.problems = list;
  }
}

/** The central queue is at `queue.maxSize`: backpressure, retry later or raise the bound. */
export class QueueFullError extends RouterErrorBase {
  declare readonly code: "QUEUE_FULL";
  readonly maxSize: number;
  constructor(maxSize: number) {
    super(
      "QUEUE_FULL",
      `The router's queue is full (${maxSize} waiting requests). Slow down or raise queue.maxSize.`,
    );
    this.maxSize = maxSize;
  }
}

/** The request's deadline (`timeout`, covering queue time and the call) passed. */
export class DeadlineExceededError extends RouterErrorBase {
  declare readonly code: "DEADLINE_EXCEEDED";
  readonly timeoutMs: number;
  constructor(timeoutMs: number, phase: "queued" | "running", options?: { cause?: unknown }) {
    super(
      "DEADLINE_EXCEEDED",
      `The request did not complete within its ${timeoutMs} ms deadline (it was ${phase === "queued" ? "still waiting for an endpoint" : "in flight"}).`,
      options,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The caller aborted the request (its AbortSignal fired). */
export class AbortedError extends RouterErrorBase {
  declare readonly code: "ABORTED";
  constructor(options?: { cause?: unknown }) {
    super("ABORTED", "The request was aborted by the caller.", options);
  }
}

/** The router was closed; it accepts no new requests. */
export class RouterClosedError extends RouterErrorBase {
  declare readonly code: "ROUTER_CLOSED";
  /** Set when the request was accepted but cut by `close()` at its bound (`closeTimeoutMs`). @unit milliseconds */
  readonly closeTimeoutMs: number | undefined;
  constructor(options?: { closeTimeoutMs?: number; cause?: unknown }) {
    const cut = options?.closeTimeoutMs;
    super(
      "ROUTER_CLOSED",
      cut === undefined
        ? "The router is closed and accepts no new requests."
        : `The router closed before the request completed: close() waits at most closeTimeoutMs (${cut} ms), then cuts what is still queued or in flight.`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.closeTimeoutMs = cut;
  }
}

/** The request's token estimate exceeds the tokens-per-minute budget of every endpoint serving it. */
export class RequestTooLargeError extends RouterErrorBase {
  declare readonly code: "REQUEST_TOO_LARGE";
  readonly estimatedTokens: number;
  readonly largestBudget: number;
  constructor(model: string, estimatedTokens: number, largestBudget: number) {
    super(
      "REQUEST_TOO_LARGE",
      `The request for "${model}" needs ~${estimatedTokens} tokens (prompt + output cap), more than the largest tokens-per-minute budget of any endpoint serving it (${largestBudget}). Lower max_tokens or shorten the prompt.`,
    );
    this.estimatedTokens = estimatedTokens;
    this.largestBudget = largestBudget;
  }
}

/** One attempt of a request on one endpoint. */
export interface AttemptRecord {
  readonly endpoint: string;
  readonly model: string;
  /** HTTP status, when the endpoint answered. */
  readonly status?: number;
  /** Error code (SDK `code`, router code, or `connection_error`/`timeout`), absent on success. */
  readonly errorCode?: string;
  readonly durationMs: number;
  /** When the attempt was dispatched (the router's clock, epoch ms). */
  readonly startedAt?: number;
  /** Streams that reached their first content chunk: the time to it from the attempt's start. @unit milliseconds */
  readonly ttftMs?: number;
  /**
   * Streams that reached their first content chunk: the model the stream said answered (a chat
   * stream's first chunk's `model`; Responses: `response.created`'s `response.model`).
   */
  readonly responseModel?: string;
}

/**
 * An endpoint answered with an error that is final for this request (e.g. 400) — the SDK's
 * error is the `cause`; `status`, `requestID` and `upstreamCode` are copied from it.
 */
export class UpstreamError extends RouterErrorBase {
  declare readonly code: "UPSTREAM_ERROR";
  readonly status: number | undefined;
  readonly upstreamCode: string | undefined;
  readonly requestID: string | undefined;
  readonly endpoint: string;
  constructor(endpoint: string, cause: unknown, redact: (text: string) => string = (t) => t) {
    const info = describeUpstream(cause);
    super("UPSTREAM_ERROR", redact(`Endpoint "${endpoint}" rejected the request: ${info.summary}`), {
      cause,
    });
    this.status = info.status;
    this.upstreamCode = info.code;
    this.requestID = info.requestID;
    this.endpoint = endpoint;
  }
}

/** Every attempt failed (after retries and failover); `attempts` says what each endpoint answered. */
export class AllEndpointsFailedError extends RouterErrorBase {
  declare readonly code: "ALL_ENDPOINTS_FAILED";
  readonly attempts: readonly AttemptRecord[];
  readonly status: number | undefined;
  constructor(model: string, attempts: readonly AttemptRecord[], cause: unknown) {
    const last = attempts.at(-1);
    super(
      "ALL_ENDPOINTS_FAILED",
      `All attempts for "${model}" failed (${attempts.length} attempt${attempts.length === 1 ? "" : "s"}: ${attempts
        .map((a) => `${a.endpoint}→${a.status ?? a.errorCode ?? "error"}`)
        .join(", ")}).`,
      { cause },
    );
    this.attempts = attempts;
    this.status = last?.status;
  }
}

interface UpstreamInfo {
  status: number | undefined;
  code: string | undefined;
  requestID: string | undefined;
  summary: string;
}

/** Reads the fields the SDK's APIError carries without importing it (works with 6.x and 7.x). */
export function describeUpstream(error: unknown): UpstreamInfo {
  if (typeof error !== "object" || error === null) {
    return { status: undefined, code: undefined, requestID: undefined, summary: String(error) };
  }
  const e = error as { status?: unknown; code?: unknown; requestID?: unknown; message?: unknown };
  const status = typeof e.status === "number" ? e.status : undefined;
  const code = typeof e.code === "string" ? e.code : undefined;
  const requestID = typeof e.requestID === "string" ? e.requestID : undefined;
  const message = typeof e.message === "string" ? e.message : "unknown error";
  return { status, code, requestID, summary: message };
}

/**
 * A stream failed after its first content chunk reached the caller, so it could not fail over
 * transparently. `received` counts the chunks the caller already got; the SDK's error is the `cause`.
 */
export class StreamInterruptedError extends RouterErrorBase {
  declare readonly code: "STREAM_INTERRUPTED";
  readonly endpoint: string;
  readonly received: number;
  readonly status: number | undefined;
  constructor(
    endpoint: string,
    received: number,
    cause: unknown,
    redact: (text: string) => string = (t) => t,
  ) {
    const info = describeUpstream(cause);
    super(
      "STREAM_INTERRUPTED",
      redact(`The stream from endpoint "${endpoint}" broke after ${received} chunk(s): ${info.summary}`),
      { cause },
    );
    this.endpoint = endpoint;
    this.received = received;
    this.status = info.status;
  }
}

/**
 * An endpoint answered, but not with what the operation expects: a 200 whose body is not JSON (a
 * proxy's HTML page), JSON of the wrong shape, an empty body, or a stream that produced nothing valid
 * before its content. It is retryable (the request fails over and the endpoint is blamed like for a
 * 5xx), so it is never an outcome by itself: it is the `cause` of ALL_ENDPOINTS_FAILED or
 * DEADLINE_EXCEEDED, or of STREAM_INTERRUPTED when it happened after content reached the caller.
 */
export class ResponseInvalidError extends RouterErrorBase {
  declare readonly code: "RESPONSE_INVALID";
  readonly endpoint: string;
  /** The HTTP status the endpoint answered with (200 for a bad body), when known. */
  readonly status: number | undefined;
  /** What was wrong, e.g. `not JSON (text/html)`, `no \`choices\` array`. */
  readonly problem: string;
  /** The first characters of what it sent, for diagnosis (keys are redacted before a caller sees it). */
  readonly excerpt: string | undefined;
  /** The response headers, when there was a response (used for calibration like any other answer's). */
  readonly headers: Headers | undefined;
  constructor(
    endpoint: string,
    problem: string,
    options: { status?: number; excerpt?: string; headers?: Headers; cause?: unknown } = {},
  ) {
    super(
      "RESPONSE_INVALID",
      `Endpoint "${endpoint}" answered${options.status === undefined ? "" : ` ${options.status}`} with something that is not a valid response: ${problem}.`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.endpoint = endpoint;
    this.status = options.status;
    this.problem = problem;
    this.excerpt = options.excerpt;
    this.headers = options.headers;
  }
}

/**
 * The request needs one endpoint — the one holding the stored response (or conversation) it continues
 * or reads — and that endpoint cannot serve it: it is no longer configured, its model was taken off it,
 * or it will not be back (circuit open, cooling) before the request's deadline. Another endpoint could
 * not help: the state lives only there.
 */
export class AffinityUnavailableError extends RouterErrorBase {
  declare readonly code: "AFFINITY_UNAVAILABLE";
  /** The endpoint that holds the state. */
  readonly endpoint: string;
  /** The response or conversation id. */
  readonly ref: string;
  constructor(endpoint: string, ref: string, reason: string, options?: { cause?: unknown }) {
    super(
      "AFFINITY_UNAVAILABLE",
      `"${ref}" lives on endpoint "${endpoint}", which ${reason}; only that endpoint can serve it.`,
      options,
    );
    this.endpoint = endpoint;
    this.ref = ref;
  }
}
