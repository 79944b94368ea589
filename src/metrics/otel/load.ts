import { createRequire } from "node:module";
import { ConfigError } from "../../errors.js";
import type { InstrumentOptions, OtelMeter, OtelSpan, OtelTracer } from "./types.js";

/** The few `@opentelemetry/api` functions the router calls: context propagation and the globals. */
export interface OtelApi {
  readonly context: { active(): unknown };
  readonly trace: {
    setSpan(context: unknown, span: OtelSpan): unknown;
    getTracer(name: string): OtelTracer;
  };
  readonly metrics: { getMeter(name: string): OtelMeter };
}

/** A router's resolved instrumentation: what to emit and where. */
export interface ResolvedInstrument {
  readonly api: OtelApi | undefined;
  readonly tracer: OtelTracer | undefined;
  readonly meter: OtelMeter | undefined;
}

/** The name the router's tracer and meter carry (the instrumentation scope). */
export const SCOPE_NAME = "openai-router";

/**
 * Where `@opentelemetry/api` 1.x keeps its registered globals (`api/src/internal/global-utils.ts`):
 * `trace` and `metrics` appear there once an SDK calls `setGlobalTracerProvider` /
 * `setGlobalMeterProvider`. Reading it needs no module load, so a process without OpenTelemetry pays
 * one property read per router.
 */
const GLOBAL_KEY = Symbol.for("opentelemetry.js.api.1");

/** Which global providers an OpenTelemetry SDK registered in this process. */
export function registeredProviders(): { readonly trace: boolean; readonly metrics: boolean } {
  const api = (globalThis as Record<symbol, { trace?: unknown; metrics?: unknown } | undefined>)[GLOBAL_KEY];
  return { trace: api?.trace !== undefined, metrics: api?.metrics !== undefined };
}

/**
 * Loads the application's `@opentelemetry/api` at run time (never a static import: it is an optional
 * peer). Resolved from the working directory's package first, then from this package.
 */
export function loadOtelApi(): OtelApi | undefined {
  for (const base of [`${process.cwd()}/package.json`, import.meta.url]) {
    try {
      const api = createRequire(base)("@opentelemetry/api") as Partial<OtelApi>;
      if (api.context && api.trace && api.metrics) return api as OtelApi;
    } catch {
      // try the next base
    }
  }
  return undefined;
}

/**
 * Decides what a router emits. `false`: nothing. A tracer or meter given: those. Otherwise the global
 * providers' tracer and meter when an SDK registered them, else nothing (and no module is loaded).
 * @throws ConfigError (`CONFIG_INVALID`) when a tracer is given but `@opentelemetry/api` cannot be
 * loaded (spans need its context API to nest).
 */
export function resolveInstrument(
  option: InstrumentOptions | false | undefined,
  load: () => OtelApi | undefined = loadOtelApi,
): ResolvedInstrument | undefined {
  if (option === false) return undefined;
  const globals = registeredProviders();
  const wantsGlobalTrace = option?.tracer === undefined && globals.trace;
  const wantsGlobalMeter = option?.meter === undefined && globals.metrics;
  if (!option?.tracer && !option?.meter && !wantsGlobalTrace && !wantsGlobalMeter) return undefined;
  const api = option?.tracer || wantsGlobalTrace || wantsGlobalMeter ? load() : undefined;
  if (option?.tracer && !api) {
    throw new ConfigError([
      {
        path: "instrument.tracer",
        message: "spans need the @opentelemetry/api package next to the tracer: npm i @opentelemetry/api",
      },
    ]);
  }
  const tracer = option?.tracer ?? (wantsGlobalTrace ? api?.trace.getTracer(SCOPE_NAME) : undefined);
  const meter = option?.meter ?? (wantsGlobalMeter ? api?.metrics.getMeter(SCOPE_NAME) : undefined);
  if (!tracer && !meter) return undefined;
  return { api, tracer, meter };
}
