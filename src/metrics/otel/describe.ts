import type { AttemptRecord } from "../../errors.js";
import type { Completion } from "../../types.js";
import { ATTR, providerName } from "./semconv.js";
import type { OtelAttributes } from "./types.js";

/** What spans and metrics say about an endpoint: never its key, only where it is. */
export interface EndpointInfo {
  readonly provider: "openai" | "azure.ai.openai";
  readonly address: string | undefined;
  readonly port: number | undefined;
}

const OPENAI_DEFAULT_URL = "https://api.openai.com/v1";

/** `server.address` / `server.port` of an endpoint's base URL (the default port of its scheme when none). */
export function endpointInfo(endpoint: {
  readonly type: "azure" | "openai";
  readonly endpoint?: string;
  readonly baseURL?: string | undefined;
}): EndpointInfo {
  const raw = endpoint.type === "azure" ? endpoint.endpoint : (endpoint.baseURL ?? OPENAI_DEFAULT_URL);
  let address: string | undefined;
  let port: number | undefined;
  try {
    const url = new URL(raw ?? "");
    address = url.hostname;
    port = url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
  } catch {
    address = undefined;
  }
  return { provider: providerName(endpoint.type), address, port };
}

/**
 * `gen_ai.operation.name` of a completion's kind: chat completions, streams and Responses `create` are
 * `chat`; reading a stored response is `fetch_response` (a well-known value of the latest
 * conventions); deleting or cancelling one has no well-known value, so it gets a custom one.
 */
export function operationOf(kind: Completion["kind"]): string {
  switch (kind) {
    case "embeddings":
      return "embeddings";
    case "responses.retrieve":
    case "responses.input_items":
      return "fetch_response";
    case "responses.delete":
      return "delete_response";
    case "responses.cancel":
      return "cancel_response";
    default:
      return "chat";
  }
}

/** Whether an operation generates (inference): only those report tokens and use the inference metrics. */
export const isInference = (kind: Completion["kind"]): boolean =>
  kind === "chat" || kind === "stream" || kind === "responses";

/** `error.type` of a failed attempt: its HTTP status when the endpoint answered, else the failure's code. */
export function attemptErrorType(a: AttemptRecord): string | undefined {
  if (a.status !== undefined) return a.status >= 400 ? String(a.status) : undefined;
  return a.errorCode ?? "_OTHER";
}

/** Token counts of a completion's usage (chat or embeddings); counts the endpoint did not report stay absent. */
export interface TokenCounts {
  readonly input: number | undefined;
  readonly output: number | undefined;
  readonly cacheRead: number | undefined;
  readonly reasoning: number | undefined;
}

/** The token counts of a successful completion's usage. */
export function tokensOf(c: Completion): TokenCounts | undefined {
  if (!c.ok || !c.usage || !(isInference(c.kind) || c.kind === "embeddings")) return undefined;
  const u = c.usage as {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
    // The Responses API's usage.
    input_tokens?: number;
    output_tokens?: number;
    input_tokens_details?: { cached_tokens?: number } | null;
    output_tokens_details?: { reasoning_tokens?: number } | null;
  };
  return {
    input: u.prompt_tokens ?? u.input_tokens,
    output: c.kind === "embeddings" ? undefined : (u.completion_tokens ?? u.output_tokens),
    cacheRead: u.prompt_tokens_details?.cached_tokens ?? u.input_tokens_details?.cached_tokens ?? undefined,
    reasoning:
      u.completion_tokens_details?.reasoning_tokens ?? u.output_tokens_details?.reasoning_tokens ?? undefined,
  };
}

/** The model the endpoint said answered (`response.model`); streams do not keep it. */
export function responseModelOf(c: Completion): string | undefined {
  if (!c.ok || !c.response) return undefined;
  const model = (c.response as { model?: unknown }).model;
  return typeof model === "string" ? model : undefined;
}

/** The time from arrival to the first content chunk of a stream that succeeded, in seconds. */
export function timeToFirstChunkS(c: Completion, arrivedAt: number): number | undefined {
  if (!c.ok) return undefined;
  const last = c.attempts.at(-1);
  if (last?.ttftMs === undefined || last.startedAt === undefined) return undefined;
  return (last.startedAt - arrivedAt + last.ttftMs) / 1000;
}

/** Queue wait before the first attempt (or the whole life of a request that never got one), seconds. */
export function queueWaitS(c: Completion, arrivedAt: number): number | undefined {
  const first = c.attempts[0];
  if (first?.startedAt !== undefined) return Math.max(0, first.startedAt - arrivedAt) / 1000;
  return c.attempts.length === 0 && c.latencyMs > 0 ? c.latencyMs / 1000 : undefined;
}

/**
 * The low-cardinality attributes a request's GenAI metrics carry (also the core of its span): the
 * operation, the provider and address of the endpoint that answered last, models, `error.type`.
 */
export function metricAttributes(
  c: Completion,
  endpoints: ReadonlyMap<string, EndpointInfo>,
): OtelAttributes {
  const info = c.endpoint !== undefined ? endpoints.get(c.endpoint) : undefined;
  const attributes: OtelAttributes = { [ATTR.operation]: operationOf(c.kind) };
  if (c.requestedModel) attributes[ATTR.requestModel] = c.requestedModel;
  if (info) {
    attributes[ATTR.provider] = info.provider;
    if (info.address !== undefined) attributes[ATTR.serverAddress] = info.address;
    if (info.port !== undefined) attributes[ATTR.serverPort] = info.port;
    attributes[ATTR.endpoint] = c.endpoint;
  }
  const responseModel = responseModelOf(c);
  if (responseModel) attributes[ATTR.responseModel] = responseModel;
  if (!c.ok) attributes[ATTR.errorType] = c.error.code;
  return attributes;
}
