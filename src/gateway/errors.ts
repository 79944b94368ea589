import type { ErrorReply } from "../fetch/error-response.js";

/** Stable codes of the errors the gateway itself raises (the router's own keep theirs). */
export type GatewayErrorCode =
  | "UNAUTHORIZED"
  | "MODEL_NOT_ALLOWED"
  | "CLIENT_RATE_LIMITED"
  | "CLIENT_QUEUE_FULL"
  | "CLIENT_BUDGET_TOO_SMALL"
  | "BODY_TOO_LARGE"
  | "RESPONSE_NOT_FOUND"
  | "GATEWAY_DRAINING";

interface Shape {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly retry: boolean;
  readonly param?: string;
}

/** How each gateway error goes over HTTP, in the OpenAI error shape every client parses. */
const SHAPES: Readonly<Record<GatewayErrorCode, Shape>> = {
  UNAUTHORIZED: { status: 401, type: "invalid_request_error", code: "invalid_api_key", retry: false },
  MODEL_NOT_ALLOWED: {
    status: 403,
    type: "invalid_request_error",
    code: "model_not_allowed",
    retry: false,
    param: "model",
  },
  CLIENT_RATE_LIMITED: { status: 429, type: "requests", code: "rate_limit_exceeded", retry: true },
  CLIENT_QUEUE_FULL: { status: 429, type: "requests", code: "client_queue_full", retry: true },
  CLIENT_BUDGET_TOO_SMALL: {
    status: 400,
    type: "invalid_request_error",
    code: "request_too_large",
    retry: false,
  },
  RESPONSE_NOT_FOUND: { status: 404, type: "invalid_request_error", code: "not_found", retry: false },
  BODY_TOO_LARGE: { status: 413, type: "invalid_request_error", code: "body_too_large", retry: false },
  GATEWAY_DRAINING: { status: 503, type: "server_error", code: "gateway_draining", retry: true },
};

/**
 * An error the gateway answers itself (authentication, a client's own budget, the body limit, a
 * drain), before or instead of the router. `code` is stable; the message says what to do and never
 * contains a key. Router errors keep their own classes and go through `errorReply`.
 */
export class GatewayError extends Error {
  /** Stable, machine-readable code. */
  readonly code: GatewayErrorCode;
  /** Milliseconds after which the same request would pass (429s only): the `retry-after` sent. */
  readonly retryAfterMs: number | undefined;
  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterMs?: number | undefined } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return SHAPES[this.code].status;
  }

  /** Status, OpenAI-style body and headers (`retry-after` when waiting helps). */
  reply(): ErrorReply {
    const shape = SHAPES[this.code];
    const headers: Record<string, string> = {
      "x-should-retry": String(shape.retry),
      "x-openai-router-code": this.code,
    };
    if (this.retryAfterMs !== undefined) {
      headers["retry-after"] = String(Math.max(1, Math.ceil(this.retryAfterMs / 1000)));
      headers["retry-after-ms"] = String(Math.max(0, Math.ceil(this.retryAfterMs)));
    }
    return {
      status: shape.status,
      body: {
        error: { message: this.message, type: shape.type, param: shape.param ?? null, code: shape.code },
      },
      headers,
    };
  }
}
