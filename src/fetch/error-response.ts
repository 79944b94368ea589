import { RouterError } from "../errors.js";

/** An error as openai.com sends it: what any OpenAI client parses into its own error classes. */
export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** How a router error goes over HTTP: status, body and the headers that tell a client what to do next. */
export interface ErrorReply {
  readonly status: number;
  readonly body: OpenAIErrorBody;
  readonly headers: Readonly<Record<string, string>>;
}

/** Seconds a client is told to wait after QUEUE_FULL: long enough for a queue to move, short enough to keep a caller. */
const QUEUE_FULL_RETRY_AFTER_S = 1;

/**
 * The HTTP answer for an error that settled a request routed through `router.fetch` (or the gateway).
 * The statuses are chosen for what OpenAI clients do with them: the SDK retries 408/409/429/5xx unless
 * `x-should-retry: false`, so errors the router already retried (or that cannot change) say so.
 */
export function errorReply(error: unknown, redact: (text: string) => string): ErrorReply {
  const base = replyFor(error, redact);
  const code = error instanceof RouterError ? error.code : "INTERNAL";
  return { ...base, headers: { ...base.headers, "x-openai-router-code": code } };
}

function replyFor(error: unknown, redact: (text: string) => string): ErrorReply {
  if (!(error instanceof RouterError)) {
    return reply(500, "server_error", "internal_error", "The router failed to handle the request.", false);
  }
  const message = redact(error.message);
  const upstream = upstreamOf(error);
  switch (error.code) {
    case "REQUEST_INVALID":
      return reply(400, "invalid_request_error", "invalid_request", message, false);
    case "REQUEST_TOO_LARGE":
      return reply(400, "invalid_request_error", "request_too_large", message, false);
    case "NO_ENDPOINT_FOR_MODEL":
      return reply(404, "invalid_request_error", "model_not_found", message, false, "model");
    case "QUEUE_FULL":
      return {
        ...reply(429, "requests", "queue_full", message, true),
        headers: {
          "retry-after": String(QUEUE_FULL_RETRY_AFTER_S),
          "retry-after-ms": String(QUEUE_FULL_RETRY_AFTER_S * 1000),
          "x-should-retry": "true",
        },
      };
    case "DEADLINE_EXCEEDED":
      return reply(504, "timeout", "deadline_exceeded", message, false);
    case "ABORTED":
      // 499 (client closed request): only seen when the caller's own signal did not end the fetch.
      return reply(499, "aborted", "aborted", message, false);
    case "AFFINITY_UNAVAILABLE":
      // The state lives on one endpoint that cannot serve now; a later retry may find it back.
      return reply(503, "server_error", "affinity_unavailable", message, true);
    case "ROUTER_CLOSED":
      return reply(503, "server_error", "router_closed", message, false);
    case "UPSTREAM_ERROR": {
      const status = upstream.status ?? 502;
      const body = upstream.body;
      return {
        status,
        body: {
          error: {
            message: body?.message !== undefined ? redact(body.message) : message,
            type: body?.type ?? "upstream_error",
            param: body?.param ?? null,
            code: body?.code ?? "upstream_error",
          },
        },
        headers: { "x-should-retry": "false" },
      };
    }
    case "ALL_ENDPOINTS_FAILED":
      return reply(upstream.status ?? 502, "upstream_error", "all_endpoints_failed", message, false);
    case "STREAM_INTERRUPTED":
      return reply(502, "upstream_error", "stream_interrupted", message, false);
    default:
      return reply(500, "server_error", error.code.toLowerCase(), message, false);
  }
}

function reply(
  status: number,
  type: string,
  code: string,
  message: string,
  retry: boolean,
  param: string | null = null,
): ErrorReply {
  return {
    status,
    body: { error: { message, type, param, code } },
    headers: { "x-should-retry": String(retry) },
  };
}

interface UpstreamBody {
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | null;
}

/** The status and error body an upstream gave, read from the router error and its SDK cause. */
function upstreamOf(error: RouterError): { status: number | undefined; body: UpstreamBody | undefined } {
  const own = (error as { status?: unknown }).status;
  const cause = error.cause as { status?: unknown; error?: unknown } | undefined;
  const status = typeof own === "number" ? own : typeof cause?.status === "number" ? cause.status : undefined;
  const raw = typeof cause?.error === "object" && cause.error !== null ? (cause.error as object) : undefined;
  if (!raw) return { status: status !== undefined && status >= 400 ? status : undefined, body: undefined };
  const r = raw as Record<string, unknown>;
  const body: UpstreamBody = {};
  if (typeof r.message === "string") body.message = r.message;
  if (typeof r.type === "string") body.type = r.type;
  if (typeof r.param === "string" || r.param === null) body.param = r.param as string | null;
  if (typeof r.code === "string" || r.code === null) body.code = r.code as string | null;
  return { status: status !== undefined && status >= 400 ? status : undefined, body };
}
