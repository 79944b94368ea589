import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { createRouter, type Router, type RouterConfig } from "../../src/index.js";

/** Accepts every span and keeps none: the SDK's whole per-span cost, without growing memory. */
const noopExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

/**
 * A router instrumented with the real OpenTelemetry SDK: every span goes through a SimpleSpanProcessor
 * to a no-op exporter; metrics go to a reader whose export interval never comes during a run.
 */
export function otelRouter(
  endpoints: RouterConfig["endpoints"],
  fetch?: typeof globalThis.fetch,
): { router: Router; close(): Promise<void> } {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(noopExporter)] });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const router = createRouter({
    endpoints,
    ...(fetch ? { fetch } : {}),
    instrument: { tracer: tracerProvider.getTracer("bench"), meter: meterProvider.getMeter("bench") },
  });
  return {
    router,
    async close() {
      await router.close();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
