import { context, SpanKind, trace } from "@opentelemetry/api";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { createRouter, type Router, type RouterConfig } from "../../src/index.js";
import { DURATION_BUCKETS_S, QUEUE_WAIT_BUCKETS_S, TOKEN_BUCKETS } from "../../src/metrics/otel/semconv.js";
import { COMPLETION } from "./fixtures.js";

/** Accepts every span and keeps none: the SDK's whole per-span cost, without growing memory. */
const noopExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

/** Accepts every collection and keeps none (an OTLP exporter's place, without the network). */
const noopMetricExporter: PushMetricExporter = {
  export: (_metrics, done) => done({ code: 0 }),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/**
 * Which span processor the benchmarks run: `batch` is what an application runs in production (the
 * SDK's BatchSpanProcessor with its defaults: spans kept until 512 are queued or 5 s passed, then
 * exported together); `simple` exports every span as it ends (what tests use).
 */
export type SpanProcessorKind = "batch" | "simple";

/**
 * How often the benchmarks' metric reader collects: more often than the SDK's 60 s default, so that
 * collections (the router's observable callback reading one snapshot, the SDK walking every series)
 * happen during a run and are in its figures.
 */
export const METRIC_EXPORT_INTERVAL_MS = 5_000;

/** Parses a `--otel-processor` flag. @throws RangeError naming the flag for any other value. */
export function spanProcessorKind(value: string): SpanProcessorKind {
  if (value === "batch" || value === "simple") return value;
  throw new RangeError(`Expected --otel-processor to be "batch" or "simple", got ${JSON.stringify(value)}.`);
}

/**
 * The real OpenTelemetry SDK as an application wires it, minus the network: spans through a
 * BatchSpanProcessor (default settings) to a no-op exporter, metrics through a
 * PeriodicExportingMetricReader (cumulative, as OTLP's default) to a no-op exporter every
 * {@link METRIC_EXPORT_INTERVAL_MS}.
 */
export function otelProviders(processor: SpanProcessorKind = "batch") {
  const spanProcessor =
    processor === "batch" ? new BatchSpanProcessor(noopExporter) : new SimpleSpanProcessor(noopExporter);
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [spanProcessor] });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: noopMetricExporter,
        exportIntervalMillis: METRIC_EXPORT_INTERVAL_MS,
        exportTimeoutMillis: METRIC_EXPORT_INTERVAL_MS,
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

/** A router instrumented with the real OpenTelemetry SDK as {@link otelProviders} wires it. */
export function otelRouter(
  endpoints: RouterConfig["endpoints"],
  fetch?: typeof globalThis.fetch,
  processor: SpanProcessorKind = "batch",
): { router: Router; close(): Promise<void> } {
  const sdk = otelProviders(processor);
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

// The benchmarks' canned answer (the sim's differ in values, not in which attributes they give).
const INPUT_TOKENS = COMPLETION.usage?.prompt_tokens ?? 0;
const OUTPUT_TOKENS = COMPLETION.usage?.completion_tokens ?? 0;
const CACHED_TOKENS = COMPLETION.usage?.prompt_tokens_details?.cached_tokens ?? 0;
const REASONING_TOKENS = COMPLETION.usage?.completion_tokens_details?.reasoning_tokens ?? 0;
const FINGERPRINT = COMPLETION.system_fingerprint ?? "";

const freeze = <T extends object>(o: T): Readonly<T> => Object.freeze(o);

/** What {@link sdkEmitter} writes to: a tracer and a meter of the real SDK. */
export type OtelProviders = ReturnType<typeof otelProviders>;

/**
 * The OpenTelemetry SDK's own share of what the router emits for one plain chat call, with no router
 * around it: the same SDK calls the router makes, with the same attribute keys and kinds of values —
 * a request span started with a frozen set and its per-request values set one by one, an attempt
 * span as its child, four histogram records with frozen sets. What a router's instrumented call
 * costs beyond this is the router's own code. test/metrics/otel/emitter.test.ts checks that the two
 * write the same spans and series. Call {@link SdkEmitter.emit} where the router writes (after the
 * outcome, on the next turn).
 */
export function sdkEmitter(
  endpoint: EmitterEndpoint = IN_MEMORY_ENDPOINT,
  sdk: OtelProviders = otelProviders(),
): {
  emit(arrivedAt: number, now: number): void;
  shutdown(): Promise<void>;
} {
  const { tracer, meter } = sdk;
  // The router's instruments' boundaries: a record's bucket search depends on them.
  const buckets = (explicitBucketBoundaries: number[]) => ({ advice: { explicitBucketBoundaries } });
  const duration = meter.createHistogram("gen_ai.client.operation.duration", {
    unit: "s",
    ...buckets(DURATION_BUCKETS_S),
  });
  const queueWait = meter.createHistogram("openai_router.queue.wait", {
    unit: "s",
    ...buckets(QUEUE_WAIT_BUCKETS_S),
  });
  const usage = meter.createHistogram("gen_ai.client.token.usage", {
    unit: "{token}",
    ...buckets(TOKEN_BUCKETS),
  });
  const openai = endpoint.provider === "openai";
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
    "openai_router.model": "gpt-4o",
    "openai_router.fallback.used": false,
    // The openai provider's own attributes; the router writes none on Azure endpoints.
    ...(openai ? { "openai.api.type": "chat_completions" } : {}),
  });
  const finishReasons = freeze(COMPLETION.choices.map((c) => c.finish_reason)) as string[];
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
  const attemptName = `chat gpt-4o via ${endpoint.name}`;
  let n = 0;
  return {
    emit(arrivedAt, now) {
      const parent = context.active();
      const span = tracer.startSpan(
        "chat gpt-4o",
        { kind: SpanKind.CLIENT, attributes: requestSpan, startTime: arrivedAt },
        parent,
      );
      if (span.isRecording()) {
        // The router's ids are a fixed prefix and a counter: one string per request, as here.
        span.setAttribute("openai_router.request.id", `req_bench_${n++}`);
        span.setAttribute("openai_router.attempts", 1);
        span.setAttribute("openai_router.queue.wait", 0);
        span.setAttribute("gen_ai.usage.input_tokens", INPUT_TOKENS);
        span.setAttribute("gen_ai.usage.output_tokens", OUTPUT_TOKENS);
        span.setAttribute("gen_ai.usage.cache_read.input_tokens", CACHED_TOKENS);
        span.setAttribute("gen_ai.usage.reasoning.output_tokens", REASONING_TOKENS);
        span.setAttribute("gen_ai.response.id", COMPLETION.id);
        span.setAttribute("gen_ai.response.finish_reasons", finishReasons);
        if (openai) span.setAttribute("openai.response.system_fingerprint", FINGERPRINT);
        tracer
          .startSpan(
            attemptName,
            { kind: SpanKind.CLIENT, attributes: attemptSpan, startTime: arrivedAt },
            trace.setSpan(parent, span),
          )
          .end(now);
      }
      span.end(now);
      duration.record((now - arrivedAt) / 1000, metric);
      queueWait.record(0, waitAttributes);
      usage.record(INPUT_TOKENS, input);
      usage.record(OUTPUT_TOKENS, output);
    },
    shutdown: () => sdk.shutdown(),
  };
}
