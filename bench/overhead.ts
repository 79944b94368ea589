/**
 * Router-added latency and throughput versus the official SDK called directly, against the same
 * simulated endpoint at zero latency (no limits), for an openai-type and an azure-type endpoint.
 *
 *   npx tsx bench/overhead.ts            # quick: 4 rounds × (400 sequential + 800 at 64) per arm, ~45 s
 *   npx tsx bench/overhead.ts --sequential 2000 --concurrent 4000 --rounds 6      # what --full runs
 *
 * Three arms per round, in rotating order: `sdk` (the SDK as users create it, Node's global fetch),
 * `sdk+pool` (the SDK on the router's own HTTP pool, an undici Agent: the same HTTP stack the router
 * uses) and `router` (default config, one endpoint). The budget compares the router with `sdk+pool`,
 * so a difference between the two HTTP stacks does not hide (or inflate) the router's own cost; the
 * difference with plain `sdk` is reported too.
 *
 * Sequential calls are interleaved call by call (sdk, sdk+pool, router, then the next order...), so
 * a burst of load from another process hits every arm alike; concurrent runs are blocks of calls per
 * arm, in rotating order. The reported figure is the median over rounds of each round's own
 * difference or ratio.
 *
 * Instrumentation (`router+otel`: the OpenTelemetry SDK as an application wires it, bench/lib/otel.ts
 * `otelProviders`: a BatchSpanProcessor with its defaults to a no-op exporter, a
 * PeriodicExportingMetricReader collecting every 5 s to a no-op exporter; `--otel-processor simple`
 * swaps in a SimpleSpanProcessor; `router+prom`: collectPrometheus on a prom-client registry, never
 * scraped) is measured
 * in a pass of its own after the interleaved one, with `sdk+pool` and `router` again as its baseline:
 * sequentially in blocks of 50 calls per arm (so the SDK's garbage is collected in its own block, not
 * during another arm's calls), and in the concurrent runs like every arm. `sdk+otel` (sdk+pool plus
 * the OpenTelemetry SDK's own work for the spans and records router+otel emits, bench/lib/otel.ts
 * `sdkEmitter`) splits router+otel's cost into the SDK's share and ours.
 *
 * `--gap <ms>` leaves the process idle that long before every call of the instrumented pass, outside
 * the timed window: each call then starts cold, whatever its arm's cadence (docs/benchmarks.md,
 * "phases.ts"). Off by default: the verdicts are measured back to back.
 *
 * The fleet runs in a child process (its own core), so the sim's CPU is not charged to the client's
 * event loop; `--in-process` puts it in this process instead.
 *
 * `--quick` (what `npm run bench` runs) measures what the plain verdicts are on and nothing else:
 * the sequential interleaved pass of the plain arms (warmed up sequentially). No instrumented pass,
 * the instrumented arms are neither built nor warmed up (the OpenTelemetry SDK's timers and garbage
 * are not in the process at all), and no concurrent pass (it has no verdict). The plain verdicts are
 * measured exactly as without it (same interleave, same baseline, medians of per-round figures); the
 * instrumented verdicts are left out, not reported as passing.
 * Budget (docs/benchmarks.md): router-added p50 ≤ 50 µs.
 */

import type { SimEndpoint, StartFleetOptions } from "../src/sim/index.js";
import { startFleet } from "../src/sim/index.js";
import { flags } from "./lib/args.js";
import { drive, MODEL } from "./lib/fixtures.js";
import { spanProcessorKind } from "./lib/otel.js";
import { fmt, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { startSimChild } from "./lib/sim-child.js";
import { median, round } from "./lib/stats.js";
import {
  ARMS,
  type Arm,
  armsFor,
  callOf,
  DEPLOYMENT,
  INTERLEAVED,
  type InstrumentedRound,
  type Measurement,
  NOT_MEASURED,
  type Round,
} from "./overhead/arms.js";
import { type InstrumentedSummary, instrumentedFigures, printInstrumented } from "./overhead/instrumented.js";
import { measureConcurrent, measureInstrumented, measureSequential } from "./overhead/passes.js";

const USAGE = "npx tsx bench/overhead.ts [flags]: router vs SDK against one sim endpoint, latency 0";
const opts = flags(USAGE, {
  sequential: 400,
  concurrent: 800,
  concurrency: 64,
  rounds: 4,
  warmup: 200,
  "in-process": false,
  "otel-processor": "batch",
  quick: false,
  gap: 0,
  out: "overhead",
});
const otelProcessor = spanProcessorKind(opts["otel-processor"]);

const BUDGET_ADDED_P50_US = 50;
const BUDGET_FETCH_ADDED_P50_US = 40;
type Mode = "sequential" | "concurrent";
/** The arms this run builds, warms up and measures concurrently. */
const ACTIVE: readonly Arm[] = opts.quick ? INTERLEAVED : ARMS;
/** --quick measures the pass the budgets are on (sequential) only: the concurrent one has no verdict. */
const MODES: readonly Mode[] = opts.quick ? ["sequential"] : ["sequential", "concurrent"];

interface Fleetish {
  readonly endpoints: readonly SimEndpoint[];
  stop(): Promise<void>;
}

async function startSim(options: StartFleetOptions): Promise<Fleetish> {
  if (opts["in-process"]) {
    const fleet = await startFleet(options);
    return { endpoints: fleet.endpoints, stop: () => fleet.close() };
  }
  return startSimChild(options);
}

interface Summary extends InstrumentedSummary {
  readonly endpoint: string;
  readonly mode: Mode;
  /** Medians over rounds, per arm. */
  readonly arms: Readonly<Record<Arm, Measurement>>;
  /** Median over rounds of (router p50 − sdk+pool p50): the budgeted figure. */
  readonly addedP50Us: number;
  /** Median over rounds of (router.fetch p50 − router p50): what going through `fetch` adds. */
  readonly fetchAddedP50Us: number;
  /** The same less the outer SDK's own cost (`sdk+memory`): what `router.fetch` itself adds. */
  readonly fetchGlueP50Us: number;
  readonly addedP99Us: number;
  /** Median over rounds of router throughput ÷ sdk+pool throughput. */
  readonly throughputRatio: number;
  /** Median over rounds of router client CPU per call − sdk+pool's. */
  readonly addedCpuUsPerCall: number;
  /**
   * With instrumentation on (`router+otel`: the OpenTelemetry SDK; `router+prom`: a prom-client
   * registry): p50 added over sdk+pool (the budgeted figure), and p50 / CPU per call over the plain router.
   */
  readonly instrumented: Readonly<Record<string, number>>;
  /** The same against the plain SDK (global fetch): what a user switching to the router sees. */
  readonly vsPlainSdk: { readonly addedP50Us: number; readonly throughputRatio: number };
  readonly rounds: readonly Round[];
}

function medianOf(ms: readonly Measurement[]): Measurement {
  return {
    calls: ms[0]?.calls ?? 0,
    p50Us: median(ms.map((m) => m.p50Us)),
    p99Us: median(ms.map((m) => m.p99Us)),
    perSecond: median(ms.map((m) => m.perSecond)),
    clientCpuUs: median(ms.map((m) => m.clientCpuUs)),
  };
}

async function benchEndpoint(e: SimEndpoint): Promise<Summary[]> {
  const { call, close, pool } = armsFor(e, { quick: opts.quick, otelProcessor });
  // Warm up sockets, JIT, the SDK's and the router's caches, sequentially then concurrently.
  for (const arm of ACTIVE) {
    const f = callOf(call, arm);
    await drive(opts.warmup, 1, f);
    if (!opts.quick) await drive(opts.warmup * 4, opts.concurrency, f);
  }
  const perMode: Record<Mode, Round[]> = { sequential: [], concurrent: [] };
  const instrumentedRounds: Record<Mode, InstrumentedRound[]> = { sequential: [], concurrent: [] };
  for (let r = 0; r < opts.rounds; r++) {
    // Rotate the order so no arm always runs first (or right after a GC-heavy one).
    const order = ACTIVE.map((_, i) => ACTIVE[(i + r) % ACTIVE.length] as Arm);
    perMode.sequential.push(await measureSequential(call, opts.sequential));
    if (!opts.quick) instrumentedRounds.sequential.push(await measureInstrumented(call, r, opts));
    if (!opts.quick) {
      const got = Object.fromEntries(ARMS.map((arm) => [arm, NOT_MEASURED])) as Record<Arm, Measurement>;
      for (const arm of order) got[arm] = await measureConcurrent(callOf(call, arm), opts);
      perMode.concurrent.push(got);
      instrumentedRounds.concurrent.push(got);
    }
    process.stdout.write(`  ${e.name}: round ${r + 1}/${opts.rounds} done\n`);
  }
  await close();
  await pool.close();
  return MODES.map((mode) => {
    const rounds = perMode[mode];
    const base = (x: Round) => x["sdk+pool"];
    return {
      endpoint: e.name,
      mode,
      arms: Object.fromEntries(ARMS.map((arm) => [arm, medianOf(rounds.map((x) => x[arm]))])) as Round,
      fetchAddedP50Us: median(rounds.map((x) => x["router.fetch"].p50Us - x.router.p50Us)),
      fetchGlueP50Us: median(
        rounds.map((x) => x["router.fetch"].p50Us - x.router.p50Us - x["sdk+memory"].p50Us),
      ),
      addedP50Us: median(rounds.map((x) => x.router.p50Us - base(x).p50Us)),
      addedP99Us: median(rounds.map((x) => x.router.p99Us - base(x).p99Us)),
      throughputRatio: median(rounds.map((x) => x.router.perSecond / base(x).perSecond)),
      addedCpuUsPerCall: median(rounds.map((x) => x.router.clientCpuUs - base(x).clientCpuUs)),
      instrumented: opts.quick ? {} : instrumentedFigures(instrumentedRounds[mode]),
      vsPlainSdk: {
        addedP50Us: median(rounds.map((x) => x.router.p50Us - x.sdk.p50Us)),
        throughputRatio: median(rounds.map((x) => x.router.perSecond / x.sdk.perSecond)),
      },
      rounds,
    };
  });
}

async function main(): Promise<void> {
  const sim = await startSim({
    seed: 1,
    endpoints: [
      { name: "openai", type: "openai", models: [MODEL] },
      { name: "azure", type: "azure", deployments: { [MODEL]: DEPLOYMENT } },
    ],
  });
  console.log(
    `overhead: ${opts.rounds} rounds × (${fmt(opts.sequential)} sequential, interleaved + ${fmt(opts.concurrent)} at concurrency ${opts.concurrency}) per arm; sim ${opts["in-process"] ? "in this process" : "in a child process"}${opts.quick ? "; --quick: plain arms, sequential pass only" : ""}`,
  );
  const summaries: Summary[] = [];
  try {
    for (const e of sim.endpoints) summaries.push(...(await benchEndpoint(e)));
  } finally {
    await sim.stop();
  }

  printTable(
    "Per arm (medians over rounds): latency µs per call, throughput, client CPU µs per call",
    ["endpoint / mode / arm", "p50", "p99", "calls/s", "CPU/call"],
    summaries.flatMap((s) =>
      ACTIVE.map((arm) => {
        const m = s.arms[arm];
        return [
          `${s.endpoint} ${s.mode} ${arm}`,
          fmt(m.p50Us),
          fmt(m.p99Us),
          fmt(m.perSecond),
          fmt(m.clientCpuUs),
        ];
      }),
    ),
  );
  printTable(
    "Router vs SDK on the same HTTP stack (sdk+pool); last columns vs the plain SDK (medians of per-round figures)",
    [
      "endpoint / mode",
      "added p50 µs",
      "added p99 µs",
      "throughput ratio",
      "added CPU µs/call",
      "vs sdk: added p50",
      "vs sdk: ratio",
    ],
    summaries.map((s) => [
      `${s.endpoint} ${s.mode}`,
      fmt(s.addedP50Us, 1),
      fmt(s.addedP99Us, 0),
      `${fmt(s.throughputRatio, 3)}×`,
      fmt(s.addedCpuUsPerCall, 1),
      fmt(s.vsPlainSdk.addedP50Us, 1),
      `${fmt(s.vsPlainSdk.throughputRatio, 3)}×`,
    ]),
  );
  const verdicts: Verdict[] = summaries
    .filter((s) => s.mode === "sequential")
    .map((s) => ({
      budget: `${s.endpoint}: router-added p50 ≤ ${BUDGET_ADDED_P50_US} µs (sequential, vs sdk+pool)`,
      measured: `${fmt(s.addedP50Us, 1)} µs`,
      pass: s.addedP50Us <= BUDGET_ADDED_P50_US,
    }));
  for (const s of summaries.filter((x) => x.mode === "sequential")) {
    verdicts.push({
      budget: `${s.endpoint}: router.fetch through the SDK adds ≤ ${BUDGET_FETCH_ADDED_P50_US} µs p50 over router.chat.completions.create, less the outer SDK's own cost (sdk+memory)`,
      measured: `${fmt(s.fetchGlueP50Us, 1)} µs (${fmt(s.fetchAddedP50Us, 1)} µs with the outer SDK)`,
      pass: s.fetchGlueP50Us <= BUDGET_FETCH_ADDED_P50_US,
    });
    verdicts.push({
      budget: `${s.endpoint}: router-added p50 ≤ ${BUDGET_ADDED_P50_US} µs vs the plain SDK (informative: includes the HTTP stack difference)`,
      measured: `${fmt(s.vsPlainSdk.addedP50Us, 1)} µs`,
      pass: s.vsPlainSdk.addedP50Us <= BUDGET_ADDED_P50_US,
    });
  }
  if (opts.quick)
    console.log(
      "\n--quick: the concurrent pass and the instrumented arms (router+otel, router+prom, sdk+otel), with their verdicts, are left out; run without --quick for them.",
    );
  else
    printInstrumented(summaries, verdicts, { gap: opts.gap, otelProcessor, budgetUs: BUDGET_ADDED_P50_US });
  printVerdicts(verdicts);
  if (!opts.quick)
    console.log(
      `\nAt concurrency ${opts.concurrency} the client's event loop is the bottleneck, so p50 there is queueing in the client (Little's law: ≈ ${opts.concurrency} ÷ throughput); the throughput ratio and CPU per call are the figures to read.`,
    );
  writeResult(opts.out, {
    settings: { ...opts },
    budgets: { addedP50Us: BUDGET_ADDED_P50_US, fetchAddedP50Us: BUDGET_FETCH_ADDED_P50_US },
    results: summaries.map((s) => ({
      ...s,
      addedP50Us: round(s.addedP50Us),
      fetchAddedP50Us: round(s.fetchAddedP50Us),
      fetchGlueP50Us: round(s.fetchGlueP50Us),
      addedP99Us: round(s.addedP99Us),
      throughputRatio: round(s.throughputRatio, 4),
      addedCpuUsPerCall: round(s.addedCpuUsPerCall),
      instrumented: Object.fromEntries(Object.entries(s.instrumented).map(([k, v]) => [k, round(v)])),
      vsPlainSdk: {
        addedP50Us: round(s.vsPlainSdk.addedP50Us),
        throughputRatio: round(s.vsPlainSdk.throughputRatio, 4),
      },
    })),
    verdicts,
  });
}

await main();
