import type { Sampler } from "@opentelemetry/sdk-trace-base";
import type { Router } from "../../../src/index.js";
import { WRITE_DELAY_MS } from "../../../src/metrics/otel/instrument.js";
import type { OtelTracer } from "../../../src/metrics/otel/types.js";
import { type Rig, rig } from "../../helpers/setup.js";
import { otelSdk } from "./sdk.js";

/**
 * The OpenTelemetry tests' rig: the real SDK (in-memory span exporter, a metric reader the test
 * collects) on a router over the simulated fleet (real HTTP), and a known workload: a plain call, a
 * 503 retried on the other endpoint (retry + failover), a 429 that cools an endpoint, a stream, an
 * embeddings call and a request no endpoint serves.
 */

export const FLEET = {
  seed: 7,
  endpoints: [
    {
      name: "east",
      type: "azure" as const,
      deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
      latency: { ttftMs: 5, tokensPerSecond: 5_000 },
    },
    {
      name: "oai",
      type: "openai" as const,
      models: ["gpt-4o", "text-embedding-3-small"],
      latency: { ttftMs: 5, tokensPerSecond: 5_000 },
    },
  ],
};

/** A small chat body. */
export const body = (content: string) => ({
  model: "gpt-4o",
  messages: [{ role: "user" as const, content }],
  max_tokens: 12,
});

/** The SDK in memory, with the router and fleet it watches. */
export type Sdk = ReturnType<typeof otelSdk>;
const open: { rig: Rig; sdk: Sdk }[] = [];

/** Closes what {@link setup} opened: call it from `afterEach`. */
export async function closeAll(): Promise<void> {
  for (const o of open.splice(0)) {
    await o.rig.close();
    await o.sdk.shutdown();
  }
}

/**
 * A router (priority: east first, then oai with budgets) instrumented with a fresh in-memory SDK.
 * `options.sampler`: the SDK's sampler; `options.tracer`: wraps the SDK's tracer (e.g. to count calls).
 */
export async function setup(
  semconv?: "v1.41" | "latest",
  options: {
    readonly sampler?: Sampler;
    readonly tracer?: (sdkTracer: OtelTracer) => OtelTracer;
  } = {},
) {
  const sdk = otelSdk(options.sampler ? { sampler: options.sampler } : {});
  const tracer = options.tracer ? options.tracer(sdk.tracer) : sdk.tracer;
  const r = await rig(FLEET, {
    strategy: "priority",
    extras: { east: { priority: 0 }, oai: { priority: 1, limits: { rpm: 600, tpm: 100_000 } } },
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    instrument: { tracer, meter: sdk.meter, ...(semconv ? { semconv } : {}) },
  });
  open.push({ rig: r, sdk });
  return { ...r, sdk };
}

/** The known workload; returns when every request settled. */
export async function workload(router: Router, fleet: Rig["fleet"]) {
  await router.chat.completions.create(body("plain"));
  fleet.setFaults("east", { errorRate: 1, errorStatus: 503 });
  await router.chat.completions.create(body("retried"));
  fleet.setFaults("east", { rateLimitStormMs: 60_000 });
  await router.chat.completions.create(body("throttled"));
  const stream = await router.chat.completions.create({ ...body("streamed"), stream: true });
  for await (const _chunk of stream) {
    // drain
  }
  await router.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
  await router.chat.completions.create({ ...body("nobody"), model: "gpt-unknown" }).catch(() => undefined);
  await written();
}

/**
 * Spans and metrics are written in a batch at most WRITE_DELAY_MS after the outcomes (see
 * RouterInstrument): wait that long. The batch's timer was set at the last outcome, before this one,
 * and Node runs timers of equal delay in the order they were set, so the batch has run when this
 * resolves (no margin guessed).
 */
export const written = () => new Promise((resolve) => setTimeout(resolve, WRITE_DELAY_MS));
