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
import { AzureOpenAI, OpenAI } from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { Registry } from "prom-client";
import { createHttpPool, type HttpPool } from "../src/dispatch/http-pool.js";
import {
  collectPrometheus,
  createRouter,
  DEFAULT_AZURE_API_VERSION,
  type Router,
  type RouterConfig,
} from "../src/index.js";
import type { SimEndpoint, StartFleetOptions } from "../src/sim/index.js";
import { startFleet } from "../src/sim/index.js";
import { flags } from "./lib/args.js";
import { CHAT_BODY, collectGarbage, drive, idle, inMemoryFetch, MODEL, tick } from "./lib/fixtures.js";
import { otelProviders, otelRouter, sdkEmitter, spanProcessorKind } from "./lib/otel.js";
import { fmt, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { startSimChild } from "./lib/sim-child.js";
import { cpuMicros, median, percentiles, round } from "./lib/stats.js";

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
const DEPLOYMENT = "gpt4o-bench";

/**
 * `sdk+memory` is the SDK on an in-memory fetch (no socket): the SDK's own client-side cost, which a
 * second SDK in front of `router.fetch` pays again whatever the router does.
 * `router.fetch` is the SDK pointed at the router's fetch (what framework users run): its budget is
 * against `router` (the router's own SDK-shaped API) in the same run.
 */
const ARMS = [
  "sdk",
  "sdk+pool",
  "router",
  "router.fetch",
  "sdk+memory",
  "router+otel",
  "router+prom",
  "sdk+otel",
] as const;
/**
 * The arms interleaved call by call in the sequential pass. The instrumented arms are not among them:
 * the OpenTelemetry SDK's garbage is collected during whichever calls come next, which in an
 * interleave are another arm's. They get a pass of their own, in blocks (see measureInstrumented).
 */
const INTERLEAVED = ["sdk", "sdk+pool", "router", "router.fetch", "sdk+memory"] as const;
/** The instrumented pass: blocks of calls per arm, with its own baseline measured the same way. */
const INSTRUMENTED = ["sdk+pool", "router", "router+prom", "router+otel", "sdk+otel"] as const;
type InstrumentedArm = (typeof INSTRUMENTED)[number];
type InstrumentedRound = Readonly<Record<InstrumentedArm, Measurement>>;
/** Calls per block in the instrumented sequential pass. */
const BLOCK = 50;
const BUDGET_FETCH_ADDED_P50_US = 40;
type Arm = (typeof ARMS)[number];
type Mode = "sequential" | "concurrent";
/** The arms this run builds, warms up and measures concurrently. */
const ACTIVE: readonly Arm[] = opts.quick ? INTERLEAVED : ARMS;
/** --quick measures the pass the budgets are on (sequential) only: the concurrent one has no verdict. */
const MODES: readonly Mode[] = opts.quick ? ["sequential"] : ["sequential", "concurrent"];
type Calls = Partial<Record<Arm, () => Promise<unknown>>>;

/** An arm a pass does not measure (the instrumented arms in the interleave, or under --quick). */
const NOT_MEASURED: Measurement = {
  calls: 0,
  p50Us: Number.NaN,
  p99Us: Number.NaN,
  perSecond: Number.NaN,
  clientCpuUs: Number.NaN,
};

/** One arm's call; an arm this run did not build is a bug in the bench, not a figure. */
function callOf(call: Calls, arm: Arm): () => Promise<unknown> {
  const f = call[arm];
  if (!f)
    throw new Error(`overhead: arm ${arm} is not built in this run (--quick builds ${ACTIVE.join(", ")})`);
  return f;
}

interface Measurement {
  readonly calls: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly perSecond: number;
  /** This process's CPU per call (client side: SDK, or router + SDK). */
  readonly clientCpuUs: number;
}

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

/** The SDK clients and the router for one endpoint, each with its call. */
function armsFor(e: SimEndpoint): {
  call: Calls;
  router: Router;
  pool: HttpPool;
  close(): Promise<void>;
} {
  const pool = createHttpPool();
  const sdk = (fetchImpl: typeof fetch | undefined): OpenAI => {
    const common = { apiKey: e.apiKey, maxRetries: 0, ...(fetchImpl ? { fetch: fetchImpl } : {}) };
    return e.type === "azure"
      ? new AzureOpenAI({ ...common, endpoint: e.endpoint, apiVersion: DEFAULT_AZURE_API_VERSION })
      : new OpenAI({ ...common, baseURL: e.baseURL });
  };
  const client = sdk(undefined);
  const pooled = sdk(pool.fetch);
  // Azure: the SDK puts `model` in the path as the deployment name, as the router does.
  const body: ChatCompletionCreateParamsNonStreaming =
    e.type === "azure" ? { ...CHAT_BODY, model: e.deployments[MODEL] ?? DEPLOYMENT } : CHAT_BODY;
  const endpoints: RouterConfig["endpoints"] = [
    e.type === "azure"
      ? {
          name: e.name,
          type: "azure",
          endpoint: e.endpoint,
          apiKey: e.apiKey,
          deployments: { ...e.deployments },
        }
      : { name: e.name, type: "openai", baseURL: e.baseURL, apiKey: e.apiKey, models: [...e.models] },
  ];
  const router = createRouter({ endpoints });
  const inMemory = new OpenAI({ apiKey: "unused", fetch: inMemoryFetch, maxRetries: 0 });
  const viaFetch = new OpenAI({
    apiKey: "unused",
    baseURL: "http://router.invalid/v1",
    fetch: router.fetch,
    maxRetries: 0,
  });
  const plain = {
    sdk: () => client.chat.completions.create(body),
    "sdk+pool": () => pooled.chat.completions.create(body),
    router: () => router.chat.completions.create(CHAT_BODY),
    "router.fetch": () => viaFetch.chat.completions.create(CHAT_BODY),
    "sdk+memory": () => inMemory.chat.completions.create(CHAT_BODY),
  };
  if (opts.quick) return { router, pool, close: () => router.close(), call: plain };
  // Instrumented: the real OpenTelemetry SDK (see otelProviders), and a prom-client registry (never
  // scraped: scrapes cost nothing per request).
  const otel = otelRouter(endpoints, undefined, otelProcessor);
  // `sdk+otel`: sdk+pool plus the OpenTelemetry SDK's own work for what router+otel emits per call
  // (the same spans and records, attribute objects built once, written on the next turn as the router
  // does): router+otel over it is the router's cost with its instrumentation, less the SDK's share.
  const url = new URL(e.type === "azure" ? e.endpoint : e.baseURL);
  const emitter = sdkEmitter(
    {
      name: e.name,
      provider: e.type === "azure" ? "azure.ai.openai" : "openai",
      address: url.hostname,
      port: Number(url.port || (url.protocol === "http:" ? 80 : 443)),
      responseModel: MODEL,
    },
    otelProviders(otelProcessor),
  );
  const promRouter = createRouter({ endpoints });
  collectPrometheus(promRouter, { registry: new Registry() });
  return {
    router,
    pool,
    close: async () => {
      await router.close();
      await otel.close();
      await promRouter.close();
      await emitter.shutdown();
    },
    call: {
      ...plain,
      "router+otel": () => otel.router.chat.completions.create(CHAT_BODY),
      "router+prom": () => promRouter.chat.completions.create(CHAT_BODY),
      "sdk+otel": async () => {
        const arrivedAt = Date.now();
        const result = await pooled.chat.completions.create(body);
        setImmediate(() => emitter.emit(arrivedAt, Date.now()));
        return result;
      },
    },
  };
}

/** `--concurrent` calls of one arm with `--concurrency` in flight: throughput and CPU per call. */
async function measureConcurrent(call: () => Promise<unknown>): Promise<Measurement> {
  const calls = opts.concurrent;
  const latencies = new Float64Array(calls);
  collectGarbage();
  await tick();
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  await drive(calls, opts.concurrency, () => call(), { latencies });
  const wallMs = performance.now() - t0;
  const cpu = cpuMicros() - cpu0;
  const { p50, p99 } = percentiles(latencies);
  return { calls, p50Us: p50, p99Us: p99, perSecond: (calls / wallMs) * 1000, clientCpuUs: cpu / calls };
}

/**
 * `--sequential` calls per arm, one at a time, the arms interleaved call by call in rotating order.
 * Throughput is calls ÷ the arm's summed latency; CPU per call cannot be split between interleaved
 * arms and is reported as NaN.
 */
async function measureSequential(call: Calls): Promise<Round> {
  const n = opts.sequential;
  const latencies = Object.fromEntries(INTERLEAVED.map((arm) => [arm, new Float64Array(n)])) as Record<
    (typeof INTERLEAVED)[number],
    Float64Array
  >;
  const calls = INTERLEAVED.map((arm) => callOf(call, arm));
  collectGarbage();
  await tick();
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < INTERLEAVED.length; k++) {
      const j = (i + k) % INTERLEAVED.length;
      const arm = INTERLEAVED[j] as (typeof INTERLEAVED)[number];
      const f = calls[j] as () => Promise<unknown>;
      const t0 = process.hrtime.bigint();
      await f();
      latencies[arm][i] = Number(process.hrtime.bigint() - t0) / 1_000;
      // Instrumentation writes its spans and metrics right after the outcome (setImmediate): let that
      // run here, outside every timed window, instead of inside the next arm's call.
      await tick();
    }
  }
  const one = (arm: (typeof INTERLEAVED)[number]): Measurement => {
    const sum = latencies[arm].reduce((a, b) => a + b, 0);
    const { p50, p99 } = percentiles(latencies[arm]);
    return { calls: n, p50Us: p50, p99Us: p99, perSecond: (n / sum) * 1e6, clientCpuUs: Number.NaN };
  };
  return {
    ...(Object.fromEntries(INTERLEAVED.map((arm) => [arm, one(arm)])) as Record<
      (typeof INTERLEAVED)[number],
      Measurement
    >),
    "router+otel": NOT_MEASURED,
    "router+prom": NOT_MEASURED,
    "sdk+otel": NOT_MEASURED,
  };
}

/**
 * The instrumented arms and their baseline, sequentially, in blocks of {@link BLOCK} calls per arm
 * in rotating order (each call followed by one event-loop turn, as in the interleaved pass): the
 * OpenTelemetry SDK's garbage is then mostly collected inside its own block. Client CPU per call is
 * measured per block.
 */
async function measureInstrumented(call: Calls, round: number): Promise<InstrumentedRound> {
  const n = opts.sequential;
  const latencies = Object.fromEntries(INSTRUMENTED.map((arm) => [arm, new Float64Array(n)])) as Record<
    InstrumentedArm,
    Float64Array
  >;
  const cpu = Object.fromEntries(INSTRUMENTED.map((arm) => [arm, 0])) as Record<InstrumentedArm, number>;
  collectGarbage();
  await tick();
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    for (let k = 0; k < INSTRUMENTED.length; k++) {
      const arm = INSTRUMENTED[(round + start / BLOCK + k) % INSTRUMENTED.length] as InstrumentedArm;
      const f = callOf(call, arm);
      const cpu0 = cpuMicros();
      for (let i = start; i < end; i++) {
        if (opts.gap > 0) await idle(opts.gap);
        const t0 = process.hrtime.bigint();
        await f();
        latencies[arm][i] = Number(process.hrtime.bigint() - t0) / 1_000;
        await tick();
      }
      cpu[arm] += cpuMicros() - cpu0;
    }
  }
  const one = (arm: InstrumentedArm): Measurement => {
    const sum = latencies[arm].reduce((a, b) => a + b, 0);
    const { p50, p99 } = percentiles(latencies[arm]);
    return { calls: n, p50Us: p50, p99Us: p99, perSecond: (n / sum) * 1e6, clientCpuUs: cpu[arm] / n };
  };
  return Object.fromEntries(INSTRUMENTED.map((arm) => [arm, one(arm)])) as InstrumentedRound;
}

type Round = Readonly<Record<Arm, Measurement>>;

interface Summary {
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

/** Instrumented arms against the router and sdk+pool of the same pass (medians of per-round figures). */
function instrumentedFigures(rounds: readonly InstrumentedRound[]): Record<string, number> {
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

async function benchEndpoint(e: SimEndpoint): Promise<Summary[]> {
  const { call, close, pool } = armsFor(e);
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
    perMode.sequential.push(await measureSequential(call));
    if (!opts.quick) instrumentedRounds.sequential.push(await measureInstrumented(call, r));
    if (!opts.quick) {
      const got = Object.fromEntries(ARMS.map((arm) => [arm, NOT_MEASURED])) as Record<Arm, Measurement>;
      for (const arm of order) got[arm] = await measureConcurrent(callOf(call, arm));
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

/** The instrumented pass's table, and its verdicts appended to `verdicts`. */
function printInstrumented(summaries: readonly Summary[], verdicts: Verdict[]): void {
  printTable(
    `Instrumentation on (own pass; sequential in blocks of ${BLOCK} calls${opts.gap > 0 ? `, ${opts.gap} ms idle before each call` : ""}; medians of per-round figures): router+otel = OpenTelemetry SDK (${otelProcessor === "batch" ? "BatchSpanProcessor" : "SimpleSpanProcessor"}), router+prom = prom-client registry`,
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
        budget: `${s.endpoint}: ${arm} (instrumentation on) router-added p50 ≤ ${BUDGET_ADDED_P50_US} µs (sequential, vs sdk+pool: the SDK alone)`,
        measured: `${fmt(added, 1)} µs`,
        pass: added <= BUDGET_ADDED_P50_US,
      });
    }
    const ours = s.instrumented.otelAddedLessSdkP50Us ?? Number.NaN;
    verdicts.push({
      budget: `${s.endpoint}: router+otel router-added p50 vs sdk+otel (the SDK plus the OpenTelemetry SDK's work for the same telemetry) ≤ ${BUDGET_ADDED_P50_US} µs (sequential)`,
      measured: `${fmt(ours, 1)} µs (plain router ${fmt(s.instrumented.routerAddedP50Us ?? Number.NaN, 1)} µs in this pass; the SDK's share: ${fmt(s.instrumented.otelSdkShareP50Us ?? Number.NaN, 1)} µs p50, ${fmt(s.instrumented.otelSdkShareCpuUs ?? Number.NaN, 1)} µs CPU/call; our code: ${fmt(s.instrumented.otelOursOverRouterP50Us ?? Number.NaN, 1)} µs p50, ${fmt(s.instrumented.otelOursCpuUs ?? Number.NaN, 1)} µs CPU/call)`,
      pass: ours <= BUDGET_ADDED_P50_US,
    });
  }
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
  else printInstrumented(summaries, verdicts);
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
