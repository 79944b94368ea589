import type { RouterMetrics } from "../types.js";

/** The gateway's own figures per client (names only; never a key). */
export interface ClientFigures {
  readonly name: string;
  readonly inflight: number;
  readonly queued: number;
  /** Answers sent, by HTTP status. */
  readonly byStatus: ReadonlyMap<number, number>;
}

const STATE_VALUE = { healthy: 0, cooling: 1, "half-open": 2, open: 3, disabled: 4 } as const;

type Family = (name: string, type: "gauge" | "counter", help: string, rows: [string, number][]) => void;

function exposition(prefix: string): { out: string[]; family: Family } {
  const out: string[] = [];
  const family: Family = (name, type, help, rows) => {
    out.push(`# HELP ${prefix}${name} ${help}`, `# TYPE ${prefix}${name} ${type}`);
    for (const [labels, value] of rows)
      out.push(`${prefix}${name}${labels} ${Number.isFinite(value) ? value : 0}`);
  };
  return { out, family };
}

/**
 * The router's snapshot in the Prometheus text exposition format (version 0.0.4): what `/metrics`
 * serves when no prom-client registry is mounted (`openai-router serve` mounts `collectPrometheus`
 * when prom-client is installed).
 */
export function routerPrometheusText(snapshot: RouterMetrics, prefix = "openai_router_"): string {
  const { out, family } = exposition(prefix);
  const eps = snapshot.endpoints;
  const ep = (f: (e: RouterMetrics["endpoints"][number]) => number): [string, number][] =>
    eps.map((e) => [`{endpoint="${label(e.name)}"}`, f(e)]);
  family(
    "endpoint_inflight",
    "gauge",
    "Calls in flight on the endpoint.",
    ep((e) => e.inflight),
  );
  family(
    "endpoint_state",
    "gauge",
    "Endpoint state: 0 healthy, 1 cooling, 2 half-open, 3 open, 4 disabled.",
    ep((e) => STATE_VALUE[e.state]),
  );
  family(
    "endpoint_attempts_total",
    "counter",
    "Attempts sent to the endpoint.",
    ep((e) => e.attempts),
  );
  family(
    "endpoint_succeeded_total",
    "counter",
    "Attempts that succeeded.",
    ep((e) => e.succeeded),
  );
  family(
    "endpoint_failed_total",
    "counter",
    "Attempts that failed.",
    ep((e) => e.failed),
  );
  family(
    "endpoint_rate_limited_total",
    "counter",
    "Attempts answered 429.",
    ep((e) => e.rateLimited),
  );
  family(
    "endpoint_prompt_tokens_total",
    "counter",
    "Prompt tokens used (from usage).",
    ep((e) => e.promptTokens),
  );
  family(
    "endpoint_completion_tokens_total",
    "counter",
    "Completion tokens used (from usage).",
    ep((e) => e.completionTokens),
  );
  family(
    "endpoint_latency_ms",
    "gauge",
    "Decayed mean latency of a call.",
    ep((e) => e.latencyMs ?? 0),
  );
  family(
    "endpoint_rpm_remaining",
    "gauge",
    "Requests left in the RPM budget.",
    ep((e) => e.rpm.remaining ?? 0),
  );
  family(
    "endpoint_tpm_remaining",
    "gauge",
    "Tokens left in the TPM budget.",
    ep((e) => e.tpm.remaining ?? 0),
  );
  family("queue_depth", "gauge", "Requests waiting in the router's queue.", [["", snapshot.queue.depth]]);
  family("requests_total", "counter", "Requests the router accepted.", [["", snapshot.totals.requests]]);
  family("requests_inflight", "gauge", "Requests the router holds (queued or running).", [
    ["", snapshot.totals.inflight],
  ]);
  return `${out.join("\n")}\n`;
}

/** The gateway's own per-client figures (names only, never a key) in the Prometheus text format. */
export function clientPrometheusText(clients: readonly ClientFigures[], prefix = "openai_router_"): string {
  const { out, family } = exposition(prefix);
  const cl = (f: (c: ClientFigures) => number): [string, number][] =>
    clients.map((c) => [`{client="${label(c.name)}"}`, f(c)]);
  family(
    "gateway_client_inflight",
    "gauge",
    "Requests of the client in flight.",
    cl((c) => c.inflight),
  );
  family(
    "gateway_client_queued",
    "gauge",
    "Requests of the client waiting in the gateway.",
    cl((c) => c.queued),
  );
  const answered: [string, number][] = [];
  for (const c of clients)
    for (const [status, n] of c.byStatus)
      answered.push([`{client="${label(c.name)}",status="${status}"}`, n]);
  family("gateway_responses_total", "counter", "Answers the gateway sent, by client and status.", answered);
  return `${out.join("\n")}\n`;
}

function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
