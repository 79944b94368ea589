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

/** The attribute sets a request's metrics use, built once per combination and frozen (the SDK copies them). */
export interface RequestAttributeSets {
  /** {@link metricAttributes}: the duration and time-to-first-chunk histograms, the span's core. */
  readonly metric: Readonly<OtelAttributes>;
  /** v1.41 token usage, `gen_ai.token.type` = `input` / `output`. */
  readonly input: Readonly<OtelAttributes>;
  readonly output: Readonly<OtelAttributes>;
  /** Latest: the usage counters' `gen_ai.token.modality` = `unknown`. */
  readonly modality: Readonly<OtelAttributes>;
  /** `openai_router.queue.wait`: the requested model only. */
  readonly wait: Readonly<OtelAttributes>;
}

type Level<T> = Map<string | number | undefined, T>;
const EMPTY: Readonly<OtelAttributes> = Object.freeze({});

/** `m.get(k)`, created empty on first use (a module function, so no closure per call). */
function level<T>(m: Level<Level<T>>, k: string | number | undefined): Level<T> {
  let next = m.get(k);
  if (next === undefined) {
    next = new Map();
    m.set(k, next);
  }
  return next;
}

/**
 * Attribute objects per request combination (endpoint, operation, models, error) and per attempt
 * combination, built on first use and reused: per request the router then allocates only what varies
 * (ids, times, tokens). Keys are looked up level by level (no key string built per request). Bounded:
 * past `limit` combinations of either kind (e.g. callers inventing model names) new ones are built
 * each time and not kept.
 */
export class AttributeCache {
  private readonly requests: Level<Level<Level<Level<Level<RequestAttributeSets>>>>> = new Map();
  private readonly attempts: Level<Level<Level<Level<Level<Readonly<OtelAttributes>>>>>> = new Map();
  private requestCount = 0;
  private attemptCount = 0;

  constructor(
    private readonly endpoints: ReadonlyMap<string, EndpointInfo>,
    private readonly limit = 1024,
  ) {}

  /** The attribute sets of a settled request. */
  request(c: Completion): RequestAttributeSets {
    const operation = operationOf(c.kind);
    const responseModel = responseModelOf(c);
    const errorType = c.ok ? undefined : c.error.code;
    const last = level(
      level(level(level(this.requests, c.endpoint), operation), c.requestedModel),
      responseModel,
    );
    const hit = last.get(errorType);
    if (hit) return hit;
    const metric = Object.freeze(metricAttributes(c, this.endpoints));
    const sets: RequestAttributeSets = Object.freeze({
      metric,
      input: Object.freeze({ ...metric, [ATTR.tokenType]: "input" }),
      output: Object.freeze({ ...metric, [ATTR.tokenType]: "output" }),
      modality: Object.freeze({ ...metric, [ATTR.tokenModality]: "unknown" }),
      wait: c.requestedModel ? Object.freeze({ [ATTR.requestModel]: c.requestedModel }) : EMPTY,
    });
    if (this.requestCount < this.limit) {
      this.requestCount++;
      last.set(errorType, sets);
    }
    return sets;
  }

  /**
   * An attempt span's attributes but its time to first chunk: operation, model, endpoint and where it
   * is, the attempt's number, its HTTP status and `error.type`.
   */
  attempt(operation: string, a: AttemptRecord, index: number): Readonly<OtelAttributes> {
    const outcome = a.status ?? a.errorCode;
    const last = level(level(level(level(this.attempts, a.endpoint), a.model), operation), index);
    const hit = last.get(outcome);
    if (hit) return hit;
    const info = this.endpoints.get(a.endpoint);
    const attributes: OtelAttributes = {
      [ATTR.operation]: operation,
      [ATTR.requestModel]: a.model,
      [ATTR.endpoint]: a.endpoint,
      [ATTR.attempt]: index + 1,
    };
    if (info) attributes[ATTR.provider] = info.provider;
    if (info?.address !== undefined) attributes[ATTR.serverAddress] = info.address;
    if (info?.port !== undefined) attributes[ATTR.serverPort] = info.port;
    if (a.status !== undefined) attributes[ATTR.httpStatus] = a.status;
    const errorType = attemptErrorType(a);
    if (errorType !== undefined) attributes[ATTR.errorType] = errorType;
    Object.freeze(attributes);
    if (this.attemptCount < this.limit) {
      this.attemptCount++;
      last.set(outcome, attributes);
    }
    return attributes;
  }
}
