/**
 * Soft affinity on the sim's prompt caching: the share of input tokens the endpoints served from their
 * prompt cache, and the time to first output delta, with soft affinity on and off, side by side in one
 * run (same fleet settings, same seeded workload).
 *
 *   npx tsx bench/affinity.ts                       # 8 tenants × 12 requests, 3 endpoints (~10 s)
 *   npx tsx bench/affinity.ts --tenants 16 --requests 14
 *
 * Each tenant has its own long system prompt (> 1,024 tokens, so the services cache it) and sends
 * streamed Responses requests with its `prompt_cache_key`; requests of all tenants are interleaved at
 * `--concurrency`. The strategy is least-busy, which alone spreads a tenant over every endpoint — and
 * every endpoint's cache is its own. Keep `--requests` at or below 15: like the services, the sim
 * overflows a prefix-and-key seen more than ~15 times a minute to other cache machines, which costs
 * hits whatever the router does.
 */
import { createRouter } from "../src/index.js";
import { startFleet } from "../src/sim/index.js";
import { toRouterEndpoints } from "../src/sim/router-endpoints.js";
import { flags } from "./lib/args.js";
import { fmt, pct, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { percentiles, quantile } from "./lib/stats.js";

const opts = flags(
  "npx tsx bench/affinity.ts [flags]: cached share and TTFT with and without soft affinity",
  {
    tenants: 8,
    requests: 12,
    concurrency: 6,
    "ttft-ms": 60,
    out: "affinity",
  },
);

interface Arm {
  readonly soft: boolean;
  readonly cachedShare: number;
  readonly ttftP50Ms: number;
  readonly ttftP90Ms: number;
  readonly failed: number;
}

const MODEL = "gpt-4o";

function systemPrompt(tenant: number): string {
  return `Tenant ${tenant} handbook. ${"Answer precisely, cite the policy section, keep a courteous tone. ".repeat(110)}`;
}

async function runArm(soft: boolean): Promise<Arm> {
  const fleet = await startFleet({
    seed: 5,
    endpoints: ["a", "b", "c"].map((name) => ({
      name,
      type: "openai" as const,
      models: [MODEL],
      latency: { ttftMs: opts["ttft-ms"], tokensPerSecond: 2_000, jitter: 0 },
    })),
  });
  const router = createRouter({
    strategy: "least-busy",
    endpoints: toRouterEndpoints(fleet),
    affinity: { soft },
  });
  const jobs: { tenant: number; i: number }[] = [];
  for (let i = 0; i < opts.requests; i++) for (let t = 0; t < opts.tenants; t++) jobs.push({ tenant: t, i });
  let input = 0;
  let cached = 0;
  let failed = 0;
  const ttft: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as { tenant: number; i: number };
      const t0 = performance.now();
      let first = Number.NaN;
      try {
        const stream = await router.responses.create({
          model: MODEL,
          instructions: systemPrompt(job.tenant),
          input: `Question ${job.i} of tenant ${job.tenant}`,
          prompt_cache_key: `tenant-${job.tenant}`,
          max_output_tokens: 16,
          stream: true,
        });
        for await (const event of stream) {
          if (event.type === "response.output_text.delta" && Number.isNaN(first))
            first = performance.now() - t0;
          if (event.type === "response.completed") {
            input += event.response.usage?.input_tokens ?? 0;
            cached += event.response.usage?.input_tokens_details.cached_tokens ?? 0;
          }
        }
        ttft.push(first);
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  await router.close();
  await fleet.close();
  const sorted = Float64Array.from(ttft).sort();
  const { p50 } = percentiles(sorted);
  const p90 = quantile(sorted, 0.9);
  return { soft, cachedShare: input > 0 ? cached / input : 0, ttftP50Ms: p50, ttftP90Ms: p90, failed };
}

const arms = [await runArm(false), await runArm(true)];
printTable(
  `Soft affinity on the sim's prompt caching: ${opts.tenants} tenants × ${opts.requests} streamed requests, 3 endpoints, least-busy, concurrency ${opts.concurrency}`,
  ["soft affinity", "cached share of input", "TTFT p50 ms", "TTFT p90 ms", "failed"],
  arms.map((a) => [
    a.soft ? "on" : "off",
    pct(a.cachedShare),
    fmt(a.ttftP50Ms, 1),
    fmt(a.ttftP90Ms, 1),
    a.failed,
  ]),
);
const [off, on] = arms as [Arm, Arm];
const verdicts: Verdict[] = [
  {
    budget: "soft affinity raises the cached share of input tokens",
    measured: `${pct(off.cachedShare)} → ${pct(on.cachedShare)}`,
    pass: on.cachedShare > off.cachedShare,
  },
  {
    budget: "soft affinity lowers the time to first delta (p50)",
    measured: `${fmt(off.ttftP50Ms, 1)} → ${fmt(on.ttftP50Ms, 1)} ms`,
    pass: on.ttftP50Ms < off.ttftP50Ms,
  },
  { budget: "no request fails", measured: `${off.failed + on.failed}`, pass: off.failed + on.failed === 0 },
];
printVerdicts(verdicts);
writeResult(opts.out, { settings: { ...opts }, arms, verdicts });
if (verdicts.some((v) => !v.pass)) process.exitCode = 1;
