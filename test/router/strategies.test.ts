import { afterEach, describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/sim/prng.js";
import { chat, type Rig, rig } from "../helpers/setup.js";
import { runVirtual, virtualLatencyFetch } from "../helpers/virtual-latency.js";
import { FastForward } from "../helpers/virtual-time.js";

let current: Rig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const both = ["gpt-4o", "text-embedding-3-small"];

describe("round-robin", () => {
  it("rotates per model, so interleaved models still split evenly", async () => {
    current = await rig(
      {
        seed: 1,
        endpoints: ["a", "b", "c"].map((name) => ({ name, type: "openai" as const, models: both })),
      },
      { strategy: "round-robin" },
    );
    const { router } = current;
    const byModel: Record<string, Record<string, number>> = { chat: {}, emb: {} };
    const outcomes: { kind: "chat" | "emb"; endpoint: string }[] = [];
    router.completions$.subscribe((c) => {
      if (c.ok) outcomes.push({ kind: c.kind === "embeddings" ? "emb" : "chat", endpoint: c.endpoint });
    });
    // Sequential, alternating models: a shared counter (the original router's bug) would send
    // every chat to a and c, every embedding to b.
    for (let i = 0; i < 30; i++) {
      await router.chat.completions.create(chat(`q${i}`));
      await router.embeddings.create({ model: "text-embedding-3-small", input: `t${i}` });
    }
    for (const o of outcomes) {
      const table = byModel[o.kind] as Record<string, number>;
      table[o.endpoint] = (table[o.endpoint] ?? 0) + 1;
    }
    expect(byModel.chat).toEqual({ a: 10, b: 10, c: 10 });
    expect(byModel.emb).toEqual({ a: 10, b: 10, c: 10 });
  });
});

/**
 * A rig for the latency-driven strategies: an instant fleet over real HTTP, and a router on a virtual
 * clock whose calls take exactly the latency `latencyOf` gives their endpoint. The shares these tests
 * assert are then properties of the strategy, not of how busy this machine is.
 */
async function latencyRig(
  fleetOptions: Parameters<typeof rig>[0],
  routerConfig: Parameters<typeof rig>[1],
  latencyOf: (endpoint: string, completionTokens: number | undefined) => number,
) {
  const clock = new FastForward();
  const names = new Map<string, string>();
  const held = virtualLatencyFetch(clock, (call) =>
    latencyOf(names.get(call.host) ?? call.host, call.completionTokens),
  );
  const r = await rig(
    { ...fleetOptions, now: clock.now },
    { ...routerConfig, scheduler: clock.scheduler, fetch: held.fetch },
  );
  for (const e of fleetOptions.endpoints) names.set(new URL(r.fleet.endpoint(e.name).url).host, e.name);
  return {
    ...r,
    clock,
    /** Runs the virtual clock until every promise in `calls` has settled. */
    async settle(calls: readonly Promise<unknown>[]): Promise<void> {
      let settled = 0;
      for (const call of calls)
        call.then(
          () => settled++,
          () => settled++,
        );
      await runVirtual(
        clock,
        () => settled === calls.length,
        () => held.waitingOnClock(r.router),
      );
    },
    async close() {
      await r.close();
      await held.close();
    },
  };
}

describe("least-busy", () => {
  it("favours the lane with free slots over a slow lane that piles up work", async () => {
    const latency: Record<string, number> = { slow: 300, fast: 5 };
    const r = await latencyRig(
      {
        seed: 2,
        endpoints: ["slow", "fast"].map((name) => ({ name, type: "openai" as const, models: both })),
      },
      {
        strategy: "least-busy",
        rng: mulberry32(2),
        extras: { slow: { limits: { concurrency: 40 } }, fast: { limits: { concurrency: 40 } } },
      },
      (endpoint) => latency[endpoint] as number,
    );
    current = r;
    const { router, fleet, clock } = r;
    // One request every 8 ms of virtual time: the fast lane is free again before each arrival.
    const calls = Array.from(
      { length: 40 },
      (_, i) =>
        new Promise<unknown>((resolve, reject) => {
          clock.scheduler.schedule(
            () => router.chat.completions.create(chat(`b${i}`)).then(resolve, reject),
            8 * i,
          );
        }),
    );
    await r.settle(calls);
    await Promise.all(calls);
    const slow = fleet.stats("slow").requests;
    const fast = fleet.stats("fast").requests;
    expect(slow + fast).toBe(40);
    // Round-robin would give 20/20; least-busy keeps sending to the lane that keeps freeing its slots.
    expect(fast).toBeGreaterThanOrEqual(30);
  });
});

describe("least-latency", () => {
  it("prefers the fastest lane, shifts away when it slows down and wins it back after recovery", async () => {
    // Milliseconds per output token, the figure least-latency compares for chat.
    const msPerToken: Record<string, number> = { a: 2, b: 25 };
    const r = await latencyRig(
      { seed: 3, endpoints: ["a", "b"].map((name) => ({ name, type: "openai" as const, models: both })) },
      { strategy: "least-latency", rng: mulberry32(3), latency: { explorationInterval: 10 } },
      (endpoint, tokens) => (msPerToken[endpoint] as number) * Math.max(1, tokens ?? 1),
    );
    current = r;
    const { router } = r;
    let phase = "warm";
    const run = async (n: number): Promise<string[]> => {
      const picks: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = `ll${i}-${n}-${phase}`;
        const completion = new Promise<string>((resolve) => {
          const sub = router.completions$.subscribe((c) => {
            if (c.id === id) {
              sub.unsubscribe();
              resolve(c.endpoint ?? "none");
            }
          });
        });
        const call = router.chat.completions.create(chat(`x${i}`), { id });
        await r.settle([call]);
        await call;
        picks.push(await completion);
      }
      return picks;
    };
    const share = (picks: string[], name: string) => picks.filter((p) => p === name).length / picks.length;

    const warm = await run(60);
    expect(share(warm.slice(10), "a")).toBeGreaterThanOrEqual(0.8);
    // Exploration keeps a bounded share on the slower lane: at least one pick in every 10.
    expect(warm.filter((p) => p === "b").length).toBeGreaterThanOrEqual(5);

    phase = "slow";
    msPerToken.a = 80; // slower than b's 25
    const slowed = await run(60);
    // Within a bounded number of requests the traffic has moved to b.
    expect(share(slowed.slice(20), "b")).toBeGreaterThanOrEqual(0.8);

    phase = "recovered";
    msPerToken.a = 2;
    const recovered = await run(80);
    expect(share(recovered.slice(40), "a")).toBeGreaterThanOrEqual(0.8);
  });
});

describe("priority", () => {
  it("keeps the spill tier idle until the first tier is full", async () => {
    current = await rig(
      {
        seed: 4,
        endpoints: [
          { name: "ptu", type: "openai" as const, models: both, latency: { ttftMs: 100 } },
          { name: "paygo", type: "openai" as const, models: both, latency: { ttftMs: 100 } },
        ],
      },
      {
        strategy: "priority",
        extras: {
          ptu: { priority: 0, limits: { concurrency: 4 } },
          paygo: { priority: 1, limits: { concurrency: 4 } },
        },
      },
    );
    const { router, fleet } = current;
    for (let i = 0; i < 5; i++) await router.chat.completions.create(chat(`s${i}`));
    await Promise.all(Array.from({ length: 4 }, (_, i) => router.chat.completions.create(chat(`p${i}`))));
    expect(fleet.stats("paygo").requests).toBe(0);
    expect(fleet.stats("ptu").requests).toBe(9);
    // Six at once: four fill the PTU tier, two spill.
    await Promise.all(Array.from({ length: 6 }, (_, i) => router.chat.completions.create(chat(`o${i}`))));
    expect(fleet.stats("ptu").requests).toBe(13);
    expect(fleet.stats("paygo").requests).toBe(2);
  });
});

/** One endpoint with a single slot that streams at 100 tokens/s. */
function oneSlowStreamingLane(seed: number): Promise<Rig> {
  return rig(
    {
      seed,
      endpoints: [
        { name: "only", type: "openai" as const, models: both, latency: { ttftMs: 5, tokensPerSecond: 100 } },
      ],
    },
    { extras: { only: { limits: { concurrency: 1 } } } },
  );
}

describe("streams hold their slot", () => {
  it("keeps the lane busy until the stream ends, not just until headers", async () => {
    current = await oneSlowStreamingLane(5);
    const { router, fleet } = current;
    const stream = await router.chat.completions.create({ ...chat("long answer", 40), stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    expect(router.snapshot().endpoints[0]?.inflight).toBe(1);
    // A second request waits in the queue while the stream is being read.
    const second = router.chat.completions.create(chat("second"));
    await new Promise((r) => setTimeout(r, 50));
    expect(router.snapshot().queue.depth).toBe(1);
    expect(fleet.stats("only").requests).toBe(1);
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      // drain
    }
    await second;
    expect(fleet.stats("only").peakConcurrency).toBe(1);
    expect(router.snapshot().endpoints[0]?.inflight).toBe(0);
  });

  it("frees the slot when the consumer stops early", async () => {
    current = await oneSlowStreamingLane(6);
    const { router } = current;
    const outcomes: string[] = [];
    router.completions$.subscribe((c) => outcomes.push(c.ok ? "ok" : c.error.code));
    const stream = await router.chat.completions.create({ ...chat("long answer", 200), stream: true });
    for await (const _chunk of stream) break;
    expect(router.snapshot().endpoints[0]?.inflight).toBe(0);
    expect(outcomes).toEqual(["ABORTED"]);
    await router.chat.completions.create(chat("next"));
  });
});
