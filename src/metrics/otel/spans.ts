import type { AttemptRecord } from "../../errors.js";
import type { Completion } from "../../types.js";
import { type AttributeCache, operationOf, queueWaitS, timeToFirstChunkS, tokensOf } from "./describe.js";
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
    private readonly attributeSets: AttributeCache,
  ) {}

  /** `parent`: the caller's context captured when the request arrived (undefined: the active one now). */
  write(c: Completion, parent: unknown, arrivedAt: number, now: number): void {
    const { tracer, api } = this;
    const operation = operationOf(c.kind);
    const sets = this.attributeSets.request(c);
    // The cached core, then what varies per request. Passed whole at startSpan: one copy by the SDK
    // instead of a call per attribute (and samplers see them).
    const attributes: OtelAttributes = { ...sets.metric };
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
      attributes[ATTR.finishReasons] = finishReasons(c.response.choices);
    }
    // The openai provider's own attributes (its conventions, docs/gen-ai/openai.md of v1.41.0).
    if (sets.metric[ATTR.provider] === "openai") {
      put(attributes, ATTR.openaiApiType, apiTypeOf(c.kind));
      const r = c.ok
        ? (c.response as { service_tier?: unknown; system_fingerprint?: unknown } | undefined)
        : undefined;
      if (typeof r?.service_tier === "string") attributes[ATTR.openaiServiceTier] = r.service_tier;
      if (typeof r?.system_fingerprint === "string")
        attributes[ATTR.openaiFingerprint] = r.system_fingerprint;
    }
    const name = c.requestedModel ? `${operation} ${c.requestedModel}` : operation;
    const from = parent ?? api.context.active();
    const span = tracer.startSpan(name, { kind: SPAN_KIND_CLIENT, attributes, startTime: arrivedAt }, from);
    if (!c.ok) span.setStatus({ code: STATUS_ERROR, message: c.error.message });

    const attempts = c.attempts;
    if (attempts.length > 0) {
      const context = api.trace.setSpan(from, span);
      for (let i = 0; i < attempts.length; i++) {
        const a = attempts[i] as AttemptRecord;
        const startedAt = a.startedAt ?? arrivedAt;
        let childAttributes = this.attributeSets.attempt(operation, a, i);
        if (a.ttftMs !== undefined)
          childAttributes = { ...childAttributes, [ATTR.timeToFirstChunk]: a.ttftMs / 1000 };
        const child = tracer.startSpan(
          `${operation} ${a.model} via ${a.endpoint}`,
          { kind: SPAN_KIND_CLIENT, startTime: startedAt, attributes: childAttributes },
          context,
        );
        const errorType = childAttributes[ATTR.errorType];
        if (typeof errorType === "string") child.setStatus({ code: STATUS_ERROR, message: errorType });
        child.end(startedAt + a.durationMs);
      }
    }
    span.end(now);
  }
}

/** One frozen array per finish reason for the usual single choice (the SDK copies arrays it is given). */
const SINGLE_REASON = new Map<string, readonly string[]>();

/** `gen_ai.response.finish_reasons`: one entry per choice. */
function finishReasons(choices: readonly { finish_reason?: string | null }[]): string[] {
  if (choices.length !== 1) return choices.map((choice) => choice.finish_reason ?? "");
  const reason = choices[0]?.finish_reason ?? "";
  let cached = SINGLE_REASON.get(reason);
  if (!cached) {
    cached = Object.freeze([reason]);
    // Finish reasons are a handful of service-defined words; the bound only guards odd services.
    if (SINGLE_REASON.size < 64) SINGLE_REASON.set(reason, cached);
  }
  return cached as string[];
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
