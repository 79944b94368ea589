/**
 * What instrumentation costs per request, without HTTP noise: arms on the same in-memory fetch (the
 * benchmarks' canned completion), called one at a time in blocks of calls, rotating:
 * `sdk` (the OpenAI SDK alone), `sdk+otel` (the same, plus what the OpenTelemetry SDK itself costs for
 * what the router emits per call: the same SDK calls for the same two spans and four histogram
 * records, attribute sets built once, no router code; bench/lib/otel.ts `sdkEmitter`, checked against
 * the router by test/metrics/otel/emitter.test.ts), `plain` (a router, no instrumentation), `prom`
 * (collectPrometheus on a prom-client registry, never scraped) and `otel` (a router on the
 * OpenTelemetry SDK). The SDK is wired as an application runs it (bench/lib/otel.ts `otelProviders`):
 * a BatchSpanProcessor with its defaults to a no-op exporter, a PeriodicExportingMetricReader
 * collecting every 5 s to a no-op exporter; `--otel-processor simple` swaps in a SimpleSpanProcessor.
 * Between calls the loop yields once (setImmediate), where the instrumentation writes its spans and
 * metrics, so p50 is what the caller waits and CPU per call includes the deferred work.
 *
 * Split of `otel` over `plain`: the OpenTelemetry SDK's own share is `sdk+otel` − `sdk`; ours (the
 * router's instrumentation code) is the rest. The budget verdicts: the router-added p50 with OTel on
 * against an application calling the SDK with the same OpenTelemetry work (`otel` − `sdk+otel`), and
 * against the SDK alone (`otel` − `sdk`), each ≤ 50 µs. The HTTP-level figures are bench/overhead.ts'
 * `router+otel` and `router+prom` arms.
 *
 *   npx tsx bench/instrument-cost.ts             # 12 rounds × 1000 calls per arm (2 warm-up rounds)
 *   npx tsx bench/instrument-cost.ts --otel-processor simple
 */
import OpenAI from "openai";
import { Registry } from "prom-client";
import { collectPrometheus, createRouter } from "../src/index.js";
import { flags } from "./lib/args.js";
import { CHAT_BODY, inMemoryFetch, tick } from "./lib/fixtures.js";
import { otelProviders, otelRouter, sdkEmitter, spanProcessorKind } from "./lib/otel.js";
import { fmt, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { median } from "./lib/stats.js";

/** Router-added p50 budget (docs/benchmarks.md), applied to the router's own share. */
const BUDGET_ADDED_P50_US = 50;

const opts = flags("npx tsx bench/instrument-cost.ts [flags]: instrumentation cost per request", {
  rounds: 12,
  warmup: 2,
  calls: 1000,
  "otel-processor": "batch",
  out: "instrument-cost",
});
const processor = spanProcessorKind(opts["otel-processor"]);

const endpoints = [
  {
    name: "m",
    type: "openai" as const,
    apiKey: "sk-bench-0000",
    baseURL: "http://m.invalid/v1",
    models: ["gpt-4o"],
  },
];
const plain = createRouter({ endpoints, fetch: inMemoryFetch });
const prom = createRouter({ endpoints, fetch: inMemoryFetch });
collectPrometheus(prom, { registry: new Registry() });
const otel = otelRouter(endpoints, inMemoryFetch, processor);
const client = new OpenAI({
  apiKey: "sk-bench-0000",
  baseURL: "http://m.invalid/v1",
  fetch: inMemoryFetch,
  maxRetries: 0,
});
const emitter = sdkEmitter(undefined, otelProviders(processor));
/** The SDK with the OTel SDK's work for the call, written where the router writes it (next turn). */
const withOtel = async () => {
  const arrivedAt = Date.now();
  const result = await client.chat.completions.create(CHAT_BODY);
  setImmediate(() => emitter.emit(arrivedAt, Date.now()));
  return result;
};
const arms = {
  sdk: () => client.chat.completions.create(CHAT_BODY),
  "sdk+otel": withOtel,
  plain: () => plain.chat.completions.create(CHAT_BODY),
  prom: () => prom.chat.completions.create(CHAT_BODY),
  otel: () => otel.router.chat.completions.create(CHAT_BODY),
} as const;
type Arm = keyof typeof arms;
const names = Object.keys(arms) as Arm[];
const perRound = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<
  Arm,
  { p50Us: number; cpuUs: number }[]
>;

for (let round = 0; round < opts.rounds; round++) {
  for (let k = 0; k < names.length; k++) {
    const arm = names[(round + k) % names.length] as Arm;
    const latencies = new Float64Array(opts.calls);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < opts.calls; i++) {
      const t0 = process.hrtime.bigint();
      await arms[arm]();
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
      await tick();
    }
    const cpu = process.cpuUsage(cpu0);
    if (round < opts.warmup) continue;
    latencies.sort();
    perRound[arm].push({
      p50Us: latencies[Math.floor(opts.calls / 2)] ?? Number.NaN,
      cpuUs: (cpu.user + cpu.system) / opts.calls,
    });
  }
}
await plain.close();
await prom.close();
await otel.close();
await emitter.shutdown();

const summary = names.map((arm) => {
  const p50Us = median(perRound[arm].map((r) => r.p50Us));
  const cpuUs = median(perRound[arm].map((r) => r.cpuUs));
  return { arm, p50Us, cpuUs };
});
const of = (arm: Arm) => summary.find((s) => s.arm === arm) as { p50Us: number; cpuUs: number };
const base = of("plain");
printTable(
  `Instrumentation cost per call (in-memory fetch, sequential; ${processor === "batch" ? "BatchSpanProcessor" : "SimpleSpanProcessor"}; medians of ${opts.rounds - opts.warmup} rounds × ${fmt(opts.calls)} calls)`,
  ["arm", "p50 µs", "p50 over plain", "CPU µs/call", "CPU over plain"],
  summary.map((s) => [
    s.arm,
    fmt(s.p50Us, 1),
    fmt(s.p50Us - base.p50Us, 1),
    fmt(s.cpuUs, 1),
    fmt(s.cpuUs - base.cpuUs, 1),
  ]),
);
// The split, from per-round differences (each round measures every arm), then their medians: the
// OTel SDK's share (sdk+otel over sdk) and ours (the rest of otel over plain).
const perRoundDiff = (f: (r: Record<Arm, { p50Us: number; cpuUs: number }>) => number) =>
  median(Array.from({ length: perRound.sdk.length }, (_, i) => f(roundAt(i))));
const roundAt = (i: number) =>
  Object.fromEntries(names.map((n) => [n, perRound[n][i]])) as Record<Arm, { p50Us: number; cpuUs: number }>;
const sdkShare = {
  p50Us: perRoundDiff((r) => r["sdk+otel"].p50Us - r.sdk.p50Us),
  cpuUs: perRoundDiff((r) => r["sdk+otel"].cpuUs - r.sdk.cpuUs),
};
const otelOverPlain = {
  p50Us: perRoundDiff((r) => r.otel.p50Us - r.plain.p50Us),
  cpuUs: perRoundDiff((r) => r.otel.cpuUs - r.plain.cpuUs),
};
const ours = {
  p50Us: perRoundDiff((r) => r.otel.p50Us - r.plain.p50Us - (r["sdk+otel"].p50Us - r.sdk.p50Us)),
  cpuUs: perRoundDiff((r) => r.otel.cpuUs - r.plain.cpuUs - (r["sdk+otel"].cpuUs - r.sdk.cpuUs)),
};
const split = {
  routerAddedP50Us: perRoundDiff((r) => r.plain.p50Us - r.sdk.p50Us),
  otelAddedP50Us: perRoundDiff((r) => r.otel.p50Us - r.sdk.p50Us),
  otelAddedLessSdkShareP50Us: perRoundDiff((r) => r.otel.p50Us - r["sdk+otel"].p50Us),
  otelAddedLessSdkShareCpuUs: perRoundDiff((r) => r.otel.cpuUs - r["sdk+otel"].cpuUs),
  sdkShare,
  ours,
};
printTable(
  "OpenTelemetry per call: the OTel SDK's own share vs the router's instrumentation code (medians of per-round differences)",
  ["part", "p50 µs", "CPU µs/call"],
  [
    ["otel over plain (all of it)", fmt(otelOverPlain.p50Us, 1), fmt(otelOverPlain.cpuUs, 1)],
    ["OTel SDK's own share (sdk+otel over sdk)", fmt(sdkShare.p50Us, 1), fmt(sdkShare.cpuUs, 1)],
    ["ours (the rest)", fmt(ours.p50Us, 1), fmt(ours.cpuUs, 1)],
  ],
);
const verdicts: Verdict[] = [
  {
    budget: `router-added p50 with OTel on, vs the SDK doing the same OpenTelemetry work (otel − sdk+otel) ≤ ${BUDGET_ADDED_P50_US} µs`,
    measured: `${fmt(split.otelAddedLessSdkShareP50Us, 1)} µs (CPU ${fmt(split.otelAddedLessSdkShareCpuUs, 1)} µs/call)`,
    pass: split.otelAddedLessSdkShareP50Us <= BUDGET_ADDED_P50_US,
  },
  {
    budget: `router-added p50 with OTel on, vs the SDK alone (otel − sdk) ≤ ${BUDGET_ADDED_P50_US} µs`,
    measured: `${fmt(split.otelAddedP50Us, 1)} µs (OTel SDK's share ${fmt(sdkShare.p50Us, 1)} µs p50, ${fmt(sdkShare.cpuUs, 1)} µs CPU)`,
    pass: split.otelAddedP50Us <= BUDGET_ADDED_P50_US,
  },
  {
    budget: `router-added p50, no instrumentation (plain − sdk) ≤ ${BUDGET_ADDED_P50_US} µs`,
    measured: `${fmt(split.routerAddedP50Us, 1)} µs`,
    pass: split.routerAddedP50Us <= BUDGET_ADDED_P50_US,
  },
];
printVerdicts(verdicts);
writeResult(opts.out, { settings: { ...opts }, results: summary, split, perRound, verdicts });
