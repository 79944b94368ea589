import type { Completion } from "../../types.js";
import {
  attemptErrorType,
  type EndpointInfo,
  metricAttributes,
  operationOf,
  queueWaitS,
  timeToFirstChunkS,
  tokensOf,
} from "./describe.js";
import type { OtelApi } from "./load.js";
import { ATTR } from "./semconv.js";
import type { OtelAttributes, OtelTracer } from "./types.js";

/** `SpanKind.CLIENT` and `SpanStatusCode.ERROR` of `@opentelemetry/api` (stable numeric values). */
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

/**
 * Writes one request's spans once it settled: the request span (`{operation} {model}`, CLIENT) from
 * its arrival to its outcome, and one child per attempt (`{operation} {model} via {endpoint}`) at the
 * times the attempt ran. Built from the completion alone, so nothing runs while the request is live.
 */
export class SpanWriter {
  constructor(
    private readonly tracer: OtelTracer,
    private readonly api: OtelApi,
    private readonly endpoints: ReadonlyMap<string, EndpointInfo>,
  ) {}

  /** `parent`: the caller's context captured when the request arrived (undefined: the active one now). */
  write(c: Completion, parent: unknown, arrivedAt: number, now: number): void {
    const { tracer, api, endpoints } = this;
    const operation = operationOf(c.kind);
    const attributes = metricAttributes(c, endpoints);
    attributes[ATTR.requestId] = c.id;
    attributes[ATTR.model] = c.model;
    attributes[ATTR.attempts] = c.attempts.length;
    attributes[ATTR.fallbackUsed] = c.model !== c.requestedModel;
    put(attributes, ATTR.queueWait, queueWaitS(c, arrivedAt));
    if (c.kind === "stream") attributes[ATTR.stream] = true;
    put(attributes, ATTR.timeToFirstChunk, timeToFirstChunkS(c, arrivedAt));
    const tokens = tokensOf(c);
    if (tokens) {
      put(attributes, ATTR.inputTokens, tokens.input);
      put(attributes, ATTR.outputTokens, tokens.output);
      put(attributes, ATTR.cacheReadTokens, tokens.cacheRead);
      put(attributes, ATTR.reasoningTokens, tokens.reasoning);
    }
    if (c.ok && c.response && "choices" in c.response) {
      attributes[ATTR.responseId] = c.response.id;
      attributes[ATTR.finishReasons] = c.response.choices.map((choice) => choice.finish_reason ?? "");
    }
    // The openai provider's own attributes (its conventions, docs/gen-ai/openai.md of v1.41.0).
    if (attributes[ATTR.provider] === "openai") {
      put(attributes, ATTR.openaiApiType, apiTypeOf(c.kind));
      const r = c.ok
        ? (c.response as { service_tier?: unknown; system_fingerprint?: unknown } | undefined)
        : undefined;
      if (typeof r?.service_tier === "string") attributes[ATTR.openaiServiceTier] = r.service_tier;
      if (typeof r?.system_fingerprint === "string")
        attributes[ATTR.openaiFingerprint] = r.system_fingerprint;
    }
    const name = c.requestedModel ? `${operation} ${c.requestedModel}` : operation;
    const span = tracer.startSpan(
      name,
      { kind: SPAN_KIND_CLIENT, attributes, startTime: arrivedAt },
      parent ?? api.context.active(),
    );
    if (!c.ok) span.setStatus({ code: STATUS_ERROR, message: c.error.message });

    if (c.attempts.length > 0) {
      const context = api.trace.setSpan(parent ?? api.context.active(), span);
      c.attempts.forEach((a, i) => {
        const info = endpoints.get(a.endpoint);
        const startedAt = a.startedAt ?? arrivedAt;
        const errorType = attemptErrorType(a);
        const childAttributes: OtelAttributes = {
          [ATTR.operation]: operation,
          [ATTR.requestModel]: a.model,
          [ATTR.endpoint]: a.endpoint,
          [ATTR.attempt]: i + 1,
        };
        put(childAttributes, ATTR.provider, info?.provider);
        put(childAttributes, ATTR.serverAddress, info?.address);
        put(childAttributes, ATTR.serverPort, info?.port);
        put(childAttributes, ATTR.httpStatus, a.status);
        put(childAttributes, ATTR.errorType, errorType);
        put(childAttributes, ATTR.timeToFirstChunk, a.ttftMs !== undefined ? a.ttftMs / 1000 : undefined);
        const child = tracer.startSpan(
          `${operation} ${a.model} via ${a.endpoint}`,
          { kind: SPAN_KIND_CLIENT, startTime: startedAt, attributes: childAttributes },
          context,
        );
        if (errorType !== undefined) child.setStatus({ code: STATUS_ERROR, message: errorType });
        child.end(startedAt + a.durationMs);
      });
    }
    span.end(now);
  }
}

/** `openai.api.type`: which OpenAI API the operation used (undefined for embeddings: no value is defined). */
function apiTypeOf(kind: Completion["kind"]): string | undefined {
  if (kind === "chat" || kind === "stream") return "chat_completions";
  return kind.startsWith("responses") ? "responses" : undefined;
}

/**
 * Sets an attribute only when it has a value: undefined values would make the SDK warn, and deleting
 * them afterwards would turn the object into a slow dictionary the SDK then iterates.
 */
function put(attributes: OtelAttributes, key: string, value: OtelAttributes[string]): void {
  if (value !== undefined) attributes[key] = value;
}
