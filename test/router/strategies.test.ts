import { afterEach, describe, expect, it } from "vitest";
import { chat, type Rig, rig } from "../helpers/setup.js";

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

describe("least-busy", () => {
  it("favours the lane with free slots over a slow lane that piles up work", async () => {
    current = await rig(
      {
        seed: 2,
        endpoints: [
          { name: "slow", type: "openai" as const, models: both, latency: { ttftMs: 300 } },
          { name: "fast", type: "openai" as const, models: both, latency: { ttftMs: 5 } },
        ],
      },
      {
        strategy: "least-busy",
        extras: { slow: { limits: { concurrency: 10 } }, fast: { limits: { concurrency: 10 } } },
      },
    );
    const { router, fleet } = current;
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      calls.push(router.chat.completions.create(chat(`b${i}`)));
      await new Promise((r) => setTimeout(r, 8));
    }
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
    current = await rig(
      {
        seed: 3,
        endpoints: [
          { name: "a", type: "openai" as const, models: both, latency: { ttftMs: 2 } },
          { name: "b", type: "openai" as const, models: both, latency: { ttftMs: 25 } },
        ],
      },
      { strategy: "least-latency", latency: { explorationInterval: 10 } },
    );
    const { router, fleet } = current;
    const run = async (n: number): Promise<string[]> => {
      const picks: string[] = [];
      for (let i = 0; i < n; i++) {
        const completion = new Promise<string>((resolve) => {
          const sub = router.completions$.subscribe((c) => {
            if (c.id === `ll${i}-${n}-${phase}`) {
              sub.unsubscribe();
              resolve(c.endpoint ?? "none");
            }
          });
        });
        await router.chat.completions.create(chat(`x${i}`), { id: `ll${i}-${n}-${phase}` });
        picks.push(await completion);
      }
      return picks;
    };
    const share = (picks: string[], name: string) => picks.filter((p) => p === name).length / picks.length;

    let phase = "warm";
    const warm = await run(60);
    expect(share(warm.slice(10), "a")).toBeGreaterThanOrEqual(0.8);
    // Exploration keeps a bounded share on the slower lane: at least one pick in every 10.
    expect(warm.filter((p) => p === "b").length).toBeGreaterThanOrEqual(5);

    phase = "slow";
    fleet.setFaults("a", { slowFactor: 40 }); // 80 ms, slower than b's 25 ms
    const slowed = await run(60);
    // Within a bounded number of requests the traffic has moved to b.
    expect(share(slowed.slice(20), "b")).toBeGreaterThanOrEqual(0.8);

    phase = "recovered";
    fleet.setFaults("a", {});
    const recovered = await run(80);
    expect(share(recovered.slice(40), "a")).toBeGreaterThanOrEqual(0.8);
  }, 30_000);
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
