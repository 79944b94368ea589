import type { Attributes } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import { AlwaysOffSampler, type Sampler, SamplingDecision } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import type { Completion } from "../../../src/index.js";
import type { OtelTracer } from "../../../src/metrics/otel/types.js";
import { closeAll, setup, workload } from "./rig.js";
import { points } from "./sdk.js";

/**
 * Sampling: a request span starts with the attributes known when the request started (what samplers
 * see), and a request span the sampler dropped costs one `startSpan` and nothing else (no attempt
 * spans, no per-request attributes), while its metrics are recorded as usual.
 */

afterEach(closeAll);

/** Wraps a tracer to list the names of the spans the router starts. */
function counting(started: string[]) {
  return (inner: OtelTracer): OtelTracer => ({
    startSpan(name, options, context) {
      started.push(name);
      return inner.startSpan(name, options, context);
    },
  });
}

/** Drops request spans (not attempts) of requests answered by `east`, from their start attributes. */
class DropEast implements Sampler {
  readonly seen: Attributes[] = [];
  shouldSample(_context: unknown, _traceId: string, name: string, _kind: unknown, attributes: Attributes) {
    if (name.includes(" via ")) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    this.seen.push({ ...attributes });
    return {
      decision:
        attributes["openai_router.endpoint"] === "east"
          ? SamplingDecision.NOT_RECORD
          : SamplingDecision.RECORD_AND_SAMPLED,
    };
  }
  toString() {
    return "DropEast";
  }
}

describe("sampling", () => {
  // Breaks if the router started attempt spans under a dropped request span, wrote anything for it,
  // or stopped recording metrics for sampled-out requests.
  it("starts nothing more for a request span the sampler dropped, and still records its metrics", async () => {
    const started: string[] = [];
    const { router, fleet, sdk } = await setup(undefined, {
      sampler: new AlwaysOffSampler(),
      tracer: counting(started),
    });
    const settled: Completion[] = [];
    router.completions$.subscribe((c) => settled.push(c));
    await workload(router, fleet);
    expect(settled).toHaveLength(6);
    expect(settled.some((c) => c.attempts.length > 1)).toBe(true); // the retry
    // One startSpan per request, none per attempt.
    expect(started).toHaveLength(6);
    expect(started.filter((n) => n.includes(" via "))).toEqual([]);
    expect(sdk.finished()).toHaveLength(0);
    const duration = (await sdk.collect()).get("gen_ai.client.operation.duration");
    expect(points<Histogram>(duration).reduce((n, p) => n + p.value.count, 0)).toBe(6);
  });

  // Breaks if samplers saw none of the request's start attributes (they could not sample by endpoint,
  // model or operation), saw per-request values (ids, tokens: not known when a request starts), or if
  // a kept request lost its attempts or values because another was dropped.
  it("lets samplers decide on the attributes known at the start, and keeps the sampled requests whole", async () => {
    const started: string[] = [];
    const sampler = new DropEast();
    const { router, fleet, sdk } = await setup(undefined, { sampler, tracer: counting(started) });
    const settled: Completion[] = [];
    router.completions$.subscribe((c) => settled.push(c));
    await workload(router, fleet);

    expect(sampler.seen).toHaveLength(6);
    for (const attributes of sampler.seen) {
      expect(attributes["gen_ai.operation.name"]).toMatch(/^(chat|embeddings)$/);
      expect(attributes["openai_router.request.id"]).toBeUndefined();
      expect(attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    }
    expect(sampler.seen.filter((a) => a["openai_router.endpoint"] === "east").length).toBeGreaterThan(0);

    const kept = settled.filter((c) => c.endpoint !== "east");
    const dropped = settled.filter((c) => c.endpoint === "east");
    expect(dropped.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    const keptSpans = kept.reduce((n, c) => n + 1 + c.attempts.length, 0);
    expect(started).toHaveLength(keptSpans + dropped.length);
    const spans = sdk.finished();
    expect(spans).toHaveLength(keptSpans);
    for (const c of kept) {
      const span = spans.find((s) => s.attributes["openai_router.request.id"] === c.id);
      expect(span?.attributes["openai_router.attempts"]).toBe(c.attempts.length);
      const children = spans.filter((s) => s.parentSpanContext?.spanId === span?.spanContext().spanId);
      expect(children).toHaveLength(c.attempts.length);
    }
  });
});
