/** A chaos run's figures, and the one-line summary printed after the suite. */
import type { ChaosReport } from "./scenario.js";
import { bump } from "./util.js";

export interface Figures {
  requests: number;
  byKind: Record<string, number>;
  byApi: Record<string, number>;
  aborted: number;
  abortedIn: Record<string, number>;
  abortedOutcomes: Record<string, number>;
  judged: number;
  succeeded: number;
  failedByCode: Record<string, number>;
  streamInterrupted: number;
  /** Interrupted streams per endpoint that cut them. */
  interruptedBy: Record<string, number>;
  streams: number;
  /** Share of the non-aborted requests that succeeded, interrupted streams excluded (the asserted one). */
  successShare: number;
  /** The same share counting interrupted streams as failures (what a caller experiences). */
  successShareAll: number;
}

export function figuresOf(report: ChaosReport): Figures {
  const f: Figures = {
    requests: report.tracked.length,
    byKind: {},
    byApi: {},
    aborted: 0,
    abortedIn: {},
    abortedOutcomes: {},
    judged: 0,
    succeeded: 0,
    failedByCode: {},
    streamInterrupted: 0,
    interruptedBy: {},
    streams: 0,
    successShare: 0,
    successShareAll: 0,
  };
  let judgedOk = 0;
  for (const t of report.tracked) {
    bump(f.byKind, t.kind);
    bump(f.byApi, t.api);
    const c = t.completions[0];
    if (c?.ok) f.succeeded += 1;
    else if (c) bump(f.failedByCode, c.error.code);
    if (t.abortedIn) {
      f.aborted += 1;
      bump(f.abortedIn, t.abortedIn);
      bump(f.abortedOutcomes, c ? (c.ok ? "ok" : c.error.code) : "none");
      continue;
    }
    if (t.kind === "stream") f.streams += 1;
    if (c && !c.ok && c.error.code === "STREAM_INTERRUPTED") {
      f.streamInterrupted += 1;
      bump(f.interruptedBy, c.endpoint ?? "?");
      continue;
    }
    f.judged += 1;
    if (c?.ok) judgedOk += 1;
  }
  f.successShare = f.judged === 0 ? 0 : judgedOk / f.judged;
  const notAborted = f.judged + f.streamInterrupted;
  f.successShareAll = notAborted === 0 ? 0 : judgedOk / notAborted;
  return f;
}

export function summaryLine(report: ChaosReport, f: Figures): string {
  const statuses = Object.entries(report.endpointStats)
    .map(
      ([name, s]) =>
        `${name}{${Object.entries(s.byStatus)
          .map(([k, v]) => `${k}:${v}`)
          .join(",")},dropped:${s.dropped}}`,
    )
    .join(" ");
  const kv = (r: Record<string, number>) =>
    Object.entries(r)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
  return [
    `chaos[${report.options.strategy} seed=${report.options.seed}]`,
    `requests=${f.requests} (${kv(f.byKind)}; via ${kv(f.byApi)})`,
    `aborted=${f.aborted} (in ${kv(f.abortedIn)}; settled ${kv(f.abortedOutcomes)})`,
    `succeeded=${f.succeeded}`,
    `failed={${kv(f.failedByCode)}}`,
    `judged=${f.judged} success=${(f.successShare * 100).toFixed(2)}%`,
    `stream-interrupted=${f.streamInterrupted} of ${f.streams} non-aborted streams (${kv(f.interruptedBy)}); success counting them=${(f.successShareAll * 100).toFixed(2)}%`,
    `faults={${kv(report.faults)}}`,
    `events={${kv(report.events)}}`,
    `endpoint-statuses: ${statuses}`,
    `router-attempts: ${Object.entries(report.routerStatuses)
      .map(([name, r]) => `${name}{${kv({ ...r })}}`)
      .join(" ")}`,
    `lost=${report.lost}`,
    `duration=${(report.durationMs / 1000).toFixed(1)}s`,
    ...(report.hostile
      ? [
          `hostile-calls={${kv(report.hostile.callsByMode)}}`,
          `zero-retry-after=${report.hostile.zeroRetryAfterRate.toFixed(1)} calls/s per endpoint`,
        ]
      : []),
  ].join(" | ");
}
