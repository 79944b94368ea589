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

/**
 * What varies per request and its spans and metrics both need, read once from its completion: queue
 * wait, time to first chunk, the token counts of its usage (counts the endpoint did not report stay
 * undefined). One instance is reused for every request (its shape never changes).
 */
export class RequestFacts {
  /** Seconds in the queue before the first attempt (see {@link queueWaitS}). */
  queueWaitS: number | undefined = undefined;
  /** Seconds from arrival to a successful stream's first content (see {@link timeToFirstChunkS}). */
  timeToFirstChunkS: number | undefined = undefined;
  /** Whether the completion reported usage an instrument records (a successful inference or embeddings). */
  hasTokens = false;
  input: number | undefined = undefined;
  output: number | undefined = undefined;
  cacheRead: number | undefined = undefined;
  reasoning: number | undefined = undefined;

  /** Reads a settled request's facts (replacing the previous request's). */
  read(c: Completion, arrivedAt: number): this {
    this.queueWaitS = queueWaitS(c, arrivedAt);
    this.timeToFirstChunkS = timeToFirstChunkS(c, arrivedAt);
    this.hasTokens = c.ok && !!c.usage && (isInference(c.kind) || c.kind === "embeddings");
    if (!this.hasTokens) {
      this.input = this.output = this.cacheRead = this.reasoning = undefined;
      return this;
    }
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
    this.input = u.prompt_tokens ?? u.input_tokens;
    this.output = c.kind === "embeddings" ? undefined : (u.completion_tokens ?? u.output_tokens);
    this.cacheRead =
      u.prompt_tokens_details?.cached_tokens ?? u.input_tokens_details?.cached_tokens ?? undefined;
    this.reasoning =
      u.completion_tokens_details?.reasoning_tokens ?? u.output_tokens_details?.reasoning_tokens ?? undefined;
    return this;
  }
}

/**
 * The model the endpoint said answered: `response.model`, or for a stream (whose chunks went to the
 * caller) what its last attempt read from the stream's start (see {@link streamModelOf}).
 */
export function responseModelOf(c: Completion): string | undefined {
  if (!c.ok) return undefined;
  const model = (c.response as { model?: unknown } | undefined)?.model;
  if (typeof model === "string") return model;
  return c.attempts.at(-1)?.responseModel;
}

/**
 * The model a stream says answered, from the items read before its first content (the router buffers
 * them): a chat stream's first chunk's `model`; a Responses stream's `response.created` event's
 * `response.model`. Undefined when the stream did not say.
 */
export function streamModelOf(items: readonly unknown[]): string | undefined {
  for (const item of items) {
    const value = item as { type?: unknown; model?: unknown; response?: { model?: unknown } | null };
    if (typeof value?.type === "string") {
      // Responses events: only response.created carries the response before any output.
      if (value.type !== "response.created") continue;
      const model = value.response?.model;
      return typeof model === "string" && model !== "" ? model : undefined;
    }
    // A chat chunk: the first one that names a model (some services leave it empty on the first).
    if (typeof value?.model === "string" && value.model !== "") return value.model;
  }
  return undefined;
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
