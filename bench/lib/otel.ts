import { context, SpanKind, trace } from "@opentelemetry/api";
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

/** The real OpenTelemetry SDK as the benchmarks wire it: spans to a no-op exporter, an uncollected reader. */
export function otelProviders() {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(noopExporter)] });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  return {
    tracer: tracerProvider.getTracer("bench"),
    meter: meterProvider.getMeter("bench"),
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/**
 * A router instrumented with the real OpenTelemetry SDK: every span goes through a SimpleSpanProcessor
 * to a no-op exporter; metrics go to a reader whose export interval never comes during a run.
 */
export function otelRouter(
  endpoints: RouterConfig["endpoints"],
  fetch?: typeof globalThis.fetch,
): { router: Router; close(): Promise<void> } {
  const sdk = otelProviders();
  const router = createRouter({
    endpoints,
    ...(fetch ? { fetch } : {}),
    instrument: { tracer: sdk.tracer, meter: sdk.meter },
  });
  return {
    router,
    async close() {
      await router.close();
      await sdk.shutdown();
    },
  };
}

/** Where the emitted call went, as the router would describe it. */
export interface EmitterEndpoint {
  readonly name: string;
  readonly provider: "openai" | "azure.ai.openai";
  readonly address: string;
  readonly port: number;
  /** The completion's `model`. */
  readonly responseModel: string;
}

/** bench/instrument-cost.ts' endpoint: `m` at http://m.invalid/v1 answering the canned completion. */
const IN_MEMORY_ENDPOINT: EmitterEndpoint = {
  name: "m",
  provider: "openai",
  address: "m.invalid",
  port: 80,
  responseModel: "gpt-4o-2024-08-06",
};

const freeze = <T extends object>(o: T): Readonly<T> => Object.freeze(o);

/**
 * The OpenTelemetry SDK's own share of what the router emits for one plain chat call on an `openai`
 * endpoint, with no router around it: the same two spans (request, attempt) with the same attribute
 * keys and kinds of values, and the same four histogram records, every attribute object built once
 * and frozen. What a router's instrumented call costs beyond this is the router's own code.
 * Call {@link SdkEmitter.emit} where the router writes (after the outcome, on the next turn).
 */
export function sdkEmitter(endpoint: EmitterEndpoint = IN_MEMORY_ENDPOINT): {
  emit(arrivedAt: number, now: number): void;
  shutdown(): Promise<void>;
} {
  const sdk = otelProviders();
  const { tracer, meter } = sdk;
  const duration = meter.createHistogram("gen_ai.client.operation.duration", { unit: "s" });
  const queueWait = meter.createHistogram("openai_router.queue.wait", { unit: "s" });
  const usage = meter.createHistogram("gen_ai.client.token.usage", { unit: "{token}" });
  const metric = freeze({
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.provider.name": endpoint.provider,
    "server.address": endpoint.address,
    "server.port": endpoint.port,
    "openai_router.endpoint": endpoint.name,
    "gen_ai.response.model": endpoint.responseModel,
  });
  const waitAttributes = freeze({ "gen_ai.request.model": "gpt-4o" });
  const input = freeze({ ...metric, "gen_ai.token.type": "input" });
  const output = freeze({ ...metric, "gen_ai.token.type": "output" });
  const requestSpan = freeze({
    ...metric,
    "openai_router.request.id": "req_bench_1",
    "openai_router.model": "gpt-4o",
    "openai_router.attempts": 1,
    "openai_router.fallback.used": false,
    "openai_router.queue.wait": 0,
    "gen_ai.usage.input_tokens": 27,
    "gen_ai.usage.output_tokens": 20,
    "gen_ai.usage.cache_read.input_tokens": 0,
    "gen_ai.usage.reasoning.output_tokens": 0,
    "gen_ai.response.id": "chatcmpl-bench",
    "gen_ai.response.finish_reasons": ["stop"],
    // The openai provider's own attributes; the router writes none on Azure endpoints.
    ...(endpoint.provider === "openai"
      ? { "openai.api.type": "chat_completions", "openai.response.system_fingerprint": "fp_bench" }
      : {}),
  });
  const attemptSpan = freeze({
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o",
    "openai_router.endpoint": endpoint.name,
    "openai_router.attempt": 1,
    "gen_ai.provider.name": endpoint.provider,
    "server.address": endpoint.address,
    "server.port": endpoint.port,
    "http.response.status_code": 200,
  });
  return {
    emit(arrivedAt, now) {
      const parent = context.active();
      const span = tracer.startSpan(
        "chat gpt-4o",
        { kind: SpanKind.CLIENT, attributes: requestSpan, startTime: arrivedAt },
        parent,
      );
      tracer
        .startSpan(
          `chat gpt-4o via ${endpoint.name}`,
          { kind: SpanKind.CLIENT, attributes: attemptSpan, startTime: arrivedAt },
          trace.setSpan(parent, span),
        )
        .end(now);
      span.end(now);
      duration.record((now - arrivedAt) / 1000, metric);
      queueWait.record(0, waitAttributes);
      usage.record(27, input);
      usage.record(20, output);
    },
    shutdown: () => sdk.shutdown(),
  };
}
