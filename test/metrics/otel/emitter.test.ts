import type { MetricData } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_BODY, inMemoryFetch } from "../../../bench/lib/fixtures.js";
import { sdkEmitter } from "../../../bench/lib/otel.js";
import { createRouter, type Router } from "../../../src/index.js";
import { written } from "./rig.js";
import { otelSdk } from "./sdk.js";

/**
 * The benchmarks split what an instrumented router costs into the OpenTelemetry SDK's own share and
 * the router's, by timing `sdkEmitter` (bench/lib/otel.ts): the SDK calls for what the router emits,
 * with no router code. That split is only honest while the emitter writes what the router writes.
 */

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

/** bench/instrument-cost.ts' router: one openai endpoint on the in-memory fetch. */
function benchRouter(sdk: ReturnType<typeof otelSdk>): Router {
  const router = createRouter({
    endpoints: [
      {
        name: "m",
        type: "openai",
        apiKey: "sk-bench-0000",
        baseURL: "http://m.invalid/v1",
        models: ["gpt-4o"],
      },
    ],
    fetch: inMemoryFetch,
    instrument: { tracer: sdk.tracer, meter: sdk.meter },
  });
  opened.push({ close: () => router.close() });
  return router;
}

/** Per span: its name, its parent's name, its attributes but the per-call values (id, wait, times). */
function shapes(spans: readonly ReadableSpan[]) {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  return spans
    .map((s) => {
      const { "openai_router.request.id": id, "openai_router.queue.wait": wait, ...rest } = s.attributes;
      return {
        name: s.name,
        kind: s.kind,
        parent: s.parentSpanContext ? byId.get(s.parentSpanContext.spanId)?.name : undefined,
        keys: Object.keys(s.attributes).sort(),
        values: rest,
        types: { id: typeof id, wait: typeof wait },
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The series of synchronous instruments (what is recorded per request): name → attribute sets. */
function series(metrics: Map<string, MetricData>) {
  const out: Record<string, unknown[]> = {};
  for (const [name, m] of metrics) {
    // The SDK's descriptors carry their instrument's type at run time (InstrumentDescriptor).
    const type = (m.descriptor as { type?: unknown }).type;
    expect(typeof type).toBe("string");
    if (String(type).startsWith("OBSERVABLE") || m.dataPoints.length === 0) continue;
    out[name] = m.dataPoints.map((p) => p.attributes);
  }
  return out;
}

describe("bench/lib/otel.ts sdkEmitter", () => {
  // Breaks if the router emitted a span, attribute or series the emitter does not (or the other way
  // round): the benchmarks would then charge that SDK work to the router's code, or hide it.
  it("writes the spans and series the router writes for the benchmarks' call", async () => {
    const routed = otelSdk();
    const emitted = otelSdk();
    opened.push({ close: () => routed.shutdown() }, { close: () => emitted.shutdown() });
    const router = benchRouter(routed);
    await router.chat.completions.create(CHAT_BODY);
    await written();
    const emitter = sdkEmitter(undefined, emitted);
    const now = Date.now();
    emitter.emit(now - 1, now);

    const fromRouter = shapes(routed.finished());
    expect(fromRouter.map((s) => s.name)).toEqual(["chat gpt-4o", "chat gpt-4o via m"]);
    expect(fromRouter[1]?.parent).toBe("chat gpt-4o");
    expect(fromRouter[0]?.types).toEqual({ id: "string", wait: "number" });
    expect(shapes(emitted.finished())).toEqual(fromRouter);

    const routerSeries = series(await routed.collect());
    expect(Object.keys(routerSeries).sort()).toEqual([
      "gen_ai.client.operation.duration",
      "gen_ai.client.token.usage",
      "openai_router.queue.wait",
    ]);
    expect(series(await emitted.collect())).toEqual(routerSeries);
  });
});
