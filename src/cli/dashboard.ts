import type { RouterEvent } from "../events.js";
import type { BudgetMetrics, EndpointMetrics, RouterMetrics } from "../types.js";

/** What the dashboard shows besides the router's own metrics. */
export interface DashboardInfo {
  readonly title: string;
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly phase: string;
  readonly completed: number;
  /** Every caller-visible failure, the expected ones included. */
  readonly failed: number;
  /**
   * Failures the demo's scenario causes on purpose, with why: streams cut when an endpoint goes down
   * after their first tokens (a stream cannot fail over once content reached the caller).
   */
  readonly expected: { readonly count: number; readonly why: string };
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly recentEvents: readonly { readonly atMs: number; readonly text: string }[];
}

/** The dashboard's width: every line fits a standard 80-column terminal. */
export const DASHBOARD_WIDTH = 80;

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
  if (visible > width) return `${[...text].slice(0, Math.max(0, width - 1)).join("")}…`;
  if (visible === width) return text;
  return right ? " ".repeat(width - visible) + text : text + " ".repeat(width - visible);
}

/** Cuts a plain line to the dashboard's width. */
function fitWidth(text: string): string {
  return pad(text, DASHBOARD_WIDTH).trimEnd();
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

/** A bar of `width` cells for a share in [0, 1]. */
function bar(share: number, width: number): string {
  const cells = Math.round(Math.max(0, Math.min(1, share)) * width);
  return "█".repeat(cells) + "·".repeat(width - cells);
}

/**
 * Headroom of a budget per minute: what is left in the bucket, scaled from the bucket's size to the
 * per-minute limit (Azure counts requests per 10 s window, so its bucket holds a sixth of the RPM).
 * Full when idle, 0 when the endpoint is spent; `null` when there is no limit.
 */
export function perMinuteHeadroom(budget: BudgetMetrics): number | null {
  if (budget.limit === null || budget.remaining === null) return null;
  if (budget.capacity === null || budget.capacity <= 0) return budget.remaining;
  return Math.max(0, (budget.remaining / budget.capacity) * budget.limit);
}

/** name, width, right-aligned: 80 columns with the spaces between them. */
const COLUMNS: readonly [string, number, boolean][] = [
  ["endpoint", 12, false],
  ["state", 9, false],
  ["busy", 5, true],
  ["req/s", 5, true],
  ["share", 9, false],
  ["lat ms", 6, true],
  ["ok", 5, true],
  ["429", 4, true],
  ["err", 3, true],
  ["rpm", 6, true],
  ["tpm", 6, true],
];

const header = (cells: readonly string[]): string =>
  COLUMNS.map(([, width, right], i) => pad(cells[i] ?? "", width, right)).join(" ");

/** Renders the live dashboard as lines of at most 80 columns (the caller decides how to refresh). */
export function renderDashboard(metrics: RouterMetrics, info: DashboardInfo, color: boolean): string[] {
  const paint = painter(color);
  const lines: string[] = [];
  const elapsed = (info.elapsedMs / 1000).toFixed(1);
  const total = (info.durationMs / 1000).toFixed(0);
  const clock = `${elapsed}s / ${total}s`;
  const title = pad(info.title, DASHBOARD_WIDTH - clock.length - 2).trimEnd();
  lines.push(`${paint("bold", title)}  ${paint("dim", clock)}`);
  lines.push(`${paint("cyan", "phase")} ${pad(info.phase, DASHBOARD_WIDTH - 6).trimEnd()}`);
  lines.push("");
  // A group heading over the last two columns (rpm, tpm): what each budget has left per minute.
  const tableWidth = header([]).length;
  lines.push(paint("dim", `${" ".repeat(tableWidth - 13)}${pad("left per min", 13, true)}`));
  lines.push(paint("dim", header(COLUMNS.map(([name]) => name))));
  const totalRate = metrics.endpoints.reduce((sum, e) => sum + e.requestsPerSecond, 0);
  for (const e of metrics.endpoints) {
    const errors = e.failed - e.rateLimited;
    const share = totalRate > 0 ? e.requestsPerSecond / totalRate : 0;
    const cells = [
      pad(e.name, 12),
      paint(stateStyle(e.state), pad(e.state, 9)),
      pad(`${e.inflight}/${e.concurrency ?? "∞"}`, 5, true),
      pad(fmt(e.requestsPerSecond, 1), 5, true),
      `${paint("blue", bar(share, 4))} ${pad(`${Math.round(share * 100)}%`, 4, true)}`,
      pad(fmt(e.latencyMs), 6, true),
      pad(compact(e.succeeded), 5, true),
      e.rateLimited > 0 ? paint("yellow", pad(compact(e.rateLimited), 4, true)) : pad("0", 4, true),
      errors > 0 ? paint("red", pad(compact(errors), 3, true)) : pad("0", 3, true),
      pad(compact(perMinuteHeadroom(e.rpm)), 6, true),
      pad(compact(perMinuteHeadroom(e.tpm)), 6, true),
    ];
    lines.push(cells.join(" "));
  }
  lines.push("");
  const unexpected = info.failed - info.expected.count;
  lines.push(
    `${paint("cyan", "queue")} ${metrics.queue.depth} waiting  ${paint("cyan", "caller")} ${paint("green", `${info.completed} ok`)} · ${
      unexpected > 0 ? paint("red", `${unexpected} failed`) : "0 failed"
    }  ${paint("cyan", "p50")} ${fmt(info.p50Ms)} ms ${paint("cyan", "p99")} ${fmt(info.p99Ms)} ms`,
  );
  if (info.expected.count > 0) {
    lines.push(paint("yellow", fitWidth(`      + ${info.expected.count} expected: ${info.expected.why}`)));
  }
  lines.push("");
  lines.push(paint("dim", "recent events"));
  for (const event of info.recentEvents.slice(-6)) {
    const at = `${(event.atMs / 1000).toFixed(1)}s`.padStart(6);
    lines.push(`  ${paint("dim", at)} ${pad(event.text, DASHBOARD_WIDTH - 3 - at.length).trimEnd()}`);
  }
  return lines;
}

/** One line per endpoint, for logs and CI where the screen cannot be redrawn. */
export function renderPlain(metrics: RouterMetrics, info: DashboardInfo): string[] {
  const t = `[${(info.elapsedMs / 1000).toFixed(1)}s]`;
  const lines = [
    `${t} queue=${metrics.queue.depth} ok=${info.completed} failed=${info.failed - info.expected.count} expected-failures=${info.expected.count} p50=${fmt(info.p50Ms)}ms p99=${fmt(info.p99Ms)}ms phase="${info.phase}"`,
  ];
  for (const e of metrics.endpoints) {
    lines.push(
      `${t}   ${e.name} state=${e.state} inflight=${e.inflight} rps=${fmt(e.requestsPerSecond, 1)} lat=${fmt(e.latencyMs)}ms ttft=${fmt(e.ttftMs)}ms ok=${e.succeeded} 429=${e.rateLimited} err=${e.failed - e.rateLimited} rpm-left=${compact(perMinuteHeadroom(e.rpm))} tpm-left=${compact(perMinuteHeadroom(e.tpm))}`,
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
