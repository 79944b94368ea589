/**
 * What instrumentation costs per request, without HTTP noise: arms on the same in-memory fetch (the
 * benchmarks' canned completion), called one at a time in blocks of calls, rotating:
 * `sdk` (the OpenAI SDK alone), `sdk+otel` (the same, plus what the OpenTelemetry SDK itself costs for
 * what the router emits per call: the same two spans and four histogram records with attribute
 * objects built once, no router code; bench/lib/otel.ts `sdkEmitter`), `plain` (a router, no
 * instrumentation), `prom` (collectPrometheus on a prom-client registry, never scraped) and `otel`
 * (a router on the OpenTelemetry SDK: a SimpleSpanProcessor to a no-op exporter, a MeterProvider whose
 * reader is never collected). Between calls the loop yields once (setImmediate), where the
 * instrumentation writes its spans and metrics, so p50 is what the caller waits and CPU per call
 * includes the deferred work.
 *
 * Split of `otel` over `plain`: the OpenTelemetry SDK's own share is `sdk+otel` − `sdk`; ours (the
 * router's instrumentation code) is the rest. The budget verdict is the router-added p50 with OTel
 * on, less the SDK's share: `otel` − `sdk+otel` ≤ 50 µs. The HTTP-level figures are bench/overhead.ts'
 * `router+otel` and `router+prom` arms.
 *
 *   npx tsx bench/instrument-cost.ts             # 12 rounds × 1000 calls per arm (2 warm-up rounds)
 */
import OpenAI from "openai";
import { Registry } from "prom-client";
import { collectPrometheus, createRouter } from "../src/index.js";
import { flags } from "./lib/args.js";
import { CHAT_BODY, inMemoryFetch, tick } from "./lib/fixtures.js";
import { otelRouter, sdkEmitter } from "./lib/otel.js";
import { fmt, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { median } from "./lib/stats.js";

/** Router-added p50 budget (docs/benchmarks.md), applied to the router's own share. */
const BUDGET_ADDED_P50_US = 50;

const opts = flags("npx tsx bench/instrument-cost.ts [flags]: instrumentation cost per request", {
  rounds: 12,
  warmup: 2,
  calls: 1000,
  out: "instrument-cost",
});

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
const otel = otelRouter(endpoints, inMemoryFetch);
const client = new OpenAI({
  apiKey: "sk-bench-0000",
  baseURL: "http://m.invalid/v1",
  fetch: inMemoryFetch,
  maxRetries: 0,
});
const emitter = sdkEmitter();
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
  `Instrumentation cost per call (in-memory fetch, sequential; medians of ${opts.rounds - opts.warmup} rounds × ${fmt(opts.calls)} calls)`,
  ["arm", "p50 µs", "p50 over plain", "CPU µs/call", "CPU over plain"],
  summary.map((s) => [
    s.arm,
    fmt(s.p50Us, 1),
    fmt(s.p50Us - base.p50Us, 1),
    fmt(s.cpuUs, 1),
    fmt(s.cpuUs - base.cpuUs, 1),
  ]),
);
// The split, from medians of the same run: the OTel SDK's share (sdk+otel over sdk) and ours (the rest
// of otel over plain).
const sdkShare = {
  p50Us: of("sdk+otel").p50Us - of("sdk").p50Us,
  cpuUs: of("sdk+otel").cpuUs - of("sdk").cpuUs,
};
const otelOverPlain = { p50Us: of("otel").p50Us - base.p50Us, cpuUs: of("otel").cpuUs - base.cpuUs };
const ours = { p50Us: otelOverPlain.p50Us - sdkShare.p50Us, cpuUs: otelOverPlain.cpuUs - sdkShare.cpuUs };
const split = {
  routerAddedP50Us: base.p50Us - of("sdk").p50Us,
  otelAddedP50Us: of("otel").p50Us - of("sdk").p50Us,
  otelAddedLessSdkShareP50Us: of("otel").p50Us - of("sdk+otel").p50Us,
  sdkShare,
  ours,
};
printTable(
  "OpenTelemetry per call: the OTel SDK's own share vs the router's instrumentation code",
  ["part", "p50 µs", "CPU µs/call"],
  [
    ["otel over plain (all of it)", fmt(otelOverPlain.p50Us, 1), fmt(otelOverPlain.cpuUs, 1)],
    ["OTel SDK's own share (sdk+otel over sdk)", fmt(sdkShare.p50Us, 1), fmt(sdkShare.cpuUs, 1)],
    ["ours (the rest)", fmt(ours.p50Us, 1), fmt(ours.cpuUs, 1)],
  ],
);
const verdicts: Verdict[] = [
  {
    budget: `router-added p50 with OTel on, less the OTel SDK's own share (otel − sdk+otel) ≤ ${BUDGET_ADDED_P50_US} µs`,
    measured: `${fmt(split.otelAddedLessSdkShareP50Us, 1)} µs`,
    pass: split.otelAddedLessSdkShareP50Us <= BUDGET_ADDED_P50_US,
  },
  {
    budget: `router-added p50 with OTel on, all in (otel − sdk) ≤ ${BUDGET_ADDED_P50_US} µs`,
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
writeResult(opts.out, { settings: { ...opts }, results: summary, split, verdicts });
