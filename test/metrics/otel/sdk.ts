import { type Context, type ContextManager, context, ROOT_CONTEXT } from "@opentelemetry/api";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/**
 * The real OpenTelemetry SDK wired to memory: a tracer provider with an in-memory span exporter and a
 * meter provider whose reader the test collects on demand (no export timer ever fires). `sampler`:
 * the tracer provider's (the SDK's default, ParentBased(AlwaysOn), when not given).
 */
export function otelSdk(options: { readonly sampler?: Sampler } = {}) {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
    ...(options.sampler ? { sampler: options.sampler } : {}),
  });
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    tracer: tracerProvider.getTracer("test"),
    meter: meterProvider.getMeter("test"),
    finished: (): ReadableSpan[] => spans.getFinishedSpans(),
    /** Every metric the meter holds now, by name. */
    async collect(): Promise<Map<string, MetricData>> {
      const { resourceMetrics } = await reader.collect();
      const out = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const m of scope.metrics) out.set(m.descriptor.name, m);
      return out;
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** Data points whose attributes include `match`. */
export function points<T = number | Histogram>(
  metric: MetricData | undefined,
  match: Record<string, unknown> = {},
): DataPoint<T>[] {
  if (!metric) return [];
  return (metric.dataPoints as DataPoint<T>[]).filter((p) =>
    Object.entries(match).every(([k, v]) => p.attributes[k] === v),
  );
}

/**
 * A synchronous context manager (a stack): `context.with` makes a context active for the duration of
 * its callback, which is all the router needs (it captures the context when a request is accepted).
 */
export class StackContextManager implements ContextManager {
  private readonly stack: Context[] = [];
  active(): Context {
    return this.stack.at(-1) ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.stack.length = 0;
    return this;
  }
}

/** Registers the stack context manager globally until the returned function is called. */
export function useStackContext(): () => void {
  const manager = new StackContextManager();
  context.setGlobalContextManager(manager);
  return () => context.disable();
}
