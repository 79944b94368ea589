import type { SpanProcessorKind } from "../lib/otel.js";
import { fmt, printTable, type Verdict } from "../lib/report.js";
import { median } from "../lib/stats.js";
import type { InstrumentedRound } from "./arms.js";
import { BLOCK } from "./passes.js";

/** bench/overhead.ts's instrumented pass: its figures (medians of per-round differences), table and verdicts. */

/** What the table and verdicts read of one endpoint and mode's summary. */
export interface InstrumentedSummary {
  readonly endpoint: string;
  readonly mode: string;
  readonly instrumented: Readonly<Record<string, number>>;
}

/** How the pass was run (its title says so) and the budget its verdicts are on. */
export interface PrintOptions {
  readonly gap: number;
  readonly otelProcessor: SpanProcessorKind;
  /** @unit microseconds */
  readonly budgetUs: number;
}

/** Instrumented arms against the router and sdk+pool of the same pass (medians of per-round figures). */
export function instrumentedFigures(rounds: readonly InstrumentedRound[]): Record<string, number> {
  const over = (
    arm: "router+otel" | "router+prom" | "sdk+otel",
    of: "sdk+pool" | "router" | "sdk+otel",
    key: "p50Us" | "clientCpuUs",
  ) => median(rounds.map((x) => x[arm][key] - x[of][key]));
  return {
    routerAddedP50Us: median(rounds.map((x) => x.router.p50Us - x["sdk+pool"].p50Us)),
    otelAddedP50Us: over("router+otel", "sdk+pool", "p50Us"),
    otelOverRouterP50Us: over("router+otel", "router", "p50Us"),
    otelCpuOverRouterUs: over("router+otel", "router", "clientCpuUs"),
    // The OpenTelemetry SDK's own share (sdk+otel over sdk+pool), and the router's added p50 with
    // OTel on less that share (router+otel over sdk+otel): the budgeted figure for our code.
    otelSdkShareP50Us: over("sdk+otel", "sdk+pool", "p50Us"),
    otelSdkShareCpuUs: over("sdk+otel", "sdk+pool", "clientCpuUs"),
    otelAddedLessSdkP50Us: over("router+otel", "sdk+otel", "p50Us"),
    // Our instrumentation code's own p50: the same less the plain router's added p50 (same round).
    otelOursOverRouterP50Us: median(
      rounds.map(
        (x) => x["router+otel"].p50Us - x["sdk+otel"].p50Us - (x.router.p50Us - x["sdk+pool"].p50Us),
      ),
    ),
    otelOursCpuUs: median(
      rounds.map(
        (x) =>
          x["router+otel"].clientCpuUs -
          x.router.clientCpuUs -
          (x["sdk+otel"].clientCpuUs - x["sdk+pool"].clientCpuUs),
      ),
    ),
    promAddedP50Us: over("router+prom", "sdk+pool", "p50Us"),
    promOverRouterP50Us: over("router+prom", "router", "p50Us"),
    promCpuOverRouterUs: over("router+prom", "router", "clientCpuUs"),
  };
}

/** The instrumented pass's table, and its verdicts appended to `verdicts`. */
export function printInstrumented(
  summaries: readonly InstrumentedSummary[],
  verdicts: Verdict[],
  { gap, otelProcessor, budgetUs }: PrintOptions,
): void {
  printTable(
    `Instrumentation on (own pass; sequential in blocks of ${BLOCK} calls${gap > 0 ? `, ${gap} ms idle before each call` : ""}; medians of per-round figures): router+otel = OpenTelemetry SDK (${otelProcessor === "batch" ? "BatchSpanProcessor" : "SimpleSpanProcessor"}), router+prom = prom-client registry`,
    [
      "endpoint / mode",
      "router: added p50 vs sdk+pool",
      "otel: added p50 vs sdk+pool",
      "otel: p50 over router",
      "otel: CPU/call over router",
      "OTel SDK's share: p50 / CPU",
      "otel less SDK's share: added p50 / our CPU",
      "ours over router: p50",
      "prom: added p50 vs sdk+pool",
      "prom: p50 over router",
      "prom: CPU/call over router",
    ],
    summaries.map((s) => [
      `${s.endpoint} ${s.mode}`,
      fmt(s.instrumented.routerAddedP50Us ?? Number.NaN, 1),
      fmt(s.instrumented.otelAddedP50Us ?? Number.NaN, 1),
      fmt(s.instrumented.otelOverRouterP50Us ?? Number.NaN, 1),
      fmt(s.instrumented.otelCpuOverRouterUs ?? Number.NaN, 1),
      `${fmt(s.instrumented.otelSdkShareP50Us ?? Number.NaN, 1)} / ${fmt(s.instrumented.otelSdkShareCpuUs ?? Number.NaN, 1)}`,
      `${fmt(s.instrumented.otelAddedLessSdkP50Us ?? Number.NaN, 1)} / ${fmt(s.instrumented.otelOursCpuUs ?? Number.NaN, 1)}`,
      fmt(s.instrumented.otelOursOverRouterP50Us ?? Number.NaN, 1),
      fmt(s.instrumented.promAddedP50Us ?? Number.NaN, 1),
      fmt(s.instrumented.promOverRouterP50Us ?? Number.NaN, 1),
      fmt(s.instrumented.promCpuOverRouterUs ?? Number.NaN, 1),
    ]),
  );
  for (const s of summaries.filter((x) => x.mode === "sequential")) {
    for (const [arm, key] of [
      ["router+otel", "otelAddedP50Us"],
      ["router+prom", "promAddedP50Us"],
    ] as const) {
      const added = s.instrumented[key] ?? Number.NaN;
      verdicts.push({
        budget: `${s.endpoint}: ${arm} (instrumentation on) router-added p50 ≤ ${budgetUs} µs (sequential, vs sdk+pool: the SDK alone)`,
        measured: `${fmt(added, 1)} µs`,
        pass: added <= budgetUs,
      });
    }
    const ours = s.instrumented.otelAddedLessSdkP50Us ?? Number.NaN;
    verdicts.push({
      budget: `${s.endpoint}: router+otel router-added p50 vs sdk+otel (the SDK plus the OpenTelemetry SDK's work for the same telemetry) ≤ ${budgetUs} µs (sequential)`,
      measured: `${fmt(ours, 1)} µs (plain router ${fmt(s.instrumented.routerAddedP50Us ?? Number.NaN, 1)} µs in this pass; the SDK's share: ${fmt(s.instrumented.otelSdkShareP50Us ?? Number.NaN, 1)} µs p50, ${fmt(s.instrumented.otelSdkShareCpuUs ?? Number.NaN, 1)} µs CPU/call; our code: ${fmt(s.instrumented.otelOursOverRouterP50Us ?? Number.NaN, 1)} µs p50, ${fmt(s.instrumented.otelOursCpuUs ?? Number.NaN, 1)} µs CPU/call)`,
      pass: ours <= budgetUs,
    });
  }
}
