/**
 * Where the router's added latency goes: one call split at its `fetch`, for the SDK alone and the
 * router on the same HTTP stack, against one simulated endpoint (latency 0) in a child process.
 *
 *   npx tsx bench/phases.ts                  # 6 rounds × 8 blocks of 50 calls per arm
 *   npx tsx bench/phases.ts --rounds 10 --block 1
 *
 * Both arms share one fetch over one undici Agent (the router takes it as its `fetch`), wrapped to
 * stamp three moments: the call reaching `fetch`, the response's headers (undici's `request`
 * resolving) and `fetch` returning the read body. A call is then four phases:
 * - before fetch: the SDK building the request (and, for the router, intake, queue, selection and
 *   lane admission);
 * - to headers: the request written, the endpoint answering and its headers parsed;
 * - body: the body read;
 * - after fetch: the SDK parsing the answer (and the router's outcome: calibration, release, the
 *   caller's promise).
 * Arms run in blocks of `--block` calls in rotating order, as bench/overhead.ts's instrumented pass
 * does; each phase's figure is the median over rounds of the round's p50 difference, router − sdk.
 * The phases' p50s need not add up to the total's p50. No budget: this splits the figure that
 * bench/overhead.ts judges.
 *
 * `--pad <µs>` busy-waits that long after each sdk call, outside its timed window: the endpoint then
 * sees the sdk's calls at the router's cadence. It is the control for "to headers": in blocks, that
 * phase grows with the time between calls, whoever makes them (docs/benchmarks.md, "phases.ts").
 *
 * `--gap <ms>` leaves the process idle that long (a timer) before each call of either arm, outside
 * the timed window: every call then starts from the same idle, whatever the arm's cadence.
 */
import { OpenAI } from "openai";
import type { Dispatcher } from "undici";
import { Agent } from "undici";
import { poolFetch } from "../src/dispatch/pool-fetch.js";
import { createRouter } from "../src/index.js";
import { flags } from "./lib/args.js";
import { CHAT_BODY, collectGarbage, idle, MODEL, tick } from "./lib/fixtures.js";
import { fmt, printTable } from "./lib/report.js";
import { startSimChild } from "./lib/sim-child.js";
import { median, nowMicros, percentiles } from "./lib/stats.js";

const USAGE = "npx tsx bench/phases.ts [flags]: the router's added latency split at its fetch";
const opts = flags(USAGE, { rounds: 6, blocks: 8, block: 50, warmup: 1000, pad: 0, gap: 0 });

const PHASES = ["before fetch", "to headers", "body", "after fetch", "total"] as const;
type Phase = (typeof PHASES)[number];
const ARMS = ["sdk", "router"] as const;
type Arm = (typeof ARMS)[number];

/** The moments of the call in flight (calls are sequential: one at a time). */
const stamp = { fetch: 0, headers: 0, body: 0 };

async function main(): Promise<void> {
  const sim = await startSimChild({
    seed: 1,
    endpoints: [{ name: "openai", type: "openai", models: [MODEL] }],
  });
  const e = sim.endpoints[0];
  if (e?.type !== "openai") throw new Error("phases: the sim started no openai endpoint");
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const timed: Pick<Dispatcher, "request"> = {
    request: async (options: Dispatcher.RequestOptions) => {
      const answer = await agent.request(options);
      stamp.headers = nowMicros();
      return answer;
    },
  } as Pick<Dispatcher, "request">;
  const pooled = poolFetch(timed as Dispatcher);
  const fetchStamped: typeof fetch = async (input, init) => {
    stamp.fetch = nowMicros();
    const response = await pooled(input, init);
    stamp.body = nowMicros();
    return response;
  };
  const sdk = new OpenAI({ apiKey: e.apiKey, baseURL: e.baseURL, maxRetries: 0, fetch: fetchStamped });
  const router = createRouter({
    fetch: fetchStamped,
    endpoints: [
      { name: e.name, type: "openai", baseURL: e.baseURL, apiKey: e.apiKey, models: [...e.models] },
    ],
  });
  const calls: Record<Arm, () => Promise<unknown>> = {
    sdk: () => sdk.chat.completions.create(CHAT_BODY),
    router: () => router.chat.completions.create(CHAT_BODY),
  };
  console.log(
    `phases: ${opts.rounds} rounds × ${opts.blocks} blocks of ${opts.block} calls per arm${opts.gap > 0 ? `, ${opts.gap} ms idle before each call` : ""}; sim in a child process`,
  );
  try {
    for (let i = 0; i < opts.warmup; i++) for (const arm of ARMS) await calls[arm]();
    const rounds: Record<Arm, Record<Phase, number>>[] = [];
    for (let r = 0; r < opts.rounds; r++) rounds.push(await measureRound(calls, r));
    report(rounds);
  } finally {
    await router.close();
    await agent.close();
    await sim.stop();
  }
}

/** One round: blocks of calls per arm in rotating order; each arm's p50 per phase. */
async function measureRound(
  calls: Record<Arm, () => Promise<unknown>>,
  round: number,
): Promise<Record<Arm, Record<Phase, number>>> {
  const samples = Object.fromEntries(
    ARMS.map((arm) => [arm, Object.fromEntries(PHASES.map((p) => [p, [] as number[]]))]),
  ) as Record<Arm, Record<Phase, number[]>>;
  collectGarbage();
  await tick();
  for (let b = 0; b < opts.blocks; b++) {
    for (let k = 0; k < ARMS.length; k++) {
      const arm = ARMS[(b + k + round) % ARMS.length] as Arm;
      const s = samples[arm];
      for (let i = 0; i < opts.block; i++) {
        if (opts.gap > 0) await idle(opts.gap);
        const t0 = nowMicros();
        await calls[arm]();
        const t1 = nowMicros();
        s["before fetch"].push(stamp.fetch - t0);
        s["to headers"].push(stamp.headers - stamp.fetch);
        s.body.push(stamp.body - stamp.headers);
        s["after fetch"].push(t1 - stamp.body);
        s.total.push(t1 - t0);
        if (arm === "sdk" && opts.pad > 0) spin(opts.pad);
      }
      await tick();
    }
  }
  const p50s = (arm: Arm) =>
    Object.fromEntries(PHASES.map((p) => [p, percentiles(samples[arm][p]).p50])) as Record<Phase, number>;
  return { sdk: p50s("sdk"), router: p50s("router") };
}

/** Busy-waits (the process stays on its core, as it does while the router works). */
function spin(micros: number): void {
  const until = nowMicros() + micros;
  while (nowMicros() < until);
}

function report(rounds: readonly Record<Arm, Record<Phase, number>>[]): void {
  const of = (arm: Arm, p: Phase) => median(rounds.map((r) => r[arm][p]));
  printTable(
    "p50 per phase, µs (medians over rounds); added = router − sdk, the median of per-round differences",
    ["phase", "sdk", "router", "added", "range of added over rounds"],
    PHASES.map((p) => {
      const diffs = rounds.map((r) => r.router[p] - r.sdk[p]);
      return [
        p,
        fmt(of("sdk", p), 1),
        fmt(of("router", p), 1),
        fmt(median(diffs), 1),
        `${fmt(Math.min(...diffs), 1)} – ${fmt(Math.max(...diffs), 1)}`,
      ];
    }),
  );
}

await main();
