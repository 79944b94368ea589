import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
// The router and the fleet come through their public entry points: the built CLI then uses the
// package's own dist/index.js and dist/sim/index.js instead of bundling a copy (see tsup.config.ts).
import { type Completion, createRouter, type StrategyName, startDashboardServer } from "../index.js";
import { type Fleet, type RouterEndpointExtras, startFleet, toRouterEndpoints } from "../sim/index.js";
import { mulberry32, type Rng } from "../sim/prng.js";
import {
  type DashboardInfo,
  describeEvent,
  painter,
  percentile,
  renderDashboard,
  renderPlain,
} from "./dashboard.js";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  readonly strategy: StrategyName;
  /** @unit seconds @default 30 */
  readonly durationSec: number;
  /** Offered load. @unit requests per second @default 25 */
  readonly rps: number;
  readonly seed: number;
  readonly out: { write(text: string): unknown; readonly isTTY?: boolean | undefined };
  /** Redraw in place (a real terminal); otherwise print plain lines every 2 s. */
  readonly live: boolean;
  /** Paint with colour (off for NO_COLOR). @default the value of `live` */
  readonly color?: boolean | undefined;
  /** Stops the load early (Ctrl-C); the demo still drains and prints its summary. */
  readonly signal?: AbortSignal | undefined;
  /** Dashboard refresh period. @unit milliseconds @default 250 */
  readonly refreshMs?: number | undefined;
  /** Also serve the live web dashboard (metrics/web) on 127.0.0.1:`port` (0: any free port). */
  readonly web?: { readonly port: number } | undefined;
}

/** What the demo measured, also printed as the summary table. */
export interface DemoSummary {
  readonly offered: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly failuresByCode: Readonly<Record<string, number>>;
  /**
   * Of `failed`, the failures the scenario causes on purpose: streams cut when the faulted endpoint
   * went down after their first tokens reached the caller (a stream cannot fail over then).
   */
  readonly expectedFailures: number;
  readonly callerRateLimited: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** Per endpoint, the router's own counts: the same figures the dashboard shows. */
  readonly endpoints: readonly {
    name: string;
    attempts: number;
    ok: number;
    rateLimited: number;
    errors: number;
    tokens: number;
  }[];
}

/** The endpoint the scenario slows down and takes down. */
const FAULTED = "ptu-east";

/** Why the scenario's stream cuts are expected (shown next to their count). */
const EXPECTED_WHY = `streams cut when ${FAULTED} went down mid-answer`;

/** The demo fleet: a fast PTU-like tier, two pay-as-you-go regions, one openai.com key. */
const FLEET = [
  {
    name: "ptu-east",
    type: "azure" as const,
    deployments: { "gpt-4o": "gpt4o-ptu", "text-embedding-3-small": "emb-ptu" },
    limits: { rpm: 1_200, tpm: 240_000, concurrency: 20 },
    latency: { ttftMs: 120, tokensPerSecond: 160, jitter: 0.2 },
    priority: 0,
  },
  {
    name: "paygo-west",
    type: "azure" as const,
    deployments: { "gpt-4o": "gpt-4o", "text-embedding-3-small": "embeddings" },
    limits: { rpm: 480, tpm: 80_000, concurrency: 10 },
    latency: { ttftMs: 380, tokensPerSecond: 60, jitter: 0.25 },
    priority: 1,
  },
  {
    name: "paygo-sweden",
    type: "azure" as const,
    deployments: { "gpt-4o": "gpt4o-swc", "text-embedding-3-small": "emb-swc" },
    limits: { rpm: 300, tpm: 50_000, concurrency: 8 },
    latency: { ttftMs: 550, tokensPerSecond: 45, jitter: 0.25 },
    priority: 1,
  },
  {
    name: "openai",
    type: "openai" as const,
    models: ["gpt-4o", "text-embedding-3-small"],
    limits: { rpm: 600, tpm: 120_000, concurrency: 12 },
    latency: { ttftMs: 260, tokensPerSecond: 80, jitter: 0.2 },
    priority: 2,
  },
];

const TOPICS = [
  "the history of the printing press",
  "how token buckets smooth bursts",
  "why one queue beats many queues",
  "a haiku about load balancers",
  "the difference between RPM and TPM limits",
  "what a circuit breaker protects",
  "how to read a Go duration like 6m0s",
  "why retries need jitter",
];

interface Phase {
  readonly at: number;
  readonly text: string;
  /** Changes the fleet; bringing an endpoint back up resolves once it listens again. */
  readonly apply: (fleet: Fleet) => Promise<void> | undefined;
}

const PHASES: readonly Phase[] = [
  { at: 0, text: "steady: every endpoint healthy", apply: () => undefined },
  { at: 0.35, text: `${FAULTED} slows down 5×`, apply: (f) => f.setFaults(FAULTED, { slowFactor: 5 }) },
  {
    at: 0.55,
    text: `${FAULTED} is down (connections refused)`,
    apply: (f) => f.setFaults(FAULTED, { down: true }),
  },
  { at: 0.75, text: `${FAULTED} recovered`, apply: (f) => f.setFaults(FAULTED, {}) },
];

function chatBody(rng: Rng): ChatCompletionCreateParamsNonStreaming {
  const topic = TOPICS[Math.floor(rng() * TOPICS.length)] ?? "routers";
  return {
    model: "gpt-4o",
    messages: [
      { role: "system", content: "You are a concise assistant for an engineering team." },
      { role: "user", content: `Explain ${topic} in a few sentences.` },
    ],
    max_tokens: 40 + Math.floor(rng() * 120),
  };
}

/**
 * Runs the live demo: a simulated fleet, a mixed load through the router, a dashboard, a fault midway.
 * @example
 * await runDemo({ strategy: "least-latency", durationSec: 30, rps: 25, seed: 1, out: process.stdout, live: true });
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const fleet = await startFleet({
    seed: options.seed,
    endpoints: FLEET.map(({ priority: _priority, ...e }) => e),
  });
  const extras: Record<string, RouterEndpointExtras> = {};
  for (const e of FLEET) extras[e.name] = { limits: e.limits, priority: e.priority };
  const router = createRouter({
    strategy: options.strategy,
    endpoints: toRouterEndpoints(fleet, extras),
    timeoutMs: 30_000,
    attemptTimeoutMs: 10_000,
    firstTokenTimeoutMs: 5_000,
    breaker: { cooldownMs: 3_000 },
  });
  const web = options.web ? await startDashboardServer(router, { port: options.web.port }) : undefined;
  if (web) options.out.write(`web dashboard: ${web.url}\n`);
  const rng = mulberry32(options.seed);
  const started = Date.now();
  const durationMs = options.durationSec * 1000;
  const events: { atMs: number; text: string }[] = [];
  const latencies: number[] = [];
  const failuresByCode: Record<string, number> = {};
  let offered = 0;
  let succeeded = 0;
  let failed = 0;
  let expectedFailures = 0;
  let callerRateLimited = 0;
  let phaseIndex = 0;
  const phaseText = () => PHASES[phaseIndex]?.text ?? "";

  const eventSub = router.events$.subscribe((event) => {
    const text = describeEvent(event);
    if (text && event.type !== "failed-over") events.push({ atMs: event.at - started, text });
    if (events.length > 50) events.splice(0, events.length - 50);
  });
  const record = (c: Completion) => {
    if (c.ok) {
      succeeded += 1;
      latencies.push(c.latencyMs);
    } else {
      failed += 1;
      failuresByCode[c.error.code] = (failuresByCode[c.error.code] ?? 0) + 1;
      if (c.error.code === "STREAM_INTERRUPTED" && c.error.endpoint === FAULTED) expectedFailures += 1;
      if ((c.error as { status?: unknown }).status === 429) callerRateLimited += 1;
    }
  };
  const completionSub = router.completions$.subscribe(record);

  // Streams are consumed here; their outcome still arrives on completions$ when they end.
  const consumeStream = async () => {
    try {
      const stream = await router.chat.completions.create({ ...chatBody(rng), stream: true });
      for await (const _chunk of stream) {
        // a real app would render the tokens
      }
    } catch {
      // counted from completions$
    }
  };
  const fire = () => {
    offered += 1;
    const r = rng();
    if (r < 0.55) void router.chat.completions.create(chatBody(rng)).catch(() => undefined);
    else if (r < 0.8) void consumeStream();
    else {
      const n = 1 + Math.floor(rng() * 6);
      const input = Array.from(
        { length: n },
        (_, i) => `document ${offered}-${i}: ${TOPICS[i % TOPICS.length]}`,
      );
      void router.embeddings.create({ model: "text-embedding-3-small", input }).catch(() => undefined);
    }
  };

  const info = (): DashboardInfo => ({
    title: `openai-router demo · strategy ${options.strategy} · offered ${options.rps} req/s`,
    elapsedMs: Date.now() - started,
    durationMs,
    phase: phaseText(),
    completed: succeeded,
    failed,
    expected: { count: expectedFailures, why: EXPECTED_WHY },
    p50Ms: percentile(latencies.slice(-2000), 50),
    p99Ms: percentile(latencies.slice(-2000), 99),
    recentEvents: events,
  });

  const color = options.color ?? options.live;
  let drawnLines = 0;
  const draw = () => {
    const metrics = router.snapshot();
    if (options.live) {
      const lines = renderDashboard(metrics, info(), color);
      const up = drawnLines > 0 ? `\x1b[${drawnLines}F` : "";
      options.out.write(`${up}\x1b[J${lines.join("\n")}\n`);
      drawnLines = lines.length;
    } else {
      options.out.write(`${renderPlain(metrics, info()).join("\n")}\n`);
    }
  };

  if (options.live) options.out.write("\x1b[?25l");
  // Arrivals are Poisson: exponential gaps, drawn from the seeded rng.
  await new Promise<void>((resolve) => {
    let nextArrival = 0;
    let lastDraw = 0;
    const refresh = options.live ? (options.refreshMs ?? 250) : 2_000;
    const tick = setInterval(() => {
      const elapsed = Date.now() - started;
      if (elapsed >= durationMs || options.signal?.aborted) {
        clearInterval(tick);
        resolve();
        return;
      }
      const fraction = elapsed / durationMs;
      while (phaseIndex + 1 < PHASES.length && fraction >= (PHASES[phaseIndex + 1]?.at ?? 1)) {
        phaseIndex += 1;
        const phase = PHASES[phaseIndex];
        // A failure to listen again must not become an unhandled rejection: show it as an event.
        phase
          ?.apply(fleet)
          ?.catch((error: unknown) =>
            events.push({ atMs: elapsed, text: `sim: ${(error as Error).message}` }),
          );
        if (phase) events.push({ atMs: elapsed, text: `▶ ${phase.text}` });
        if (phase && !options.live) options.out.write(`[${(elapsed / 1000).toFixed(1)}s] ▶ ${phase.text}\n`);
      }
      while (nextArrival <= elapsed) {
        fire();
        nextArrival += (-Math.log(1 - rng()) / options.rps) * 1000;
      }
      if (elapsed - lastDraw >= refresh) {
        lastDraw = elapsed;
        draw();
      }
    }, 10);
  });

  // Let the requests in flight finish, then show the final state.
  await fleet.setFaults(FAULTED, {});
  await router.close();
  await web?.close();
  draw();
  if (options.live) options.out.write("\x1b[?25h");
  eventSub.unsubscribe();
  completionSub.unsubscribe();
  const summary: DemoSummary = {
    offered,
    succeeded,
    failed,
    failuresByCode,
    expectedFailures,
    callerRateLimited,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    endpoints: router.snapshot().endpoints.map((e) => ({
      name: e.name,
      attempts: e.attempts,
      ok: e.succeeded,
      rateLimited: e.rateLimited,
      errors: e.failed - e.rateLimited,
      tokens: e.promptTokens + e.completionTokens,
    })),
  };
  await fleet.close();
  options.out.write(`${renderSummary(summary, color).join("\n")}\n`);
  return summary;
}

/** The closing table (the same per-endpoint counts as the dashboard's). */
export function renderSummary(summary: DemoSummary, color: boolean): string[] {
  const paint = painter(color);
  const lines = ["", paint("bold", "summary")];
  const unexpected = summary.failed - summary.expectedFailures;
  const byCode = Object.entries(summary.failuresByCode)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  lines.push(
    `  requests offered ${summary.offered} · succeeded ${summary.succeeded} · failed ${summary.failed}${
      summary.failed > 0 ? ` (${byCode})` : ""
    }`,
  );
  if (summary.expectedFailures > 0) {
    lines.push(
      paint("yellow", `  expected: ${summary.expectedFailures} ${EXPECTED_WHY};`),
      paint("yellow", "  their first tokens had reached the caller, so they could not fail over"),
      paint("yellow", "  (plain calls and new streams did)"),
    );
  }
  lines.push(
    unexpected > 0
      ? paint("red", `  unexpected failures: ${unexpected}`)
      : paint("green", "  unexpected failures: 0"),
  );
  lines.push(`  429s that reached the caller: ${summary.callerRateLimited}`);
  lines.push(`  caller latency p50 ${summary.p50Ms ?? "–"} ms · p99 ${summary.p99Ms ?? "–"} ms`);
  lines.push("");
  lines.push(paint("dim", "  endpoint          attempts      ok    429s  errors     tokens"));
  for (const e of summary.endpoints) {
    lines.push(
      `  ${e.name.padEnd(16)}${String(e.attempts).padStart(10)}${String(e.ok).padStart(8)}${String(e.rateLimited).padStart(8)}${String(e.errors).padStart(8)}${String(e.tokens).padStart(11)}`,
    );
  }
  lines.push("");
  lines.push(
    paint("dim", "  429s and errors at an endpoint were absorbed by the router (cooldown, retry,"),
    paint("dim", "  failover); the caller saw only the failures above."),
  );
  return lines;
}
