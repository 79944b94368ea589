import { metrics, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, type InstrumentOptions } from "../../../src/index.js";
import { registeredProviders, resolveInstrument } from "../../../src/metrics/otel/load.js";
import { semconvFromEnv } from "../../../src/metrics/otel/semconv.js";
import { chat, type Rig, rig } from "../../helpers/setup.js";
import { written } from "./rig.js";
import { otelSdk } from "./sdk.js";

/** When the router instruments itself: explicit tracer/meter, a registered global provider, or never. */

const FLEET = {
  endpoints: [{ name: "oai", type: "openai" as const, models: ["gpt-4o"], latency: { ttftMs: 1 } }],
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  trace.disable();
  metrics.disable();
  vi.unstubAllEnvs();
});

async function start(instrument?: InstrumentOptions | false): Promise<Rig> {
  const r = await rig(FLEET, instrument === undefined ? {} : { instrument });
  cleanup.push(() => r.close());
  return r;
}

function sdk() {
  const s = otelSdk();
  cleanup.push(() => s.shutdown());
  return s;
}

describe("resolveInstrument", () => {
  // Breaks if a process without any OpenTelemetry SDK loaded @opentelemetry/api (or instrumented) by default.
  it("does nothing, and loads nothing, when no provider is registered", () => {
    const load = vi.fn();
    expect(registeredProviders()).toEqual({ trace: false, metrics: false });
    expect(resolveInstrument(undefined, load)).toBeUndefined();
    expect(resolveInstrument({}, load)).toBeUndefined();
    expect(load).not.toHaveBeenCalled();
  });

  // Breaks if `instrument: false` did not win over registered global providers.
  it("stays off with `false` even when global providers are registered", () => {
    const s = sdk();
    trace.setGlobalTracerProvider(s.tracerProvider);
    metrics.setGlobalMeterProvider(s.meterProvider);
    expect(registeredProviders()).toEqual({ trace: true, metrics: true });
    expect(resolveInstrument(false)).toBeUndefined();
  });

  // Breaks if a tracer without the API to nest spans were accepted silently.
  it("refuses a tracer when @opentelemetry/api cannot be loaded", () => {
    const s = sdk();
    const attempt = () => resolveInstrument({ tracer: s.tracer }, () => undefined);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/instrument\.tracer.*@opentelemetry\/api/s);
    // A meter alone needs no API: it is used as given.
    expect(resolveInstrument({ meter: s.meter }, () => undefined)?.meter).toBe(s.meter);
  });
});

describe("router instrumentation", () => {
  // Breaks if a router created after an SDK registered its global providers did not emit spans and
  // metrics there without any `instrument` option.
  it("is on by default when global providers are registered", async () => {
    const s = sdk();
    trace.setGlobalTracerProvider(s.tracerProvider);
    metrics.setGlobalMeterProvider(s.meterProvider);
    const { router } = await start();
    await router.chat.completions.create(chat());
    await written();
    expect(s.finished().map((span) => span.name)).toEqual(["chat gpt-4o via oai", "chat gpt-4o"]);
    expect(s.finished()[1]?.instrumentationScope.name).toBe("openai-router");
    expect((await s.collect()).has("gen_ai.client.operation.duration")).toBe(true);
  });

  // Breaks if `instrument: false` still wrote spans to a registered provider.
  it("is off with `instrument: false`", async () => {
    const s = sdk();
    trace.setGlobalTracerProvider(s.tracerProvider);
    const { router } = await start(false);
    await router.chat.completions.create(chat());
    await written();
    expect(s.finished()).toHaveLength(0);
  });

  // Breaks if the opt-in variable were not read when the router is created, or if it were read later.
  it("reads OTEL_SEMCONV_STABILITY_OPT_IN when the router is created", async () => {
    const s = sdk();
    vi.stubEnv("OTEL_SEMCONV_STABILITY_OPT_IN", "http, gen_ai_latest_experimental");
    const { router } = await start({ meter: s.meter });
    vi.stubEnv("OTEL_SEMCONV_STABILITY_OPT_IN", "");
    await router.chat.completions.create(chat());
    await written();
    const names = [...(await s.collect()).keys()];
    expect(names).toContain("gen_ai.client.inference.duration");
    expect(names).not.toContain("gen_ai.client.operation.duration");
  });

  // Breaks if close() left the router's observable callback on the meter (it would read a closed router).
  it("stops observing the router once it is closed", async () => {
    const s = sdk();
    const r = await rig(FLEET, { instrument: { meter: s.meter } });
    const snapshot = vi.spyOn(r.router, "snapshot");
    expect((await s.collect()).has("openai_router.queue.depth")).toBe(true);
    expect(snapshot).toHaveBeenCalledTimes(1);
    await r.close();
    await s.collect();
    expect(snapshot).toHaveBeenCalledTimes(1);
  });
});

describe("semconvFromEnv", () => {
  // Breaks if the comma-separated list were not parsed as the conventions define it.
  it("switches only on the exact gen_ai_latest_experimental entry", () => {
    expect(semconvFromEnv(undefined)).toBe("v1.41");
    expect(semconvFromEnv("")).toBe("v1.41");
    expect(semconvFromEnv("http")).toBe("v1.41");
    expect(semconvFromEnv("gen_ai_latest_experimental_x")).toBe("v1.41");
    expect(semconvFromEnv("http,gen_ai_latest_experimental")).toBe("latest");
    expect(semconvFromEnv(" gen_ai_latest_experimental ")).toBe("latest");
  });
});
