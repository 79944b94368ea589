import type { RouterEvent } from "../events.js";
import type { EndpointMetrics, RouterMetrics } from "../types.js";

/** What the dashboard shows besides the router's own metrics. */
export interface DashboardInfo {
  readonly title: string;
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly phase: string;
  readonly completed: number;
  readonly failed: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly recentEvents: readonly { readonly atMs: number; readonly text: string }[];
}

/** The few SGR styles the dashboard uses (codes from ECMA-48; open and close). */
const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  cyan: [36, 39],
} as const;

type Style = keyof typeof STYLES;

/**
 * Paints text when colour is on; plain otherwise (pipes, CI, NO_COLOR). The caller decides, so the
 * output does not depend on how each Node version's `styleText` detects a terminal.
 */
export function painter(color: boolean): (style: Style, text: string) => string {
  return color
    ? (style, text) => `\x1b[${STYLES[style][0]}m${text}\x1b[${STYLES[style][1]}m`
    : (_style, text) => text;
}

const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);

const compact = (n: number | null): string => {
  if (n === null) return "∞";
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return String(Math.round(n));
};

function pad(text: string, width: number, right = false): string {
  const visible = [...text].length;
  if (visible >= width) return text;
  return right ? " ".repeat(width - visible) + text : text + " ".repeat(width - visible);
}

function stateStyle(state: EndpointMetrics["state"]): Style {
  switch (state) {
    case "healthy":
      return "green";
    case "cooling":
    case "half-open":
      return "yellow";
    default:
      return "red";
  }
}

function bar(value: number, max: number, width: number): string {
  if (max <= 0) return " ".repeat(width);
  const cells = Math.round((Math.min(value, max) / max) * width);
  return "█".repeat(cells) + "·".repeat(width - cells);
}

const COLUMNS: readonly [string, number, boolean][] = [
  ["endpoint", 14, false],
  ["state", 10, false],
  ["in-flight", 10, true],
  ["req/s", 7, true],
  ["share", 12, false],
  ["lat ms", 8, true],
  ["ttft ms", 8, true],
  ["ok", 7, true],
  ["429", 5, true],
  ["err", 5, true],
  ["tok/min", 8, true],
  ["rpm left", 9, true],
  ["tpm left", 9, true],
];

/** Renders the live dashboard as lines (no cursor control: the caller decides how to refresh). */
export function renderDashboard(metrics: RouterMetrics, info: DashboardInfo, color: boolean): string[] {
  const paint = painter(color);
  const lines: string[] = [];
  const elapsed = (info.elapsedMs / 1000).toFixed(1);
  const total = (info.durationMs / 1000).toFixed(0);
  lines.push(`${paint("bold", info.title)}  ${paint("dim", `${elapsed}s / ${total}s`)}`);
  lines.push(`${paint("cyan", "phase")} ${info.phase}`);
  lines.push("");
  lines.push(paint("dim", COLUMNS.map(([name, width, right]) => pad(name, width, right)).join(" ")));
  const maxRate = Math.max(1, ...metrics.endpoints.map((e) => e.requestsPerSecond));
  for (const e of metrics.endpoints) {
    const errors = e.failed - e.rateLimited;
    const cells = [
      pad(e.name, 14),
      paint(stateStyle(e.state), pad(e.state, 10)),
      pad(`${e.inflight}/${e.concurrency ?? "∞"}`, 10, true),
      pad(fmt(e.requestsPerSecond, 1), 7, true),
      paint("blue", bar(e.requestsPerSecond, maxRate, 12)),
      pad(fmt(e.latencyMs), 8, true),
      pad(fmt(e.ttftMs), 8, true),
      pad(String(e.succeeded), 7, true),
      e.rateLimited > 0 ? paint("yellow", pad(String(e.rateLimited), 5, true)) : pad("0", 5, true),
      errors > 0 ? paint("red", pad(String(errors), 5, true)) : pad("0", 5, true),
      pad(compact(e.tokensPerMinute), 8, true),
      pad(compact(e.rpm.remaining), 9, true),
      pad(compact(e.tpm.remaining), 9, true),
    ];
    lines.push(cells.join(" "));
  }
  lines.push("");
  const q = metrics.queue;
  lines.push(
    `${paint("cyan", "queue")} ${q.depth} waiting  ${paint("cyan", "caller")} ${paint("green", `${info.completed} ok`)} · ${
      info.failed > 0 ? paint("red", `${info.failed} failed`) : "0 failed"
    }  ${paint("cyan", "latency")} p50 ${fmt(info.p50Ms)} ms · p99 ${fmt(info.p99Ms)} ms`,
  );
  lines.push("");
  lines.push(paint("dim", "recent events"));
  for (const event of info.recentEvents.slice(-6)) {
    lines.push(`  ${paint("dim", `${(event.atMs / 1000).toFixed(1)}s`.padStart(6))} ${event.text}`);
  }
  return lines;
}

/** One line per endpoint, for logs and CI where the screen cannot be redrawn. */
export function renderPlain(metrics: RouterMetrics, info: DashboardInfo): string[] {
  const t = `[${(info.elapsedMs / 1000).toFixed(1)}s]`;
  const lines = [
    `${t} queue=${metrics.queue.depth} ok=${info.completed} failed=${info.failed} p50=${fmt(info.p50Ms)}ms p99=${fmt(info.p99Ms)}ms phase="${info.phase}"`,
  ];
  for (const e of metrics.endpoints) {
    lines.push(
      `${t}   ${e.name} state=${e.state} inflight=${e.inflight} rps=${fmt(e.requestsPerSecond, 1)} lat=${fmt(e.latencyMs)}ms ttft=${fmt(e.ttftMs)}ms ok=${e.succeeded} 429=${e.rateLimited} err=${e.failed - e.rateLimited} tpm=${compact(e.tokensPerMinute)}`,
    );
  }
  return lines;
}

/** A short human line for an event worth showing on the dashboard (dispatches are too many to show). */
export function describeEvent(event: RouterEvent): string | undefined {
  switch (event.type) {
    case "cooled-down":
      return `${event.endpoint} cooling down for ${Math.round(event.until - event.at)} ms (429)`;
    case "circuit-opened":
      return `${event.endpoint} ${circuit(event.scope)} opened (${event.reason})`;
    case "circuit-half-opened":
      return `${event.endpoint} ${circuit(event.scope)} half-open: probing`;
    case "recovered":
      return `${event.endpoint} recovered${event.scope === "streams" ? " (streams)" : ""}`;
    case "endpoint-disabled":
      return `${event.endpoint} disabled (${event.reason})`;
    case "model-disabled":
      return `${event.endpoint} stopped serving ${event.model} (404)`;
    case "limits-learned":
      return `${event.endpoint} limits learned rpm=${event.rpm ?? "–"} tpm=${event.tpm ?? "–"}`;
    case "fallback-used":
      return `request ${event.id}: fallback ${event.from} → ${event.to}`;
    case "failed-over":
      return `request ${event.id} failed over from ${event.from} (${event.reason})`;
    default:
      return undefined;
  }
}

const circuit = (scope: "endpoint" | "streams"): string =>
  scope === "streams" ? "stream circuit" : "circuit";

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
