/**
 * Router-added latency and throughput versus the official SDK called directly, against the same
 * simulated endpoint at zero latency (no limits), for an openai-type and an azure-type endpoint.
 *
 *   npx tsx bench/overhead.ts                      # quick: 3 rounds of 1,000 sequential + 5,000 at 64
 *   npx tsx bench/overhead.ts --sequential 3000 --concurrent 20000 --rounds 5
 *
 * The fleet runs in a child process (its own core), so the sim's CPU is not charged to the client's
 * event loop; `--in-process` puts it in this process instead. Each round measures the SDK and the
 * router back to back (order alternating, ABBA), and the reported figure is the median over rounds
 * of each round's own difference or ratio: load from other processes hits both arms of a round.
 * Budget (docs/benchmarks.md): router-added p50 ≤ 50 µs.
 */
import { AzureOpenAI, OpenAI } from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { createRouter, DEFAULT_AZURE_API_VERSION, type Router } from "../src/index.js";
import type { SimEndpoint, StartFleetOptions } from "../src/sim/index.js";
import { startFleet } from "../src/sim/index.js";
import { flags } from "./lib/args.js";
import { CHAT_BODY, collectGarbage, drive, MODEL, tick } from "./lib/fixtures.js";
import { fmt, pct, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { startSimChild } from "./lib/sim-child.js";
import { cpuMicros, median, percentiles, round } from "./lib/stats.js";

const USAGE = "npx tsx bench/overhead.ts [flags]: router vs SDK against one sim endpoint, latency 0";
const opts = flags(USAGE, {
  sequential: 1000,
  concurrent: 5000,
  concurrency: 64,
  rounds: 3,
  warmup: 500,
  "in-process": false,
  out: "overhead",
});

const BUDGET_ADDED_P50_US = 50;
const DEPLOYMENT = "gpt4o-bench";

type Arm = "sdk" | "router";
type Mode = "sequential" | "concurrent";

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

/** The SDK client and the router for one endpoint, each with its call. */
function armsFor(e: SimEndpoint): { call: Record<Arm, () => Promise<unknown>>; router: Router } {
  let client: OpenAI;
  let body: ChatCompletionCreateParamsNonStreaming;
  if (e.type === "azure") {
    client = new AzureOpenAI({
      endpoint: e.endpoint,
      apiKey: e.apiKey,
      apiVersion: DEFAULT_AZURE_API_VERSION,
      maxRetries: 0,
    });
    body = { ...CHAT_BODY, model: e.deployments[MODEL] ?? DEPLOYMENT };
  } else {
    client = new OpenAI({ apiKey: e.apiKey, baseURL: e.baseURL, maxRetries: 0 });
    body = CHAT_BODY;
  }
  const router = createRouter({
    endpoints: [
      e.type === "azure"
        ? { name: e.name, type: "azure", endpoint: e.endpoint, apiKey: e.apiKey, deployments: { ...e.deployments } }
        : { name: e.name, type: "openai", baseURL: e.baseURL, apiKey: e.apiKey, models: [...e.models] },
    ],
  });
  return {
    router,
    call: {
      sdk: () => client.chat.completions.create(body),
      router: () => router.chat.completions.create(CHAT_BODY),
    },
  };
}

async function measure(call: () => Promise<unknown>, mode: Mode): Promise<Measurement> {
  const calls = mode === "sequential" ? opts.sequential : opts.concurrent;
  const concurrency = mode === "sequential" ? 1 : opts.concurrency;
  const latencies = new Float64Array(calls);
  collectGarbage();
  await tick();
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  await drive(calls, concurrency, () => call(), { latencies });
  const wallMs = performance.now() - t0;
  const cpu = cpuMicros() - cpu0;
  const { p50, p99 } = percentiles(latencies);
  return { calls, p50Us: p50, p99Us: p99, perSecond: (calls / wallMs) * 1000, clientCpuUs: cpu / calls };
}

interface Summary {
  readonly endpoint: string;
  readonly mode: Mode;
  readonly sdk: Measurement;
  readonly router: Measurement;
  /** Median over rounds of (router p50 − SDK p50). */
  readonly addedP50Us: number;
  readonly addedP99Us: number;
  /** Median over rounds of router throughput ÷ SDK throughput. */
  readonly throughputRatio: number;
  readonly addedCpuUsPerCall: number;
  readonly rounds: readonly { readonly sdk: Measurement; readonly router: Measurement }[];
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
  const { call, router } = armsFor(e);
  // Warm up sockets, JIT, the SDK's and the router's caches, sequentially then concurrently.
  for (const arm of ["sdk", "router"] as const) {
    await drive(opts.warmup, 1, () => call[arm]());
    await drive(opts.warmup * 4, opts.concurrency, () => call[arm]());
  }
  const perMode: Record<Mode, { sdk: Measurement; router: Measurement }[]> = { sequential: [], concurrent: [] };
  for (let r = 0; r < opts.rounds; r++) {
    const order: Arm[] = r % 2 === 0 ? ["sdk", "router"] : ["router", "sdk"];
    for (const mode of ["sequential", "concurrent"] as const) {
      const got: Partial<Record<Arm, Measurement>> = {};
      for (const arm of order) got[arm] = await measure(call[arm], mode);
      perMode[mode].push({ sdk: got.sdk!, router: got.router! });
    }
    process.stdout.write(`  ${e.name}: round ${r + 1}/${opts.rounds} done\n`);
  }
  await router.close();
  return (["sequential", "concurrent"] as const).map((mode) => {
    const rounds = perMode[mode];
    return {
      endpoint: e.name,
      mode,
      sdk: medianOf(rounds.map((x) => x.sdk)),
      router: medianOf(rounds.map((x) => x.router)),
      addedP50Us: median(rounds.map((x) => x.router.p50Us - x.sdk.p50Us)),
      addedP99Us: median(rounds.map((x) => x.router.p99Us - x.sdk.p99Us)),
      throughputRatio: median(rounds.map((x) => x.router.perSecond / x.sdk.perSecond)),
      addedCpuUsPerCall: median(rounds.map((x) => x.router.clientCpuUs - x.sdk.clientCpuUs)),
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
    `overhead: ${opts.rounds} rounds × (${fmt(opts.sequential)} sequential + ${fmt(opts.concurrent)} at concurrency ${opts.concurrency}) per arm; sim ${opts["in-process"] ? "in this process" : "in a child process"}`,
  );
  const summaries: Summary[] = [];
  try {
    for (const e of sim.endpoints) summaries.push(...(await benchEndpoint(e)));
  } finally {
    await sim.stop();
  }

  printTable(
    "Router vs SDK, same sim endpoint, latency 0 (medians over rounds; µs per call)",
    [
      "endpoint / mode",
      "SDK p50",
      "router p50",
      "added p50",
      "SDK p99",
      "router p99",
      "SDK calls/s",
      "router calls/s",
      "ratio",
      "added CPU/call",
    ],
    summaries.map((s) => [
      `${s.endpoint} ${s.mode}`,
      fmt(s.sdk.p50Us),
      fmt(s.router.p50Us),
      fmt(s.addedP50Us, 1),
      fmt(s.sdk.p99Us),
      fmt(s.router.p99Us),
      fmt(s.sdk.perSecond),
      fmt(s.router.perSecond),
      `${fmt(s.throughputRatio, 3)}×`,
      fmt(s.addedCpuUsPerCall, 1),
    ]),
  );
  const sequential = summaries.filter((s) => s.mode === "sequential");
  const verdicts: Verdict[] = sequential.map((s) => ({
    budget: `${s.endpoint}: router-added p50 ≤ ${BUDGET_ADDED_P50_US} µs (sequential)`,
    measured: `${fmt(s.addedP50Us, 1)} µs`,
    pass: s.addedP50Us <= BUDGET_ADDED_P50_US,
  }));
  for (const s of summaries.filter((x) => x.mode === "concurrent")) {
    verdicts.push({
      budget: `${s.endpoint}: router-added p50 ≤ ${BUDGET_ADDED_P50_US} µs (concurrency ${opts.concurrency}, informative)`,
      measured: `${fmt(s.addedP50Us, 1)} µs; throughput ${pct(s.throughputRatio)} of SDK`,
      pass: s.addedP50Us <= BUDGET_ADDED_P50_US,
    });
  }
  printVerdicts(verdicts);
  writeResult(opts.out, {
    settings: { ...opts },
    budgets: { addedP50Us: BUDGET_ADDED_P50_US },
    results: summaries.map((s) => ({
      ...s,
      addedP50Us: round(s.addedP50Us),
      addedP99Us: round(s.addedP99Us),
      throughputRatio: round(s.throughputRatio, 4),
      addedCpuUsPerCall: round(s.addedCpuUsPerCall),
    })),
    verdicts,
  });
}

await main();
