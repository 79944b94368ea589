import { formatGoDuration } from "./go-duration.js";

/** Which service the endpoint imitates; decides paths, auth and error wording. */
export type Flavor = "openai" | "azure";

/** An error response ready to send. */
export interface WireError {
  readonly status: number;
  /** JSON text of `{"error": {…}}`. */
  readonly body: string;
  /** Extra headers (retry-after on 429). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The openai.com error shape; Azure uses it too for validation errors. */
export function apiError(
  status: number,
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
  headers?: Readonly<Record<string, string>>,
): WireError {
  const body = JSON.stringify({ error: { message, type, param, code } });
  return headers === undefined ? { status, body } : { status, body, headers };
}

/** Azure's gateway shape, `{"error":{"code","message"}}`. */
function azureError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): WireError {
  const body = JSON.stringify({ error: { code, message } });
  return headers === undefined ? { status, body } : { status, body, headers };
}

export function invalidJson(): WireError {
  return apiError(
    400,
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    "invalid_request_error",
  );
}

export function missingParam(param: string): WireError {
  return apiError(
    400,
    `Missing required parameter: '${param}'.`,
    "invalid_request_error",
    param,
    "missing_required_parameter",
  );
}

export function invalidParam(
  param: string,
  message: string,
  code: string | null = "invalid_value",
): WireError {
  return apiError(400, message, "invalid_request_error", param, code);
}

export function unauthorized(flavor: Flavor, provided: boolean): WireError {
  if (flavor === "azure") {
    return azureError(
      401,
      "401",
      "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
    );
  }
  // The key is never echoed, not even masked: error bodies end up in logs.
  return provided
    ? apiError(401, "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key")
    : apiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "invalid_request_error",
        null,
        "invalid_api_key",
      );
}

export function unknownUrl(flavor: Flavor, method: string, path: string): WireError {
  return flavor === "azure"
    ? resourceNotFound()
    : apiError(404, `Invalid URL (${method} ${path})`, "invalid_request_error");
}

/** What Azure answers for a path it does not route, including a deployments path without api-version. */
export function resourceNotFound(): WireError {
  return azureError(404, "404", "Resource not found");
}

export function deploymentNotFound(): WireError {
  return azureError(
    404,
    "DeploymentNotFound",
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
  );
}

export function modelNotFound(model: string): WireError {
  return apiError(
    404,
    `The model \`${model}\` does not exist or you do not have access to it.`,
    "invalid_request_error",
    null,
    "model_not_found",
  );
}

/** A chat request to an embedding model, or the reverse. */
export function wrongOperation(flavor: Flavor, op: Operation, model: string): WireError {
  if (flavor === "azure") {
    return azureError(
      400,
      "OperationNotSupported",
      `The ${op === "chat" ? "chatCompletion" : op === "responses" ? "responses" : "embeddings"} operation does not work with the specified model, ${model}. Please choose different model and try again.`,
    );
  }
  return op !== "embeddings"
    ? apiError(
        404,
        `This is not a chat model and thus not supported in the v1/${op === "chat" ? "chat/completions" : "responses"} endpoint.`,
        "invalid_request_error",
        "model",
      )
    : apiError(400, `The model \`${model}\` does not support embeddings.`, "invalid_request_error", "model");
}

export type Operation = "chat" | "embeddings" | "responses";

/** Context a 429 message needs. */
export interface RateLimitContext {
  readonly flavor: Flavor;
  readonly op: Operation;
  readonly model: string;
  /** Azure quotes the api-version in its 429 text. */
  readonly apiVersion: string;
}

/**
 * Why a 429 is sent. `fault` is an injected one (a `rateLimitStormMs` storm, or `errorRate` with
 * `errorStatus: 429`); `tokens-too-large` can never succeed, so it carries no retry-after.
 */
export type RateLimitKind = "requests" | "tokens" | "tokens-too-large" | "concurrency" | "fault";

export type RateLimitDetails =
  | {
      readonly kind: Exclude<RateLimitKind, "tokens-too-large">;
      readonly retryAfterMs: number;
      readonly limit?: number | undefined;
      readonly used?: number | undefined;
      readonly requested?: number | undefined;
    }
  | { readonly kind: "tokens-too-large"; readonly limit: number; readonly requested: number };

/**
 * 429 `rate_limit_exceeded` in the service's words, with `retry-after` (whole seconds, rounded up)
 * and `retry-after-ms`, except for a request too large to ever fit: no header promises it a turn.
 */
export function rateLimited(ctx: RateLimitContext, d: RateLimitDetails): WireError {
  if (d.kind === "tokens-too-large") return tooLarge(ctx, d.limit, d.requested);
  const retryAfterMs = Math.max(1, Math.ceil(d.retryAfterMs));
  const seconds = Math.ceil(retryAfterMs / 1000);
  const headers = { "retry-after": String(seconds), "retry-after-ms": String(retryAfterMs) };
  if (ctx.flavor === "azure") {
    // Azure's text ends with the retry sentence; clients (the router too) read the wait from it.
    const extra = d.kind === "concurrency" ? ` Too many requests in flight (limit ${d.limit}).` : "";
    const retry = ` Please retry after ${seconds} second${seconds === 1 ? "" : "s"}.`;
    return azureError(429, "429", `${azureExceeded(ctx, d.kind === "tokens")}${extra}${retry}`, headers);
  }
  const where = openaiWhere(ctx);
  const wait = formatGoDuration(retryAfterMs);
  let message: string;
  switch (d.kind) {
    case "tokens":
      message = `Rate limit reached ${where} on tokens per min (TPM): Limit ${d.limit}, Used ${d.used}, Requested ${d.requested}. Please try again in ${wait}. ${VISIT}`;
      break;
    case "requests":
      message = `Rate limit reached ${where} on requests per min (RPM): Limit ${d.limit}, Used ${d.used}, Requested 1. Please try again in ${wait}. ${VISIT}`;
      break;
    case "concurrency":
      message = `Too many concurrent requests ${where}: Limit ${d.limit}. Please try again in ${wait}.`;
      break;
    case "fault":
      message = `Rate limit reached ${where} on requests per min (RPM). Please try again in ${wait}. ${VISIT}`;
      break;
  }
  return apiError(
    429,
    message,
    d.kind === "tokens" ? "tokens" : "requests",
    null,
    "rate_limit_exceeded",
    headers,
  );
}

const VISIT = "Visit https://platform.openai.com/account/rate-limits to learn more.";

function openaiWhere(ctx: RateLimitContext): string {
  return `for ${ctx.model} in organization org-sim`;
}

/** Azure's opening sentence: "token rate limit" for TPM, "call rate limit" for everything else. */
function azureExceeded(ctx: RateLimitContext, tokens: boolean): string {
  const operation =
    ctx.op === "chat"
      ? "ChatCompletions_Create"
      : ctx.op === "responses"
        ? "Responses_Create"
        : "Embeddings_Create";
  return `Requests to the ${operation} Operation under Azure OpenAI API version ${ctx.apiVersion} have exceeded ${tokens ? "token" : "call"} rate limit of your current OpenAI S0 pricing tier.`;
}

/** A charge above the whole TPM bucket: a 429 like the others, but with nothing to wait for. */
function tooLarge(ctx: RateLimitContext, limit: number, requested: number): WireError {
  if (ctx.flavor === "azure") {
    return azureError(
      429,
      "429",
      `${azureExceeded(ctx, true)} This request's token charge (${requested}) exceeds the limit of ${limit} tokens per minute: reduce the prompt or max_tokens, as retrying will not help.`,
    );
  }
  return apiError(
    429,
    `Request too large ${openaiWhere(ctx)} on tokens per min (TPM): Limit ${limit}, Requested ${requested}. The input or output tokens must be reduced in order to run successfully. ${VISIT}`,
    "tokens",
    null,
    "rate_limit_exceeded",
  );
}

export function insufficientQuota(): WireError {
  return apiError(
    429,
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "insufficient_quota",
    null,
    "insufficient_quota",
  );
}

const SERVER_ERRORS: Readonly<Record<number, readonly [azureCode: string, message: string]>> = {
  500: ["InternalServerError", "The server had an error while processing your request. Sorry about that!"],
  502: ["BadGateway", "Bad gateway."],
  503: ["ServiceUnavailable", "The server is overloaded or not ready yet."],
  504: ["GatewayTimeout", "Gateway timeout."],
};

/**
 * The error injected by the `errorRate` fault. A 429 looks like a real rate limit (code, type,
 * wording and `retry-after` of `retryAfterMs`); other statuses get a plain body of their kind.
 */
export function injectedError(ctx: RateLimitContext, status: number, retryAfterMs: number): WireError {
  if (status === 429) return rateLimited(ctx, { kind: "fault", retryAfterMs });
  if (status < 500) {
    return apiError(status, `Simulated error (status ${status}).`, "invalid_request_error");
  }
  const [azureCode, message] = SERVER_ERRORS[status] ?? [
    "ServerError",
    `Simulated server error (status ${status}).`,
  ];
  return ctx.flavor === "azure"
    ? azureError(status, azureCode, message)
    : apiError(status, message, "server_error");
}
