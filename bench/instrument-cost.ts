/**
 * What instrumentation costs per request, without HTTP noise: three routers on the same in-memory
 * fetch (the benchmarks' canned completion), called one at a time in blocks of calls, rotating:
 * `plain` (no instrumentation), `prom` (collectPrometheus on a prom-client registry, never scraped) and
 * `otel` (the OpenTelemetry SDK: a SimpleSpanProcessor to a no-op exporter, a MeterProvider whose
 * reader is never collected). Between calls the loop yields once (setImmediate), where the
 * instrumentation writes its spans and metrics, so p50 is what the caller waits and CPU per call
 * includes the deferred work. The HTTP-level figures are bench/overhead.ts' `router+otel` and
 * `router+prom` arms.
 *
 *   npx tsx bench/instrument-cost.ts             # 12 rounds × 1000 calls per arm (2 warm-up rounds)
 */
import { Registry } from "prom-client";
import { collectPrometheus, createRouter } from "../src/index.js";
import { flags } from "./lib/args.js";
import { CHAT_BODY, inMemoryFetch, tick } from "./lib/fixtures.js";
import { otelRouter } from "./lib/otel.js";
import { fmt, printTable, writeResult } from "./lib/report.js";
import { median } from "./lib/stats.js";

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
const arms = { plain, prom, otel: otel.router } as const;
type Arm = keyof typeof arms;
const names = Object.keys(arms) as Arm[];
const perRound: Record<Arm, { p50Us: number; cpuUs: number }[]> = { plain: [], prom: [], otel: [] };

for (let round = 0; round < opts.rounds; round++) {
  for (let k = 0; k < names.length; k++) {
    const arm = names[(round + k) % names.length] as Arm;
    const latencies = new Float64Array(opts.calls);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < opts.calls; i++) {
      const t0 = process.hrtime.bigint();
      await arms[arm].chat.completions.create(CHAT_BODY);
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

const summary = names.map((arm) => {
  const p50Us = median(perRound[arm].map((r) => r.p50Us));
  const cpuUs = median(perRound[arm].map((r) => r.cpuUs));
  return { arm, p50Us, cpuUs };
});
const base = summary[0] as { p50Us: number; cpuUs: number };
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
writeResult(opts.out, { settings: { ...opts }, results: summary });
