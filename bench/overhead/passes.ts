import { collectGarbage, drive, idle, tick } from "../lib/fixtures.js";
import { cpuMicros, percentiles } from "../lib/stats.js";
import {
  type Calls,
  callOf,
  INSTRUMENTED,
  INTERLEAVED,
  type InstrumentedArm,
  type InstrumentedRound,
  type Measurement,
  NOT_MEASURED,
  type Round,
} from "./arms.js";

/** The measured passes of bench/overhead.ts: interleaved, in blocks (instrumented), concurrent. */

/** Calls per block in the instrumented sequential pass. */
export const BLOCK = 50;

/** `concurrent` calls of one arm with `concurrency` in flight: throughput and CPU per call. */
export async function measureConcurrent(
  call: () => Promise<unknown>,
  { concurrent: calls, concurrency }: { readonly concurrent: number; readonly concurrency: number },
): Promise<Measurement> {
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

/**
 * `n` calls per arm, one at a time, the arms interleaved call by call in rotating order.
 * Throughput is calls ÷ the arm's summed latency; CPU per call cannot be split between interleaved
 * arms and is reported as NaN.
 */
export async function measureSequential(call: Calls, n: number): Promise<Round> {
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
export async function measureInstrumented(
  call: Calls,
  round: number,
  { sequential: n, gap }: { readonly sequential: number; readonly gap: number },
): Promise<InstrumentedRound> {
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
        if (gap > 0) await idle(gap);
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
