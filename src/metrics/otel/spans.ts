import type { AttemptRecord } from "../../errors.js";
import type { Completion } from "../../types.js";
import { type AttributeCache, type RequestAttributeSets, STATUS_ERROR } from "./attribute-cache.js";
import type { RequestFacts } from "./describe.js";
import type { OtelApi } from "./load.js";
import { ATTR } from "./semconv.js";
import type { OtelSpan, OtelTracer } from "./types.js";

/** `SpanKind.CLIENT` of `@opentelemetry/api` (a stable numeric value). */
const SPAN_KIND_CLIENT = 2;

/**
 * Writes one request's spans once it settled: the request span (`{operation} {model}`, CLIENT) from
 * its arrival to its outcome, and one child per attempt (`{operation} {model} via {endpoint}`) at the
 * times the attempt ran. Built from the completion alone, so nothing runs while the request is live.
 *
 * A span starts with its cached, frozen attribute set (what samplers see: the attributes known when
 * a request starts); the values that vary per request are set on it one by one, only when it records.
 * The SDK copies a start set twice (before and after the sampler) and each `setAttribute` once, so
 * this way it copies the varying values once, and the router builds no object per request.
 */
export class SpanWriter {
  constructor(
    private readonly tracer: OtelTracer,
    private readonly api: OtelApi,
    private readonly attributeSets: AttributeCache,
  ) {}

  /** `parent`: the caller's context captured when the request arrived (undefined: the active one now). */
  write(
    c: Completion,
    sets: RequestAttributeSets,
    facts: RequestFacts,
    parent: unknown,
    arrivedAt: number,
    now: number,
  ): void {
    const { tracer, api } = this;
    const from = parent ?? api.context.active();
    const span = tracer.startSpan(
      sets.spanName,
      { kind: SPAN_KIND_CLIENT, attributes: sets.span, startTime: arrivedAt },
      from,
    );
    // Sampled out: nothing set on it would be kept, and its attempts would be dropped with it (every
    // standard sampler decides a child as its trace's root: ParentBased by its parent, the ratio
    // sampler by the shared trace id), so none are started.
    if (!span.isRecording()) {
      span.end(now);
      return;
    }
    setRequestValues(span, c, facts, sets.openai);
    if (!c.ok) span.setStatus({ code: STATUS_ERROR, message: c.error.message });

    const attempts = c.attempts;
    if (attempts.length > 0) {
      const context = api.trace.setSpan(from, span);
      for (let i = 0; i < attempts.length; i++) {
        const a = attempts[i] as AttemptRecord;
        const startedAt = a.startedAt ?? arrivedAt;
        const set = this.attributeSets.attempt(sets.operation, a, i);
        const child = tracer.startSpan(
          set.name,
          { kind: SPAN_KIND_CLIENT, startTime: startedAt, attributes: set.attributes },
          context,
        );
        if (a.ttftMs !== undefined) child.setAttribute(ATTR.timeToFirstChunk, a.ttftMs / 1000);
        if (set.status !== undefined) child.setStatus(set.status);
        child.end(startedAt + a.durationMs);
      }
    }
    span.end(now);
  }
}

/** The request span's per-request values (those absent from the completion are not set). */
function setRequestValues(span: OtelSpan, c: Completion, facts: RequestFacts, openai: boolean): void {
  span.setAttribute(ATTR.requestId, c.id);
  span.setAttribute(ATTR.attempts, c.attempts.length);
  if (facts.queueWaitS !== undefined) span.setAttribute(ATTR.queueWait, facts.queueWaitS);
  if (facts.timeToFirstChunkS !== undefined)
    span.setAttribute(ATTR.timeToFirstChunk, facts.timeToFirstChunkS);
  if (facts.hasTokens) {
    if (facts.input !== undefined) span.setAttribute(ATTR.inputTokens, facts.input);
    if (facts.output !== undefined) span.setAttribute(ATTR.outputTokens, facts.output);
    if (facts.cacheRead !== undefined) span.setAttribute(ATTR.cacheReadTokens, facts.cacheRead);
    if (facts.reasoning !== undefined) span.setAttribute(ATTR.reasoningTokens, facts.reasoning);
  }
  if (!c.ok || !c.response) return;
  const r = c.response as {
    id?: unknown;
    choices?: readonly { finish_reason?: string | null }[];
    service_tier?: unknown;
    system_fingerprint?: unknown;
  };
  if (r.choices !== undefined) {
    if (typeof r.id === "string") span.setAttribute(ATTR.responseId, r.id);
    span.setAttribute(ATTR.finishReasons, finishReasons(r.choices));
  }
  // The openai provider's own attributes (its conventions, docs/gen-ai/openai.md of v1.41.0).
  if (!openai) return;
  if (typeof r.service_tier === "string") span.setAttribute(ATTR.openaiServiceTier, r.service_tier);
  if (typeof r.system_fingerprint === "string")
    span.setAttribute(ATTR.openaiFingerprint, r.system_fingerprint);
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
