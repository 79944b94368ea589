import type {
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import { Agent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Completion,
  createTokenEstimator,
  type RouterEvent,
  type RouterMetrics,
} from "../../src/index.js";
import { mulberry32 } from "../../src/sim/prng.js";
import { chat, type rig, virtualRig } from "../helpers/setup.js";

/**
 * Limits checked against the simulated fleet over real HTTP on 127.0.0.1, on one virtual clock shared
 * by the router and the fleet: minutes of refill take milliseconds, and nothing depends on this
 * machine's speed.
 */

type VirtualRig = Awaited<ReturnType<typeof virtualRig>>;

const models = ["gpt-4o", "text-embedding-3-small"];
const estimator = createTokenEstimator({ defaultOutputTokens: 1_000 });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** One upstream request as the wrapped fetch saw it. */
interface Sent {
  readonly at: number;
  readonly host: string;
  /** What a TPM limiter charges it: prompt tokens + max_tokens (as the router and the services count). */
  readonly charge: number;
  readonly body: ChatCompletionCreateParams;
}

/**
 * A fetch that records every upstream request (virtual time, host, charge, body) and then sends it
 * through a pool of its own (closed after the test). `clock` is read when the request goes out.
 */
function recordingFetch(now: () => number) {
  const sent: Sent[] = [];
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const recorded = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    if (typeof init?.body === "string" && url.pathname.endsWith("/chat/completions")) {
      const body = JSON.parse(init.body) as ChatCompletionCreateParams;
      const charge =
        estimator.estimatePromptTokens(body) + (body.max_completion_tokens ?? body.max_tokens ?? 0);
      sent.push({ at: now(), host: url.host, charge, body });
    }
    const response = await undiciFetch(url, {
      ...(init as object),
      dispatcher: agent,
    } as Parameters<typeof undiciFetch>[1]);
    return response as unknown as Response;
  }) as typeof globalThis.fetch;
  cleanups.push(() => agent.close());
  return { sent, fetch: recorded };
}

/** A rig on a virtual clock whose router sends through `recordingFetch`. */
async function recordedRig(
  fleetOptions: Parameters<typeof virtualRig>[0],
  config: Parameters<typeof rig>[1] = {},
): Promise<VirtualRig & { sent: Sent[]; outcomes: Completion[]; events: RouterEvent[] }> {
  // The clock exists only inside virtualRig: read it through a late-bound reference.
  let clockNow: () => number = () => Number.NaN;
  const recorder = recordingFetch(() => clockNow());
  const r = await virtualRig(fleetOptions, { ...config, fetch: recorder.fetch });
  clockNow = r.clock.now;
  // The rig closes first (the router drains through the pool), then the pool.
  cleanups.unshift(() => r.close());
  const outcomes: Completion[] = [];
  const events: RouterEvent[] = [];
  r.router.completions$.subscribe((c) => outcomes.push(c));
  r.router.events$.subscribe((e) => events.push(e));
  return { ...r, sent: recorder.sent, outcomes, events };
}

const hostOf = (r: VirtualRig, name: string) => new URL(r.fleet.endpoint(name).url).host;

/** A chat body charged exactly `tokens` (prompt estimate + max_tokens). */
function sized(tokens: number, content: string) {
  const prompt = estimator.estimatePromptTokens(chat(content, 1));
  return chat(content, tokens - prompt);
}

/**
 * The largest excess over the token-bucket bound in any window [t_i, t_j] of `items` (sorted by time):
 * Σ cost(i..j) − (capacity + ratePerMs · (t_j − t_i)). ≤ 0 means the bound held everywhere.
 */
function worstExcess(
  items: readonly { at: number; cost: number }[],
  capacity: number,
  ratePerMs: number,
): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < items.length; i++) {
    let sum = 0;
    for (let j = i; j < items.length; j++) {
      const a = items[i] as { at: number };
      const b = items[j] as { at: number; cost: number };
      sum += b.cost;
      worst = Math.max(worst, sum - (capacity + ratePerMs * (b.at - a.at)));
    }
  }
  return worst;
}

describe("budgets seen from the wire", () => {
  // Breaks if the router's budgets let a lane's requests or tokens run ahead of its limits at any
  // moment (e.g. a reservation that skips the token bucket, or a request bucket of a minute's size).
  it("no endpoint ever receives more than its token-bucket budget in any window", async () => {
    const limits = [
      { name: "a", rpm: 60, tpm: 6_000 },
      { name: "b", rpm: 120, tpm: 4_000 },
      { name: "c", rpm: 30, tpm: 20_000 },
    ];
    const r = await recordedRig(
      {
        seed: 41,
        endpoints: limits.map((l) => ({
          name: l.name,
          type: "openai" as const,
          models,
          limits: { rpm: l.rpm, tpm: l.tpm },
        })),
      },
      {
        strategy: "usage-based",
        rng: mulberry32(7),
        queue: { maxSize: 10_000 },
        timeoutMs: 3_600_000,
        extras: Object.fromEntries(limits.map((l) => [l.name, { limits: { rpm: l.rpm, tpm: l.tpm } }])),
      },
    );
    const { router, fleet, clock, idle, outcomes, sent } = r;
    // Mixed sizes, 30 to 600 tokens, from a seeded draw.
    const draw = mulberry32(123);
    const charges = Array.from({ length: 64 }, () => 30 + Math.floor(draw() * 571));
    const mean = charges.reduce((s, c) => s + c, 0) / charges.length;
    const perMinute = limits.reduce((s, l) => s + Math.min(l.rpm, l.tpm / mean), 0);
    const n = Math.round(5 * perMinute);
    for (let i = 0; i < n; i++) {
      router.requests.next({
        id: `r${i}`,
        kind: "chat",
        body: sized(charges[i % charges.length] ?? 100, `burst ${i}`),
      });
    }
    await clock.runUntil(() => outcomes.length === n, idle);
    expect(outcomes.length).toBe(n);
    expect(outcomes.filter((c) => !c.ok)).toEqual([]);

    // Checked on what was sent, whatever the sim made of it (a refused request counts here too).
    for (const l of limits) {
      const mine = sent.filter((s) => s.host === hostOf(r, l.name)).sort((x, y) => x.at - y.at);
      expect(mine.length).toBeGreaterThan(0);
      const tokens = worstExcess(
        mine.map((s) => ({ at: s.at, cost: s.charge })),
        l.tpm,
        l.tpm / 60_000,
      );
      const requests = worstExcess(
        mine.map((s) => ({ at: s.at, cost: 1 })),
        (l.rpm * 10) / 60,
        l.rpm / 60_000,
      );
      expect(tokens, `tokens over budget at ${l.name}`).toBeLessThanOrEqual(1e-6);
      expect(requests, `requests over budget at ${l.name}`).toBeLessThanOrEqual(1e-6);
    }
    for (const l of limits) expect(fleet.stats(l.name).byStatus[429] ?? 0).toBe(0);
    // One upstream request per request: nothing was refused and sent again.
    expect(sent).toHaveLength(n);
    // The budgets were spent, not just respected: about five minutes for five minutes' capacity.
    const minutes = (clock.now() - 1_000_000) / 60_000;
    expect(minutes).toBeGreaterThan(3.5);
    expect(minutes).toBeLessThan(6);
  }, 60_000);
});

describe("stream usage", () => {
  // Breaks if the router did not ask upstream for the usage chunk (the lane's token counters would stay
  // at 0 for streams), or handed its own usage chunk / usage fields to a caller that did not ask.
  it("asks upstream for the usage chunk, hides it unless the caller asked, and counts it", async () => {
    const r = await recordedRig({ seed: 42, endpoints: [{ name: "a", type: "openai" as const, models }] });
    const { router, fleet, sent } = r;
    const read = async (body: Omit<ChatCompletionCreateParamsStreaming, "stream">) => {
      const stream = await router.chat.completions.create({ ...body, stream: true });
      const chunks: ChatCompletionChunk[] = [];
      for await (const c of stream) chunks.push(c);
      return chunks;
    };

    const plain = await read(chat("tell me a story", 40));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(plain.length).toBeGreaterThan(2);
    expect(plain.some((c) => c.choices[0]?.delta?.content)).toBe(true);
    expect(plain.filter((c) => c.choices.length === 0)).toEqual([]);
    expect(plain.filter((c) => "usage" in c)).toEqual([]);
    const first = fleet.stats("a");
    const lane1 = router.snapshot().endpoints[0];
    expect(first.completionTokens).toBeGreaterThan(0);
    expect(lane1).toMatchObject({
      promptTokens: first.promptTokens,
      completionTokens: first.completionTokens,
    });

    const asked = await read({ ...chat("tell me another", 40), stream_options: { include_usage: true } });
    expect(sent).toHaveLength(2);
    expect(sent[1]?.body).toMatchObject({ stream_options: { include_usage: true } });
    const usageChunk = asked.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    const second = fleet.stats("a");
    expect(usageChunk?.usage).toMatchObject({
      prompt_tokens: second.promptTokens - first.promptTokens,
      completion_tokens: second.completionTokens - first.completionTokens,
    });
    expect(router.snapshot().endpoints[0]).toMatchObject({
      promptTokens: second.promptTokens,
      completionTokens: second.completionTokens,
    });
  });
});

describe("priority tiers and budgets", () => {
  // Breaks if admission ignored the token budget (tier 0 would get an 11th request and a 429), if the
  // priority strategy let tier 1 take traffic tier 0 could serve, or if a cooling lane were not skipped
  // (or never given traffic back once its cooldown ended).
  it("keeps the spill tier idle until tier 0 is out of budget or cooling, then returns to tier 0", async () => {
    const r = await recordedRig(
      {
        seed: 43,
        endpoints: [
          { name: "t0", type: "openai" as const, models, limits: { tpm: 2_000 } },
          { name: "t1", type: "openai" as const, models },
        ],
      },
      {
        strategy: "priority",
        extras: { t0: { limits: { tpm: 2_000 }, priority: 0 }, t1: { priority: 1 } },
        timeoutMs: 3_600_000,
      },
    );
    const { router, fleet, clock, idle, outcomes } = r;
    let seq = 0;
    const burst = async (count: number) => {
      const before = outcomes.length;
      for (let i = 0; i < count; i++)
        router.requests.next({ id: `q${seq}`, kind: "chat", body: sized(200, `q${seq++}`) });
      await clock.runUntil(() => outcomes.length === before + count, idle);
      return outcomes.slice(before).map((c) => (c.ok ? c.endpoint : c.error.code));
    };

    // Ten 200-token requests fit tier 0's 2 000 tokens: all go there, none to tier 1.
    expect(await burst(10)).toEqual(Array(10).fill("t0"));
    expect(fleet.stats("t1").requests).toBe(0);
    // Tier 0's budget is spent: the next ones spill at once instead of waiting for its refill.
    const t = clock.now();
    expect(await burst(3)).toEqual(["t1", "t1", "t1"]);
    expect(clock.now()).toBe(t);
    expect(outcomes.slice(-3).every((c) => c.latencyMs === 0)).toBe(true);
    expect(fleet.stats("t0")).toMatchObject({ requests: 10, byStatus: { 200: 10 } });

    // A minute later tier 0 has its budget back and gets the traffic again.
    await clock.advanceIdle(60_000, idle);
    expect(await burst(4)).toEqual(Array(4).fill("t0"));

    // A 429 storm: tier 0 cools for the storm's retry-after, traffic spills, then comes back.
    void fleet.setFaults("t0", { rateLimitStormMs: 5_000 });
    const stormAt = clock.now();
    expect(await burst(1)).toEqual(["t1"]);
    expect(outcomes.at(-1)?.attempts.map((a) => [a.endpoint, a.status])).toEqual([
      ["t0", 429],
      ["t1", 200],
    ]);
    const cooled = r.events.find((e) => e.type === "cooled-down");
    expect(cooled).toMatchObject({ endpoint: "t0", until: stormAt + 5_000 });
    await clock.advanceIdle(2_000, idle);
    expect(await burst(2)).toEqual(["t1", "t1"]);
    await clock.advanceIdle(stormAt + 4_999 - clock.now(), idle);
    expect(await burst(1)).toEqual(["t1"]);
    expect(fleet.stats("t0").byStatus[429]).toBe(1);
    await clock.advanceIdle(stormAt + 5_000 - clock.now(), idle);
    expect(router.snapshot().endpoints[0]?.state).toBe("healthy");
    expect(await burst(3)).toEqual(["t0", "t0", "t0"]);
    expect(fleet.stats("t0").byStatus[429]).toBe(1);
  }, 30_000);
});

describe("metrics$", () => {
  // Breaks if metrics$ ran on the wall clock instead of the router's scheduler, did not replay the
  // latest snapshot (shareReplay), did not show a cooling lane or the queue per priority, or did not
  // complete on close().
  it("emits every metricsIntervalMs in virtual time, replays the latest, and completes on close", async () => {
    const r = await recordedRig(
      { seed: 44, endpoints: [{ name: "a", type: "openai" as const, models }] },
      // One at a time, so the waiting requests are served (and answered) in queue order.
      { metricsIntervalMs: 1_000, timeoutMs: 3_600_000, extras: { a: { limits: { concurrency: 1 } } } },
    );
    const { router, fleet, clock, idle, outcomes } = r;
    const t0 = clock.now();
    const seen: RouterMetrics[] = [];
    let completed = false;
    router.metrics$.subscribe({ next: (m) => seen.push(m), complete: () => (completed = true) });
    clock.advanceTo(t0);
    expect(seen.map((m) => m.at)).toEqual([t0]);
    await clock.advanceIdle(3_000, idle);
    expect(seen.map((m) => m.at - t0)).toEqual([0, 1_000, 2_000, 3_000]);

    // A late subscriber gets the latest snapshot at once, not a fresh timer of its own.
    const late: RouterMetrics[] = [];
    let lateCompleted = false;
    router.metrics$.subscribe({ next: (m) => late.push(m), complete: () => (lateCompleted = true) });
    expect(late.map((m) => m.at - t0)).toEqual([3_000]);

    // A storm cools the only lane: the requests wait, by priority.
    void fleet.setFaults("a", { rateLimitStormMs: 4_000 });
    const stormAt = clock.now();
    router.requests.next({ id: "trigger", kind: "chat", body: chat("t") });
    await clock.advanceIdle(0, idle);
    expect(fleet.stats("a").byStatus[429]).toBe(1);
    router.requests.next({ id: "p2", kind: "chat", body: chat("p2"), priority: 2 });
    router.requests.next({ id: "p5", kind: "chat", body: chat("p5"), priority: 5 });
    router.requests.next({ id: "p2b", kind: "chat", body: chat("p2b"), priority: 2 });
    await clock.advanceIdle(1_000, idle);
    const cooling = seen.at(-1);
    expect(cooling?.at).toBe(stormAt + 1_000);
    expect(cooling?.endpoints[0]).toMatchObject({ state: "cooling", coolingUntil: stormAt + 4_000 });
    expect(cooling?.queue).toMatchObject({ depth: 4, byPriority: { "0": 1, "2": 2, "5": 1 } });
    expect(late.at(-1)).toBe(cooling);

    await clock.runUntil(() => outcomes.length === 4, idle);
    expect(outcomes.map((c) => c.id)).toEqual(["trigger", "p2", "p2b", "p5"]);
    await clock.advanceIdle(1_000, idle);
    expect(seen.at(-1)?.endpoints[0]).toMatchObject({ state: "healthy", coolingUntil: 0 });
    expect(seen.at(-1)?.queue.depth).toBe(0);
    // Every emission was on the interval's grid.
    expect(seen.every((m) => (m.at - t0) % 1_000 === 0)).toBe(true);

    expect(completed).toBe(false);
    await router.close();
    expect(completed).toBe(true);
    expect(lateCompleted).toBe(true);
  }, 30_000);
});
