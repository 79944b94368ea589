import type { Completion, RouterMetrics } from "../../types.js";
import { AttributeCache } from "./attribute-cache.js";
import { type EndpointInfo, endpointInfo, RequestFacts } from "./describe.js";
import { type OtelApi, resolveInstrument } from "./load.js";
import { MetricRecorder } from "./meters.js";
import { semconvFromEnv } from "./semconv.js";
import { SpanWriter } from "./spans.js";
import type { InstrumentOptions } from "./types.js";

/**
 * What the router calls when it is instrumented (one `if` per request when it is not): `begin` when a
 * request is accepted, in the caller's context; `end` once with its completion.
 */
export interface RouterInstrument {
  /** Captures what the request's spans will hang from (the caller's active context). */
  begin(): unknown;
  /**
   * The request settled: its spans and metrics are written off the caller's path, within
   * {@link WRITE_DELAY_MS} (sooner when {@link WRITE_BATCH} are waiting or a metric collection runs).
   */
  end(completion: Completion, begun: unknown, now: number): void;
  /** The router closed: write what is pending, stop observing it. */
  close(): void;
}

/**
 * Longest time a settled request's spans and metrics wait before they are written to the SDK (the
 * BatchSpanProcessor then holds spans for up to 5 s more by default, so no exporter sees the delay).
 */
export const WRITE_DELAY_MS = 25;
/** Requests whose telemetry is written together at most; a full batch is written on the next turn. */
export const WRITE_BATCH = 64;

/** An endpoint as the instrument needs it (a resolved endpoint config fits). */
interface EndpointShape {
  readonly name: string;
  readonly type: "azure" | "openai";
  readonly endpoint?: string;
  readonly baseURL?: string | undefined;
}

/**
 * The instrument of one router, or `undefined` when nothing is to be emitted (then the router pays
 * nothing for it).
 * @throws ConfigError (`CONFIG_INVALID`) when a tracer is given without `@opentelemetry/api` installed.
 */
export function createRouterInstrument(
  option: InstrumentOptions | false | undefined,
  endpoints: readonly EndpointShape[],
  snapshot: () => RouterMetrics,
  load?: () => OtelApi | undefined,
): RouterInstrument | undefined {
  const resolved = resolveInstrument(option, load);
  if (!resolved) return undefined;
  const semconv =
    (option ? option.semconv : undefined) ?? semconvFromEnv(process.env.OTEL_SEMCONV_STABILITY_OPT_IN);
  const info = new Map<string, EndpointInfo>(endpoints.map((e) => [e.name, endpointInfo(e)]));
  const attributeSets = new AttributeCache(info);
  const { api, tracer, meter } = resolved;
  const spans = tracer && api ? new SpanWriter(tracer, api, attributeSets) : undefined;
  // Spans and metrics are written after the outcome reached the caller, in batches: the SDK's work
  // (attribute hashing, span processors) stays off the request's latency, and a batch runs with the
  // SDK's code and data hot in the CPU's caches. Written one request per event-loop turn, the same
  // work cost 19-34 µs of p50 over HTTP (it evicted the router's and the HTTP client's code between
  // calls; docs/observability.md, "Batched writes"). Times are taken at the outcome, so deferring changes no figure, and a
  // metric collection writes what is pending first. The batch is one flat array (completion, context,
  // time, ...): no object per request.
  let pending: unknown[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let immediate: ReturnType<typeof setImmediate> | undefined;
  // What both writers need of a request is read once, into one reused object.
  const facts = new RequestFacts();
  const flush = () => {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
    const batch = pending;
    pending = [];
    for (let i = 0; i < batch.length; i += 3) {
      const completion = batch[i] as Completion;
      const now = batch[i + 2] as number;
      const arrivedAt = now - completion.latencyMs;
      const sets = attributeSets.request(completion);
      facts.read(completion, arrivedAt);
      spans?.write(completion, sets, facts, batch[i + 1], arrivedAt, now);
      metrics?.record(completion, sets, facts);
    }
  };
  const metrics = meter
    ? new MetricRecorder(meter, semconv, info, attributeSets, snapshot, flush)
    : undefined;
  return {
    begin: () => (spans ? api?.context.active() : undefined),
    end(completion, begun, now) {
      pending.push(completion, begun, now);
      // A full batch is written on the next turn (still after this outcome reached its caller).
      if (pending.length >= WRITE_BATCH * 3) immediate ??= setImmediate(flush);
      else timer ??= setTimeout(flush, WRITE_DELAY_MS);
    },
    close() {
      flush();
      metrics?.close();
    },
  };
}
