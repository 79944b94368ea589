import type { Completion, StrategyName } from "../../src/index.js";
import { percentiles, round } from "../lib/stats.js";
import { ENDPOINTS, type Plan } from "./plan.js";
import type { StrategyRun } from "./strategy-run.js";

export interface Row {
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

/** One strategy's figures over its window (from the later of the warm-up and saturation to the end). */
export function analyse(
  run: StrategyRun,
  plan: Plan,
  opts: { readonly seconds: number; readonly warmup: number },
): Row {
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
