import type { AttemptRecord } from "../../errors.js";
import type { Completion } from "../../types.js";
import {
  attemptErrorType,
  type EndpointInfo,
  metricAttributes,
  operationOf,
  responseModelOf,
} from "./describe.js";
import { ATTR } from "./semconv.js";
import type { OtelAttributes } from "./types.js";

/** `SpanStatusCode.ERROR` of `@opentelemetry/api` (a stable numeric value). */
export const STATUS_ERROR = 2;

/** A span status as `span.setStatus` takes it. */
export interface OtelStatus {
  readonly code: number;
  readonly message?: string;
}

/**
 * What a request's spans and metrics share across requests of one combination (endpoint, kind,
 * requested and used model, response model, outcome): built on first use, frozen (the SDK copies
 * what it is given), reused.
 */
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
  /**
   * The request span's attributes known when it starts, what samplers see: {@link metric} plus the
   * router's low-cardinality ones (model used, fallback used, stream) and `openai.api.type`.
   */
  readonly span: Readonly<OtelAttributes>;
  /** `{operation} {requested model}` (the operation alone without a model). */
  readonly spanName: string;
  readonly operation: string;
  /** Whether the endpoint is the `openai` provider (its conventions add `openai.*` attributes). */
  readonly openai: boolean;
}

/** One attempt span's constant parts. */
export interface AttemptAttributeSet {
  /** Everything but its time to first chunk. */
  readonly attributes: Readonly<OtelAttributes>;
  /** `{operation} {model} via {endpoint}`. */
  readonly name: string;
  /** The error status of a failed attempt (`error.type` as its message), undefined when it succeeded. */
  readonly status: OtelStatus | undefined;
}

type Level<T> = Map<string | number | boolean | undefined, T>;
type Levels2<T> = Level<Level<T>>;
type Levels3<T> = Level<Levels2<T>>;
type Levels5<T> = Levels2<Levels3<T>>;
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

/** `openai.api.type`: which OpenAI API the operation used (undefined for embeddings: no value is defined). */
function apiTypeOf(kind: Completion["kind"]): string | undefined {
  if (kind === "chat" || kind === "stream") return "chat_completions";
  return kind.startsWith("responses") ? "responses" : undefined;
}

/**
 * Attribute objects per request combination and per attempt combination, built on first use and
 * reused: per request the router then allocates nothing for its spans' and metrics' attributes (the
 * values that vary, ids, times, tokens, are set on the span one by one). Keys are looked up level by
 * level (no key string built), after a check of the last combination seen, which is the usual one.
 * Bounded: past `limit` combinations of a kind (e.g. callers inventing model names) new ones are built
 * each time and not kept.
 */
export class AttributeCache {
  private readonly requests: Level<Levels5<RequestAttributeSets>> = new Map();
  private readonly attempts: Levels5<AttemptAttributeSet> = new Map();
  private readonly retries: Levels2<Readonly<OtelAttributes>> = new Map();
  private readonly fallbacks: Levels2<Readonly<OtelAttributes>> = new Map();
  private requestCount = 0;
  private attemptCount = 0;
  private retryCount = 0;
  private fallbackCount = 0;
  // The last request combination looked up, and its sets (undefined until one was kept).
  private lastSets: RequestAttributeSets | undefined;
  private lastEndpoint: string | undefined;
  private lastKind: string | undefined;
  private lastRequested: string | undefined;
  private lastModel: string | undefined;
  private lastResponseModel: string | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly endpoints: ReadonlyMap<string, EndpointInfo>,
    private readonly limit = 1024,
  ) {}

  /** The attribute sets of a settled request. */
  request(c: Completion): RequestAttributeSets {
    const responseModel = responseModelOf(c);
    const errorType = c.ok ? undefined : c.error.code;
    const last = this.lastSets;
    if (
      last !== undefined &&
      this.lastEndpoint === c.endpoint &&
      this.lastKind === c.kind &&
      this.lastRequested === c.requestedModel &&
      this.lastModel === c.model &&
      this.lastResponseModel === responseModel &&
      this.lastError === errorType
    )
      return last;
    const leaf = level(
      level(level(level(level(this.requests, c.endpoint), c.kind), c.requestedModel), c.model),
      responseModel,
    );
    let sets = leaf.get(errorType);
    if (sets === undefined) {
      sets = requestSets(c, this.endpoints);
      if (this.requestCount >= this.limit) return sets;
      this.requestCount++;
      leaf.set(errorType, sets);
    }
    this.lastSets = sets;
    this.lastEndpoint = c.endpoint;
    this.lastKind = c.kind;
    this.lastRequested = c.requestedModel;
    this.lastModel = c.model;
    this.lastResponseModel = responseModel;
    this.lastError = errorType;
    return sets;
  }

  /**
   * An attempt span's constant parts: operation, model, endpoint and where it is, the attempt's
   * number, its HTTP status and `error.type`, its name and status.
   */
  attempt(operation: string, a: AttemptRecord, index: number): AttemptAttributeSet {
    const outcome = a.status ?? a.errorCode;
    const leaf = level(level(level(level(this.attempts, a.endpoint), a.model), operation), index);
    const hit = leaf.get(outcome);
    if (hit) return hit;
    const set = attemptSet(operation, a, index, this.endpoints.get(a.endpoint));
    if (this.attemptCount < this.limit) {
      this.attemptCount++;
      leaf.set(outcome, set);
    }
    return set;
  }

  /** `openai_router.retries`' attributes for an attempt that was followed by another one. */
  retry(a: AttemptRecord): Readonly<OtelAttributes> {
    const errorType = attemptErrorType(a) ?? "_OTHER";
    const leaf = level(this.retries, a.endpoint);
    let set = leaf.get(errorType);
    if (set === undefined) {
      set = Object.freeze({ [ATTR.endpoint]: a.endpoint, [ATTR.errorType]: errorType });
      if (this.retryCount < this.limit) {
        this.retryCount++;
        leaf.set(errorType, set);
      }
    }
    return set;
  }

  /** `openai_router.fallbacks`' attributes for a request answered by a fallback model. */
  fallback(c: Completion): Readonly<OtelAttributes> {
    const leaf = level(this.fallbacks, c.requestedModel);
    let set = leaf.get(c.model);
    if (set === undefined) {
      set = Object.freeze({ [ATTR.requestModel]: c.requestedModel, [ATTR.model]: c.model });
      if (this.fallbackCount < this.limit) {
        this.fallbackCount++;
        leaf.set(c.model, set);
      }
    }
    return set;
  }
}

function requestSets(c: Completion, endpoints: ReadonlyMap<string, EndpointInfo>): RequestAttributeSets {
  const operation = operationOf(c.kind);
  const metric = Object.freeze(metricAttributes(c, endpoints));
  const openai = metric[ATTR.provider] === "openai";
  const span: OtelAttributes = { ...metric };
  span[ATTR.model] = c.model;
  span[ATTR.fallbackUsed] = c.model !== c.requestedModel;
  if (c.kind === "stream") span[ATTR.stream] = true;
  // The openai provider's own attributes (its conventions, docs/gen-ai/openai.md of v1.41.0).
  const apiType = openai ? apiTypeOf(c.kind) : undefined;
  if (apiType !== undefined) span[ATTR.openaiApiType] = apiType;
  return Object.freeze({
    metric,
    input: Object.freeze({ ...metric, [ATTR.tokenType]: "input" }),
    output: Object.freeze({ ...metric, [ATTR.tokenType]: "output" }),
    modality: Object.freeze({ ...metric, [ATTR.tokenModality]: "unknown" }),
    wait: c.requestedModel ? Object.freeze({ [ATTR.requestModel]: c.requestedModel }) : EMPTY,
    span: Object.freeze(span),
    spanName: c.requestedModel ? `${operation} ${c.requestedModel}` : operation,
    operation,
    openai,
  });
}

function attemptSet(
  operation: string,
  a: AttemptRecord,
  index: number,
  info: EndpointInfo | undefined,
): AttemptAttributeSet {
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
  return Object.freeze({
    attributes: Object.freeze(attributes),
    name: `${operation} ${a.model} via ${a.endpoint}`,
    status: errorType === undefined ? undefined : Object.freeze({ code: STATUS_ERROR, message: errorType }),
  });
}
