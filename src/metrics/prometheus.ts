import type { Subscription } from "rxjs";
import type { Router } from "../router.js";
import type { LaneState } from "../strategies/types.js";
import type { EndpointMetrics, RouterMetrics } from "../types.js";

/** One sample as prom-client's registry prints it. */
export interface PrometheusSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** What prom-client's `Registry#registerMetric` accepts (`lib/registry.js`): a name, a type and `get()`. */
export interface PrometheusMetricLike {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly aggregator: "sum" | "max";
  get(): {
    name: string;
    help: string;
    type: "counter" | "gauge";
    aggregator: "sum" | "max";
    values: PrometheusSample[];
  };
  reset(): void;
}

/**
 * The part of a prom-client `Registry` the collector uses (prom-client 14–15 fit). Its metric
 * parameter is typed loosely so that prom-client's own `registerMetric(metric: Metric)` fits; the
 * collector always passes a {@link PrometheusMetricLike}.
 */
export interface PrometheusRegistryLike {
  registerMetric(metric: object): void;
  removeSingleMetric(name: string): void;
}

/** Options of {@link collectPrometheus}. */
export interface PrometheusOptions {
  /** The application's prom-client `Registry` (never the global one unless passed). */
  readonly registry: PrometheusRegistryLike;
  /** Prepended to every metric name. @default "openai_router_" */
  readonly prefix?: string | undefined;
}

/** What {@link collectPrometheus} registered; `unregister()` removes it again. */
export interface PrometheusCollection {
  /** Every metric name registered, prefix included. */
  readonly names: readonly string[];
  /** Removes the metrics from the registry and stops counting outcomes. */
  unregister(): void;
}

const LANE_STATES: readonly LaneState[] = ["healthy", "cooling", "open", "half-open", "disabled"];
const CIRCUIT_STATES = ["closed", "half-open", "open"] as const;

type Sampler = (s: RouterMetrics) => PrometheusSample[];

/** Per-endpoint samples of one figure (endpoints whose figure is unknown are left out). */
const perEndpoint =
  (value: (e: EndpointMetrics, s: RouterMetrics) => number | null): Sampler =>
  (s) =>
    s.endpoints.flatMap((e) => {
      const v = value(e, s);
      return v === null ? [] : [{ labels: { endpoint: e.name }, value: v }];
    });

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

/**
 * Registers Prometheus metrics of a router on the application's prom-client registry. Endpoint,
 * queue and budget figures are read from `router.snapshot()` when the registry is scraped (one
 * snapshot per scrape, nothing per request); request outcomes and retries are counted from
 * `completions$` (one small map update per request). Labels carry endpoint and model names, never keys.
 * prom-client itself is not imported: the registry you pass is used as is.
 * @example
 * import { Registry } from "prom-client";
 * const registry = new Registry();
 * collectPrometheus(router, { registry });
 * http.createServer(async (_req, res) => res.end(await registry.metrics()));
 * @throws Error from the registry when a metric of the same name is already registered there.
 */
export function collectPrometheus(router: Router, options: PrometheusOptions): PrometheusCollection {
  const prefix = options.prefix ?? "openai_router_";
  let cached: RouterMetrics | undefined;
  // Every metric's get() runs in the same synchronous pass of registry.metrics(): one snapshot for all.
  const snapshot = (): RouterMetrics => {
    if (!cached) {
      cached = router.snapshot();
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };

  // One series per (model, kind, outcome): kept in nested maps (no key string built per request),
  // with the last series counted checked first, the usual case.
  type RequestSeries = { labels: Record<string, string>; value: number };
  const requests: RequestSeries[] = [];
  const byModel = new Map<string, Map<string, Map<string, RequestSeries>>>();
  let last: RequestSeries | undefined;
  const retries = new Map<string, number>();
  const subscription: Subscription = router.completions$.subscribe((c) => {
    const outcome = c.ok ? "ok" : c.error.code;
    const labels = last?.labels;
    if (labels?.model === c.requestedModel && labels.kind === c.kind && labels.outcome === outcome) {
      (last as RequestSeries).value += 1;
    } else {
      let byKind = byModel.get(c.requestedModel);
      if (!byKind) {
        byKind = new Map();
        byModel.set(c.requestedModel, byKind);
      }
      let byOutcome = byKind.get(c.kind);
      if (!byOutcome) {
        byOutcome = new Map();
        byKind.set(c.kind, byOutcome);
      }
      let series = byOutcome.get(outcome);
      if (series) series.value += 1;
      else {
        series = { labels: { model: c.requestedModel, kind: c.kind, outcome }, value: 1 };
        byOutcome.set(outcome, series);
        requests.push(series);
      }
      last = series;
    }
    for (let i = 0; i < c.attempts.length - 1; i++) {
      const endpoint = c.attempts[i]?.endpoint ?? "";
      retries.set(endpoint, (retries.get(endpoint) ?? 0) + 1);
    }
  });

  const defs: [string, "counter" | "gauge", string, Sampler][] = [
    [
      "endpoint_info",
      "gauge",
      "Configured endpoints (value 1), with their type.",
      (s) => s.endpoints.map((e) => ({ labels: { endpoint: e.name, type: e.type }, value: 1 })),
    ],
    [
      "endpoint_state",
      "gauge",
      "1 for the endpoint's current state (healthy, cooling, open, half-open, disabled), 0 for the others.",
      (s) =>
        s.endpoints.flatMap((e) =>
          LANE_STATES.map((state) => ({
            labels: { endpoint: e.name, state },
            value: e.state === state ? 1 : 0,
          })),
        ),
    ],
    [
      "endpoint_stream_circuit_state",
      "gauge",
      "1 for the state of the endpoint's stream circuit (closed, half-open, open), 0 for the others.",
      (s) =>
        s.endpoints.flatMap((e) =>
          CIRCUIT_STATES.map((state) => ({
            labels: { endpoint: e.name, state },
            value: e.streamCircuit === state ? 1 : 0,
          })),
        ),
    ],
    ["endpoint_inflight", "gauge", "Attempts in flight on the endpoint.", perEndpoint((e) => e.inflight)],
    [
      "endpoint_concurrency_limit",
      "gauge",
      "The endpoint's concurrency limit (absent when unlimited).",
      perEndpoint((e) => e.concurrency),
    ],
    [
      "endpoint_rpm_remaining",
      "gauge",
      "Requests the endpoint's RPM budget allows now (absent when unlimited).",
      perEndpoint((e) => e.rpm.remaining),
    ],
    [
      "endpoint_rpm_limit",
      "gauge",
      "The endpoint's requests-per-minute limit.",
      perEndpoint((e) => e.rpm.limit),
    ],
    [
      "endpoint_tpm_remaining",
      "gauge",
      "Tokens the endpoint's TPM budget allows now (absent when unlimited).",
      perEndpoint((e) => e.tpm.remaining),
    ],
    [
      "endpoint_tpm_limit",
      "gauge",
      "The endpoint's tokens-per-minute limit.",
      perEndpoint((e) => e.tpm.limit),
    ],
    [
      "endpoint_cooldown_seconds",
      "gauge",
      "Seconds left in the endpoint's 429 cooldown (0 when not cooling).",
      perEndpoint((e, s) => Math.max(0, e.coolingUntil - s.at) / 1000),
    ],
    [
      "endpoint_circuit_reopen_seconds",
      "gauge",
      "Seconds until an open circuit lets a probe through (0 when not open).",
      perEndpoint((e, s) => (e.reopensAt > 0 ? Math.max(0, e.reopensAt - s.at) / 1000 : 0)),
    ],
    ["endpoint_attempts_total", "counter", "Attempts sent to the endpoint.", perEndpoint((e) => e.attempts)],
    ["endpoint_succeeded_total", "counter", "Attempts that succeeded.", perEndpoint((e) => e.succeeded)],
    ["endpoint_failed_total", "counter", "Attempts that failed.", perEndpoint((e) => e.failed)],
    [
      "endpoint_rate_limited_total",
      "counter",
      "429 answers from the endpoint.",
      perEndpoint((e) => e.rateLimited),
    ],
    [
      "endpoint_responses_total",
      "counter",
      "Attempts by HTTP status (or failure kind when there was none).",
      (s) =>
        s.endpoints.flatMap((e) =>
          Object.entries(e.byStatus).map(([status, value]) => ({
            labels: { endpoint: e.name, status },
            value,
          })),
        ),
    ],
    [
      "endpoint_tokens_total",
      "counter",
      "Tokens the endpoint reported in usage, by kind (prompt, completion).",
      (s) =>
        s.endpoints.flatMap((e) => [
          { labels: { endpoint: e.name, kind: "prompt" }, value: e.promptTokens },
          { labels: { endpoint: e.name, kind: "completion" }, value: e.completionTokens },
        ]),
    ],
    [
      "endpoint_latency_seconds",
      "gauge",
      "The endpoint's smoothed (EWMA) latency of plain calls.",
      perEndpoint((e) => seconds(e.latencyMs)),
    ],
    [
      "endpoint_ttft_seconds",
      "gauge",
      "The endpoint's smoothed (EWMA) time to first token of streams.",
      perEndpoint((e) => seconds(e.ttftMs)),
    ],
    [
      "endpoint_requests_per_second",
      "gauge",
      "Attempts per second over the last 5 s.",
      perEndpoint((e) => e.requestsPerSecond),
    ],
    [
      "queue_depth",
      "gauge",
      "Requests waiting in the router's queue.",
      (s) => [{ labels: {}, value: s.queue.depth }],
    ],
    ["queue_max_size", "gauge", "The queue's bound.", (s) => [{ labels: {}, value: s.queue.maxSize }]],
    [
      "queue_depth_by_model",
      "gauge",
      "Requests waiting in the router's queue, by model.",
      (s) => Object.entries(s.queue.byModel).map(([model, value]) => ({ labels: { model }, value })),
    ],
    [
      "requests_pending",
      "gauge",
      "Requests accepted and not settled yet (queued, running or between attempts).",
      (s) => [{ labels: {}, value: s.totals.pending }],
    ],
    [
      "requests_total",
      "counter",
      "Requests settled, by requested model, kind and outcome (ok or the error code).",
      () => requests.map((r) => ({ labels: r.labels, value: r.value })),
    ],
    [
      "retries_total",
      "counter",
      "Attempts that failed and were followed by another one, by the endpoint that failed.",
      () => [...retries].map(([endpoint, value]) => ({ labels: { endpoint }, value })),
    ],
  ];

  const metrics = defs.map(([suffix, type, help, sample]) =>
    promMetric(prefix + suffix, type, help, sample, snapshot),
  );
  const registered: string[] = [];
  try {
    for (const metric of metrics) {
      options.registry.registerMetric(metric);
      registered.push(metric.name);
    }
  } catch (error) {
    for (const name of registered) options.registry.removeSingleMetric(name);
    subscription.unsubscribe();
    throw error;
  }
  return {
    names: metrics.map((m) => m.name),
    unregister() {
      subscription.unsubscribe();
      for (const metric of metrics) options.registry.removeSingleMetric(metric.name);
    },
  };
}

function promMetric(
  name: string,
  type: "counter" | "gauge",
  help: string,
  sample: Sampler,
  snapshot: () => RouterMetrics,
): PrometheusMetricLike {
  const metric = {
    // OpenMetrics registries rename counters (dropping `_total`) and read the name back from get().
    name,
    help,
    type,
    aggregator: "sum" as const,
    get() {
      return { name: metric.name, help, type, aggregator: "sum" as const, values: sample(snapshot()) };
    },
    reset() {
      // Values are read from the router at scrape time; there is nothing to reset here.
    },
  };
  return metric;
}
