/**
 * The parts of `@opentelemetry/api` the router uses, described structurally: the package is an
 * optional peer, so the router's own types must not need it installed. A `Tracer` and a `Meter` from
 * `@opentelemetry/api` (any 1.x) fit these shapes.
 */
import type { GenAiSemconv } from "./semconv.js";

/** Attribute values as OpenTelemetry accepts them. */
export type OtelAttributeValue = string | number | boolean | string[] | number[];
/** A set of attributes. */
export type OtelAttributes = Record<string, OtelAttributeValue | undefined>;

/** The span methods the router calls. */
export interface OtelSpan {
  setAttribute(key: string, value: OtelAttributeValue): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  /** False for a span the sampler dropped (a non-recording span): nothing set on it is kept. */
  isRecording(): boolean;
  end(endTime?: number): void;
}

/** Options of `tracer.startSpan` the router sets. */
export interface OtelSpanOptions {
  kind?: number;
  attributes?: OtelAttributes;
  startTime?: number;
}

/** An OpenTelemetry `Tracer` (from `trace.getTracer(...)` or a `TracerProvider`). */
export interface OtelTracer {
  /** `context` is an OpenTelemetry `Context` (opaque to the router). */
  startSpan(name: string, options?: OtelSpanOptions, context?: unknown): OtelSpan;
}

/** A synchronous histogram. */
export interface OtelHistogram {
  record(value: number, attributes?: OtelAttributes): void;
}
/** A synchronous counter. */
export interface OtelCounter {
  add(value: number, attributes?: OtelAttributes): void;
}
/** An asynchronous instrument (gauge or counter) read at collection time. */
export type OtelObservable = object;
/** What a batch observable callback receives. */
export interface OtelBatchResult {
  observe(observable: OtelObservable, value: number, attributes?: OtelAttributes): void;
}
/** Options of an instrument. */
export interface OtelInstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** An OpenTelemetry `Meter` (from `metrics.getMeter(...)` or a `MeterProvider`). */
export interface OtelMeter {
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogram;
  createCounter(name: string, options?: OtelInstrumentOptions): OtelCounter;
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservable;
  createObservableCounter(name: string, options?: OtelInstrumentOptions): OtelObservable;
  addBatchObservableCallback(
    callback: (result: OtelBatchResult) => void | Promise<void>,
    observables: OtelObservable[],
  ): void;
  removeBatchObservableCallback(
    callback: (result: OtelBatchResult) => void | Promise<void>,
    observables: OtelObservable[],
  ): void;
}

/**
 * OpenTelemetry instrumentation of a router (`createRouter({ instrument })`). Leave it out to
 * instrument only when the application registered a global tracer or meter provider; pass `false`
 * to turn it off whatever is registered.
 * @example
 * import { trace, metrics } from "@opentelemetry/api";
 * createRouter({ endpoints, instrument: { tracer: trace.getTracer("app"), meter: metrics.getMeter("app") } });
 */
export interface InstrumentOptions {
  /** Where request and attempt spans go. @default the global provider's tracer, if one is registered */
  readonly tracer?: OtelTracer | undefined;
  /** Where GenAI and router metrics go. @default the global provider's meter, if one is registered */
  readonly meter?: OtelMeter | undefined;
  /**
   * Which GenAI conventions to emit.
   * @default "latest" when OTEL_SEMCONV_STABILITY_OPT_IN lists gen_ai_latest_experimental (read when the
   * router is created), else "v1.41"
   */
  readonly semconv?: GenAiSemconv | undefined;
}
