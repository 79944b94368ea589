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
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import type { Subscription } from "rxjs";
import {
  type Completion,
  createRouter,
  createTokenEstimator,
  type Router,
  type StrategyName,
} from "../src/index.js";
import { type Fleet, type SimEndpointConfig, startFleet } from "../src/sim/index.js";
import { toRouterEndpoints } from "../src/sim/router-endpoints.js";
import { strategyNames } from "../src/strategies/index.js";
import { flags } from "./lib/args.js";
import { MODEL } from "./lib/fixtures.js";
import { fmt, pct, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { exponential, seeded, uniformInt } from "./lib/rng.js";
import { cpuMicros, percentiles, round } from "./lib/stats.js";

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

interface EndpointSpec {
  readonly name: string;
  readonly type: "azure" | "openai";
  readonly limits: { readonly rpm: number; readonly tpm: number; readonly concurrency: number };
  readonly latency: { readonly ttftMs: number; readonly tokensPerSecond: number; readonly jitter: number };
  readonly weight: number;
  readonly priority: number;
}

const ENDPOINTS: readonly EndpointSpec[] = [
  {
    name: "east",
    type: "azure",
    limits: { rpm: 300, tpm: 40_000, concurrency: 16 },
    latency: { ttftMs: 50, tokensPerSecond: 300, jitter: 0.2 },
    weight: 4,
    priority: 0,
  },
  {
    name: "oai",
    type: "openai",
    limits: { rpm: 180, tpm: 30_000, concurrency: 8 },
    latency: { ttftMs: 100, tokensPerSecond: 250, jitter: 0.2 },
    weight: 3,
    priority: 1,
  },
  {
    name: "west",
    type: "azure",
    limits: { rpm: 120, tpm: 20_000, concurrency: 8 },
    latency: { ttftMs: 150, tokensPerSecond: 200, jitter: 0.2 },
    weight: 2,
    priority: 1,
  },
];

function simConfig(e: EndpointSpec): SimEndpointConfig {
  const common = { name: e.name, limits: { ...e.limits }, latency: { ...e.latency } };
  return e.type === "azure"
    ? { ...common, type: "azure", deployments: { [MODEL]: `gpt4o-${e.name}` } }
    : { ...common, type: "openai", models: [MODEL] };
}

// ——— workload ———

/** Words that are one o200k token each with their leading space; the estimator checks the count. */
const WORDS = [
  " river",
  " garden",
  " silver",
  " window",
  " yellow",
  " simple",
  " common",
  " stone",
  " system",
  " model",
  " data",
  " signal",
  " cloud",
  " graph",
  " light",
  " water",
];

interface Planned {
  readonly index: number;
  /** Offset from the start of the run. @unit milliseconds */
  readonly at: number;
  readonly body: ChatCompletionCreateParamsNonStreaming;
  readonly promptTokens: number;
  /** What the limiters charge: prompt + max_tokens. */
  readonly charge: number;
}

interface Plan {
  readonly requests: readonly Planned[];
  readonly burst: number;
  /** Mean charge of the planned requests. */
  readonly meanCharge: number;
  readonly meanPrompt: number;
  readonly meanMaxTokens: number;
  /** Summed capacity in requests/s (with the planned mix) and per endpoint. */
  readonly capacity: number;
  readonly perEndpoint: readonly {
    name: string;
    byRpm: number;
    byTpm: number;
    capacity: number;
    binding: string;
  }[];
  /** Poisson arrival rate after the burst. @unit requests per second */
  readonly rate: number;
}

function capacityFor(meanCharge: number): Pick<Plan, "capacity" | "perEndpoint"> {
  const perEndpoint = ENDPOINTS.map((e) => {
    const byRpm = e.limits.rpm / 60;
    const byTpm = e.limits.tpm / 60 / meanCharge;
    return {
      name: e.name,
      byRpm,
      byTpm,
      capacity: Math.min(byRpm, byTpm),
      binding: byTpm < byRpm ? "tpm" : "rpm",
    };
  });
  return { perEndpoint, capacity: perEndpoint.reduce((a, e) => a + e.capacity, 0) };
}

function makePlan(): Plan {
  const rng = seeded(opts.seed);
  const estimator = createTokenEstimator();
  const framing = estimator.estimatePromptTokens({ model: MODEL, messages: [{ role: "user", content: "" }] });
  const makeBody = (): {
    body: ChatCompletionCreateParamsNonStreaming;
    promptTokens: number;
    charge: number;
  } => {
    const target = uniformInt(rng, opts["prompt-min"], opts["prompt-max"]);
    const maxTokens = uniformInt(rng, opts["max-tokens-min"], opts["max-tokens-max"]);
    const words: string[] = [];
    for (let i = 0; i < target - framing; i++) words.push(WORDS[Math.floor(rng() * WORDS.length)] ?? " data");
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: MODEL,
      max_tokens: maxTokens,
      messages: [{ role: "user", content: words.join("") }],
    };
    const promptTokens = estimator.estimatePromptTokens(body);
    return { body, promptTokens, charge: promptTokens + maxTokens };
  };
  // The offered rate uses the mix's expected charge; the shares use the planned requests' actual mean.
  const expectedCharge =
    (opts["prompt-min"] + opts["prompt-max"]) / 2 + (opts["max-tokens-min"] + opts["max-tokens-max"]) / 2;
  const expected = capacityFor(expectedCharge);
  const rate = opts.load * expected.capacity;
  const bucketTokens = ENDPOINTS.reduce((a, e) => a + e.limits.tpm, 0);
  const burst = Math.round((opts.burst * bucketTokens) / expectedCharge);
  const requests: Planned[] = [];
  for (let i = 0; i < burst; i++) requests.push({ index: requests.length, at: 0, ...makeBody() });
  for (let t = exponential(rng, rate) * 1000; t < opts.seconds * 1000; t += exponential(rng, rate) * 1000) {
    requests.push({ index: requests.length, at: t, ...makeBody() });
  }
  const mean = (f: (p: Planned) => number) => requests.reduce((a, p) => a + f(p), 0) / requests.length;
  const meanCharge = mean((p) => p.charge);
  return {
    requests,
    burst,
    meanCharge,
    meanPrompt: mean((p) => p.promptTokens),
    meanMaxTokens: mean((p) => p.charge - p.promptTokens),
    rate,
    ...capacityFor(meanCharge),
  };
}

// ——— one strategy's run ———

interface Outcome {
  readonly completedAt: number;
  /** When the attempt that produced the outcome was dispatched (the services charge at admission). */
  readonly dispatchedAt: number | undefined;
  readonly completion: Completion;
}

interface Sample {
  readonly t: number;
  readonly depth: number;
  /** Tokens left in the router's TPM buckets, summed over endpoints. */
  readonly stock: number;
  readonly saturated: boolean;
}

class StrategyRun {
  readonly outcomes = new Map<string, Outcome>();
  readonly pending = new Map<string, AbortController>();
  readonly running = new Set<string>();
  readonly dispatchedAt = new Map<string, number>();
  readonly abortedByBench = new Set<string>();
  readonly events: Record<string, number> = {};
  readonly samples: Sample[] = [];
  readonly settled: Promise<unknown>[] = [];
  saturatedAt: number | undefined;
  maxDepth = 0;
  atEnd: { queued: number; inflight: number; pending: number } | undefined;
  private readonly subs: Subscription[] = [];

  private constructor(
    readonly strategy: StrategyName,
    readonly fleet: Fleet,
    readonly router: Router,
    clock: () => number,
    private readonly meanCharge: number,
  ) {
    this.subs.push(
      router.completions$.subscribe((c) => {
        this.outcomes.set(c.id, {
          completedAt: clock(),
          dispatchedAt: this.dispatchedAt.get(c.id),
          completion: c,
        });
        this.running.delete(c.id);
      }),
      router.events$.subscribe((e) => {
        this.events[e.type] = (this.events[e.type] ?? 0) + 1;
        if (e.type === "dispatched") {
          this.running.add(e.id);
          this.dispatchedAt.set(e.id, clock());
        } else if (e.type === "retried") this.running.delete(e.id);
      }),
    );
  }

  static async start(strategy: StrategyName, clock: () => number, meanCharge: number): Promise<StrategyRun> {
    const fleet = await startFleet({ seed: opts.seed, endpoints: ENDPOINTS.map(simConfig) });
    const extras = Object.fromEntries(
      ENDPOINTS.map((e) => [e.name, { limits: { ...e.limits }, weight: e.weight, priority: e.priority }]),
    );
    const router = createRouter({
      strategy,
      endpoints: toRouterEndpoints(fleet, extras),
      queue: { maxSize: 100_000 },
      timeoutMs: opts.timeout,
    });
    return new StrategyRun(strategy, fleet, router, clock, meanCharge);
  }

  submit(p: Planned): void {
    const id = `g${p.index}`;
    const controller = new AbortController();
    this.pending.set(id, controller);
    const done = this.router.chat.completions
      .create(p.body, { id, timeout: opts.timeout, signal: controller.signal })
      .catch(() => undefined)
      .finally(() => this.pending.delete(id));
    this.settled.push(done);
  }

  sample(t: number): void {
    const snap = this.router.snapshot();
    const depth = snap.queue.depth;
    this.maxDepth = Math.max(this.maxDepth, depth);
    let stock = 0;
    let saturated = true;
    for (const e of snap.endpoints) {
      const remaining = e.tpm.remaining ?? Number.POSITIVE_INFINITY;
      stock += remaining;
      if (remaining >= this.meanCharge) saturated = false;
    }
    if (saturated && this.saturatedAt === undefined) this.saturatedAt = t;
    this.samples.push({ t, depth, stock, saturated });
  }

  /** Stops offering: records what is left, aborts what never started, lets running calls finish. */
  async stop(): Promise<void> {
    const snap = this.router.snapshot();
    this.atEnd = { queued: snap.queue.depth, inflight: snap.totals.inflight, pending: this.pending.size };
    for (const [id, controller] of this.pending) {
      if (this.running.has(id)) continue;
      this.abortedByBench.add(id);
      controller.abort(new Error("bench over"));
    }
    await Promise.all(this.settled);
    await this.router.close();
    for (const s of this.subs) s.unsubscribe();
  }
}

// ——— analysis ———

interface Row {
  readonly strategy: StrategyName;
  readonly window: {
    readonly fromS: number;
    readonly toS: number;
    readonly saturatedAtS: number | null;
    /** Tokens left in the router's TPM buckets when the window opened (added to its capacity). */
    readonly stockAtStart: number;
    /** Tokens refilled but not yet spent when it closed (waiting for the queue's head to fit). */
    readonly stockAtEnd: number;
  };
  readonly completed: number;
  readonly requestShare: number;
  readonly tokenShare: number;
  readonly usageTokens: number;
  readonly endpointRequests: number;
  readonly endpoint429: number;
  readonly caller429: number;
  readonly otherFailures: Readonly<Record<string, number>>;
  readonly abortedAtEnd: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxQueue: number;
  readonly atEnd: { queued: number; inflight: number; pending: number };
  readonly perEndpoint: readonly {
    name: string;
    completed: number;
    /** Charged tokens of its completions in the window ÷ its own token capacity over the window. */
    tokenShare: number;
    status: Record<number, number>;
  }[];
  readonly events: Readonly<Record<string, number>>;
  readonly promptTokens: { readonly estimated: number; readonly sim: number };
  readonly queueDepthEverySecond: readonly number[];
}

function isCaller429(c: Completion): boolean {
  if (c.ok) return false;
  const e = c.error as { status?: unknown };
  if (e.status === 429) return true;
  return c.error.code === "ALL_ENDPOINTS_FAILED" && c.attempts.some((a) => a.status === 429);
}

function analyse(run: StrategyRun, plan: Plan): Row {
  const T = opts.seconds * 1000;
  const from = Math.max(opts.warmup * T, run.saturatedAt ?? 0);
  const windowS = (T - from) / 1000;
  const startSample = run.samples.find((s) => s.t >= from);
  const stock = startSample?.stock ?? 0;
  const byId = new Map(plan.requests.map((p) => [`g${p.index}`, p]));
  let completed = 0;
  let charged = 0;
  let usageTokens = 0;
  let caller429 = 0;
  let abortedAtEnd = 0;
  let estimatedPrompt = 0;
  const other: Record<string, number> = {};
  const latencies: number[] = [];
  const perEndpoint = new Map<string, { n: number; tokens: number }>();
  for (const [id, { dispatchedAt, completion: c }] of run.outcomes) {
    const p = byId.get(id);
    if (c.ok) {
      estimatedPrompt += p?.promptTokens ?? 0;
      // Counted by when the endpoint admitted (and charged) the call, as its buckets count it.
      if (dispatchedAt !== undefined && dispatchedAt >= from && dispatchedAt < T) {
        completed += 1;
        charged += p?.charge ?? 0;
        usageTokens += c.usage?.total_tokens ?? 0;
        latencies.push(c.latencyMs);
        const e = perEndpoint.get(c.endpoint) ?? { n: 0, tokens: 0 };
        perEndpoint.set(c.endpoint, { n: e.n + 1, tokens: e.tokens + (p?.charge ?? 0) });
      }
    } else if (isCaller429(c)) caller429 += 1;
    else if (c.error.code === "ABORTED" && run.abortedByBench.has(id)) abortedAtEnd += 1;
    else other[c.error.code] = (other[c.error.code] ?? 0) + 1;
  }
  const stats = ENDPOINTS.map((e) => ({ name: e.name, s: run.fleet.stats(e.name) }));
  const { p50, p99 } = percentiles(latencies);
  const tokenCapacity = plan.capacity * plan.meanCharge * windowS + stock;
  const requestCapacity = plan.capacity * windowS + stock / plan.meanCharge;
  const depthEverySecond: number[] = [];
  for (const s of run.samples)
    if (Math.floor(s.t / 1000) >= depthEverySecond.length) depthEverySecond.push(s.depth);
  return {
    strategy: run.strategy,
    window: {
      fromS: round(from / 1000, 2),
      toS: opts.seconds,
      saturatedAtS: run.saturatedAt === undefined ? null : round(run.saturatedAt / 1000, 2),
      stockAtStart: Math.round(stock),
      stockAtEnd: Math.round(run.samples.at(-1)?.stock ?? Number.NaN),
    },
    completed,
    requestShare: completed / requestCapacity,
    tokenShare: charged / tokenCapacity,
    usageTokens,
    endpointRequests: stats.reduce((a, x) => a + x.s.requests, 0),
    endpoint429: stats.reduce((a, x) => a + (x.s.byStatus[429] ?? 0), 0),
    caller429,
    otherFailures: other,
    abortedAtEnd,
    p50Ms: p50,
    p99Ms: p99,
    maxQueue: run.maxDepth,
    atEnd: run.atEnd ?? { queued: Number.NaN, inflight: Number.NaN, pending: Number.NaN },
    perEndpoint: ENDPOINTS.map((e) => {
      const got = perEndpoint.get(e.name) ?? { n: 0, tokens: 0 };
      const cap = plan.perEndpoint.find((x) => x.name === e.name)?.capacity ?? Number.NaN;
      return {
        name: e.name,
        completed: got.n,
        tokenShare: got.tokens / (cap * plan.meanCharge * windowS),
        status: { ...run.fleet.stats(e.name).byStatus },
      };
    }),
    events: { ...run.events },
    promptTokens: { estimated: estimatedPrompt, sim: stats.reduce((a, x) => a + x.s.promptTokens, 0) },
    queueDepthEverySecond: depthEverySecond,
  };
}

// ——— main ———

async function main(): Promise<void> {
  const strategies = opts.strategies.split(",").map((s) => s.trim()) as StrategyName[];
  for (const s of strategies) {
    if (!ALL_STRATEGIES.includes(s))
      throw new RangeError(`Expected --strategies to list strategy names, got ${JSON.stringify(s)}.`);
  }
  const plan = makePlan();
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
  const runs = await Promise.all(strategies.map((s) => StrategyRun.start(s, clock, plan.meanCharge)));
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
  const rows = runs.map((r) => analyse(r, plan));
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
