/**
 * Goodput: how much of the fleet's summed capacity each strategy delivers under overload.
 *
 *   npx tsx bench/goodput.ts                      # 60 s of traffic, all six strategies at once (~65 s)
 *   npx tsx bench/goodput.ts --seconds 30 --strategies usage-based,round-robin
 *
 * Three simulated endpoints with different limits and small latencies, so their capacity is set by
 * their RPM/TPM limits, not by speed. A seeded mix of prompts (50–600 tokens) and max_tokens
 * (50–400) arrives as a Poisson process at `--load` (1.2) × the summed capacity, and the same
 * arrivals go to six routers at once, one per strategy, each with its own fleet (the load is a few
 * requests per second: the CPU is not the limit, which the event-loop lag printed at the end shows).
 *
 * Capacity: endpoint i serves at most min(rpm_i / 60, tpm_i / 60 / c̄) requests/s, c̄ being the mean
 * charge (prompt + max_tokens) of the mix, since both the services and the router charge max_tokens
 * up front. C is the sum over endpoints.
 *
 * Warm-up: a TPM bucket starts full with a whole minute of tokens, so at 1.2 × C the fleet would
 * take 5 minutes of traffic to drain it and every strategy would look like 120 % of capacity. The run
 * therefore opens with a burst (`--burst` × the summed token buckets' worth of requests) that
 * empties the buckets within seconds, and the measurement window starts at the later of `--warmup`
 * (10 %) of the run and the moment every endpoint's token bucket (the router's view) holds less than
 * one average request. What is still in the buckets then is added to the capacity of the window, so
 * the share cannot exceed 100 % by accident of timing.
 *
 * Budget: usage-based completes ≥ 95 % of capacity (requests and tokens), no 429 reaches the caller,
 * endpoints see ≤ 1 % of requests answered 429.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { StrategyName } from "../src/index.js";
import { strategyNames } from "../src/strategies/index.js";
import { analyse } from "./goodput/analyse.js";
import { ENDPOINTS, makePlan, type Planned } from "./goodput/plan.js";
import { StrategyRun } from "./goodput/strategy-run.js";
import { flags } from "./lib/args.js";
import { fmt, pct, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { cpuMicros, round } from "./lib/stats.js";

const USAGE =
  "npx tsx bench/goodput.ts [flags]: share of summed capacity each strategy completes at 1.2× load";
const ALL_STRATEGIES: readonly StrategyName[] = strategyNames;
const opts = flags(USAGE, {
  seconds: 60,
  load: 1.2,
  burst: 1,
  warmup: 0.1,
  seed: 7,
  timeout: 120_000,
  strategies: ALL_STRATEGIES.join(","),
  "sample-ms": 100,
  "prompt-min": 50,
  "prompt-max": 600,
  "max-tokens-min": 50,
  "max-tokens-max": 400,
  out: "goodput",
});

const BUDGET_SHARE = 0.95;
const BUDGET_ENDPOINT_429 = 0.01;

async function main(): Promise<void> {
  const strategies = opts.strategies.split(",").map((s) => s.trim()) as StrategyName[];
  for (const s of strategies) {
    if (!ALL_STRATEGIES.includes(s))
      throw new RangeError(`Expected --strategies to list strategy names, got ${JSON.stringify(s)}.`);
  }
  const plan = makePlan(opts);
  printTable(
    `Capacity with the planned mix (mean charge ${fmt(plan.meanCharge)} tokens = prompt ${fmt(plan.meanPrompt)} + max_tokens ${fmt(plan.meanMaxTokens)})`,
    ["endpoint", "rpm", "tpm", "req/s by rpm", "req/s by tpm", "capacity req/s", "binding"],
    [
      ...plan.perEndpoint.map((e) => {
        const spec = ENDPOINTS.find((x) => x.name === e.name);
        return [
          e.name,
          fmt(spec?.limits.rpm ?? 0),
          fmt(spec?.limits.tpm ?? 0),
          fmt(e.byRpm, 2),
          fmt(e.byTpm, 2),
          fmt(e.capacity, 3),
          e.binding,
        ];
      }),
      ["sum C", "", "", "", "", fmt(plan.capacity, 3), ""],
    ],
  );
  console.log(
    `\nOffered: burst of ${plan.burst} requests at t=0, then Poisson at ${fmt(plan.rate, 3)} req/s (${fmt(plan.rate / plan.capacity, 3)} × C) for ${opts.seconds} s: ${plan.requests.length} requests to each of ${strategies.length} routers.`,
  );

  const origin = performance.now();
  const clock = () => performance.now() - origin;
  const runs = await Promise.all(strategies.map((s) => StrategyRun.start(s, clock, plan.meanCharge, opts)));
  // Lag and CPU over the whole run (the burst at t=0 tokenizes ~1,000 prompts at once) and over the
  // steady part after the warm-up.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const steadyLag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = cpuMicros();
  const start = performance.now();
  const now = () => performance.now() - start;
  let steadyCpu0 = Number.NaN;
  let steadyT0 = Number.NaN;
  const steadyTimer = setTimeout(
    () => {
      steadyLag.enable();
      steadyCpu0 = cpuMicros();
      steadyT0 = now();
    },
    opts.warmup * opts.seconds * 1000,
  );
  const sampler = setInterval(() => {
    const t = now();
    for (const run of runs) run.sample(t);
  }, opts["sample-ms"]);
  const progress = setInterval(() => {
    const depth = runs.map((r) => `${r.strategy} ${r.router.snapshot().queue.depth}`).join(", ");
    process.stdout.write(`  t=${Math.round(now() / 1000)} s, queue depth: ${depth}\n`);
  }, 10_000);
  // Same arrivals, same instants, to every router.
  await new Promise<void>((resolve) => {
    let i = 0;
    const pump = () => {
      const t = now();
      while (i < plan.requests.length && (plan.requests[i]?.at ?? Number.POSITIVE_INFINITY) <= t) {
        const p = plan.requests[i++] as Planned;
        for (const run of runs) run.submit(p);
      }
      if (i < plan.requests.length) setTimeout(pump, Math.max(0, (plan.requests[i]?.at ?? 0) - now()));
      else setTimeout(resolve, Math.max(0, opts.seconds * 1000 - now()));
    };
    pump();
  });
  clearInterval(sampler);
  clearInterval(progress);
  const wallMs = now();
  const cpuShare = (cpuMicros() - cpu0) / 1000 / wallMs;
  const steadyCpuShare = (cpuMicros() - steadyCpu0) / 1000 / (wallMs - steadyT0);
  clearTimeout(steadyTimer);
  lag.disable();
  steadyLag.disable();
  // Re-base the completion clock on the start of the traffic.
  const shift = start - origin;
  await Promise.all(runs.map((r) => r.stop()));
  for (const run of runs) {
    for (const [id, o] of run.outcomes) {
      const dispatchedAt = o.dispatchedAt === undefined ? undefined : o.dispatchedAt - shift;
      run.outcomes.set(id, { ...o, completedAt: o.completedAt - shift, dispatchedAt });
    }
  }
  const rows = runs.map((r) => analyse(r, plan, opts));
  await Promise.all(runs.map((r) => r.fleet.close()));

  const ms = (h: typeof lag) => ({
    p50: h.percentile(50) / 1e6,
    p99: h.percentile(99) / 1e6,
    max: h.max / 1e6,
  });
  const lagMs = ms(lag);
  const steadyLagMs = ms(steadyLag);
  printTable(
    `Goodput at ${fmt(opts.load, 2)} × C over each strategy's window (shares of the summed capacity; latency includes queue time)`,
    [
      "strategy",
      "window s",
      "done",
      "req share",
      "token share",
      "endpoint 429s",
      "caller 429s",
      "other failures",
      "p50 s",
      "p99 s",
      "max queue",
      "queued at end",
      "unspent at end",
    ],
    rows.map((r) => [
      r.strategy,
      `${fmt(r.window.fromS, 1)}–${r.window.toS}`,
      fmt(r.completed),
      pct(r.requestShare),
      pct(r.tokenShare),
      `${fmt(r.endpoint429)} (${pct(r.endpoint429 / Math.max(1, r.endpointRequests), 2)})`,
      fmt(r.caller429),
      Object.entries(r.otherFailures)
        .map(([code, n]) => `${code}:${n}`)
        .join(" ") || "0",
      fmt(r.p50Ms / 1000, 2),
      fmt(r.p99Ms / 1000, 2),
      fmt(r.maxQueue),
      fmt(r.atEnd.queued),
      fmt(r.window.stockAtEnd),
    ]),
  );
  printTable(
    "Per endpoint: charged tokens of its completions in the window ÷ its own token capacity [responses by status, whole run]",
    ["strategy", ...ENDPOINTS.map((e) => e.name), "events (whole run)"],
    rows.map((r) => [
      r.strategy,
      ...r.perEndpoint.map(
        (e) =>
          `${pct(e.tokenShare, 0)} [${Object.entries(e.status)
            .map(([s, n]) => `${s}:${n}`)
            .join(" ")}]`,
      ),
      Object.entries(r.events)
        .filter(([type]) => type !== "dispatched")
        .map(([type, n]) => `${type}:${n}`)
        .join(" ") || "-",
    ]),
  );
  console.log(
    `\nThis process (${runs.length} fleets and ${runs.length} routers): after the warm-up, event-loop lag p50 ${fmt(steadyLagMs.p50, 1)} ms, p99 ${fmt(steadyLagMs.p99, 1)} ms, max ${fmt(steadyLagMs.max, 1)} ms, CPU ${pct(steadyCpuShare, 0)} of one core; whole run incl. the burst: lag p99 ${fmt(lagMs.p99, 1)} ms, max ${fmt(lagMs.max, 1)} ms, CPU ${pct(cpuShare, 0)}.`,
  );
  const estimateMismatch = rows.filter((r) => r.promptTokens.estimated !== r.promptTokens.sim);
  console.log(
    estimateMismatch.length === 0
      ? "Router prompt-token estimates match the sim's counts exactly (every completed request)."
      : `Prompt-token estimate vs sim count differ: ${estimateMismatch.map((r) => `${r.strategy} ${r.promptTokens.estimated} vs ${r.promptTokens.sim}`).join("; ")}`,
  );

  const verdicts: Verdict[] = [];
  for (const r of rows) {
    const tag = r.strategy === "usage-based" ? "" : " (informative)";
    const share = Math.min(r.requestShare, r.tokenShare);
    verdicts.push(
      {
        budget: `${r.strategy}: completed ≥ ${pct(BUDGET_SHARE, 0)} of C${tag}`,
        measured: `req ${pct(r.requestShare)}, tokens ${pct(r.tokenShare)}`,
        pass: share >= BUDGET_SHARE,
      },
      {
        budget: `${r.strategy}: 0 caller-visible 429s${tag}`,
        measured: fmt(r.caller429),
        pass: r.caller429 === 0,
      },
      {
        budget: `${r.strategy}: endpoint 429s ≤ ${pct(BUDGET_ENDPOINT_429, 0)} of requests${tag}`,
        measured: pct(r.endpoint429 / Math.max(1, r.endpointRequests), 2),
        pass: r.endpoint429 <= BUDGET_ENDPOINT_429 * r.endpointRequests,
      },
    );
  }
  printVerdicts(verdicts);
  writeResult(opts.out, {
    settings: { ...opts, strategies },
    endpoints: ENDPOINTS,
    plan: {
      requests: plan.requests.length,
      burst: plan.burst,
      meanCharge: round(plan.meanCharge, 1),
      meanPrompt: round(plan.meanPrompt, 1),
      meanMaxTokens: round(plan.meanMaxTokens, 1),
      capacityPerSecond: round(plan.capacity, 4),
      perEndpoint: plan.perEndpoint.map((e) => ({
        ...e,
        byRpm: round(e.byRpm, 4),
        byTpm: round(e.byTpm, 4),
        capacity: round(e.capacity, 4),
      })),
      offeredPerSecond: round(plan.rate, 4),
      offeredOverCapacity: round(plan.rate / plan.capacity, 4),
    },
    budgets: { share: BUDGET_SHARE, endpoint429: BUDGET_ENDPOINT_429, caller429: 0 },
    process: {
      steady: {
        eventLoopLagMs: {
          p50: round(steadyLagMs.p50),
          p99: round(steadyLagMs.p99),
          max: round(steadyLagMs.max),
        },
        cpuShare: round(steadyCpuShare, 3),
      },
      wholeRun: {
        eventLoopLagMs: { p50: round(lagMs.p50), p99: round(lagMs.p99), max: round(lagMs.max) },
        cpuShare: round(cpuShare, 3),
      },
    },
    results: rows.map((r) => ({
      ...r,
      requestShare: round(r.requestShare, 4),
      tokenShare: round(r.tokenShare, 4),
      p50Ms: round(r.p50Ms, 1),
      p99Ms: round(r.p99Ms, 1),
      perEndpoint: r.perEndpoint.map((e) => ({ ...e, tokenShare: round(e.tokenShare, 4) })),
    })),
    verdicts,
  });
}

await main();
