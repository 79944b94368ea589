import { afterEach, describe, expect, it } from "vitest";
import { type Completion, createRouter, type RouterEvent } from "../../src/index.js";
import { startFleet } from "../../src/sim/index.js";
import { toRouterEndpoints } from "../../src/sim/router-endpoints.js";
import { chat, type Rig, type rig, virtualRig } from "../helpers/setup.js";
import { FastForward } from "../helpers/virtual-time.js";

const models = ["gpt-4o", "text-embedding-3-small"];

let current: Rig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** Openai-type endpoints with the given limits (`known: false`: the router is not told them), on one virtual clock. */
async function limitedRig(
  endpoints: { name: string; rpm?: number; tpm?: number; concurrency?: number; known?: boolean }[],
  config: Parameters<typeof rig>[1] = {},
) {
  const extras: Record<string, { limits?: { rpm?: number; tpm?: number; concurrency?: number } }> = {};
  for (const e of endpoints) {
    extras[e.name] =
      e.known === false ? {} : { limits: { rpm: e.rpm, tpm: e.tpm, concurrency: e.concurrency } };
  }
  const r = await virtualRig(
    {
      seed: 11,
      endpoints: endpoints.map((e) => ({
        name: e.name,
        type: "openai" as const,
        models,
        limits: { rpm: e.rpm, tpm: e.tpm, concurrency: e.concurrency },
      })),
    },
    { extras, ...config },
  );
  current = r;
  const outcomes: Completion[] = [];
  r.router.completions$.subscribe((c) => outcomes.push(c));
  return { ...r, outcomes };
}

describe("budgets against the services' limits", () => {
  it("absorbs a burst of 10× a minute's capacity: every request completes, no endpoint ever answers 429", async () => {
    const limits = [
      { name: "a", rpm: 60, tpm: 6_000 },
      { name: "b", rpm: 120, tpm: 4_000 },
      { name: "c", rpm: 30, tpm: 20_000 },
    ];
    const { router, fleet, clock, outcomes, idle } = await limitedRig(limits, {
      strategy: "usage-based",
      queue: { maxSize: 5_000 },
      timeoutMs: 3_600_000,
    });
    // ~55 tokens each: a's binding limit is tpm (6000/55 ≈ 109/min > 60 rpm → rpm), b's is tpm (~72/min), c's rpm (30).
    const n = 10 * (60 + 72 + 30);
    for (let i = 0; i < n; i++) {
      router.requests.next({ id: `r${i}`, kind: "chat", body: chat(`burst ${i % 7}`, 40) });
    }
    const start = clock.now();
    await clock.runUntil(() => outcomes.length === n, idle);
    expect(outcomes.length).toBe(n);
    expect(outcomes.filter((c) => !c.ok)).toEqual([]);
    for (const { name } of limits) expect(fleet.stats(name).byStatus[429] ?? 0).toBe(0);
    // It took about ten virtual minutes: the budgets were spent at the pace the services refill them.
    const minutes = (clock.now() - start) / 60_000;
    expect(minutes).toBeGreaterThan(8.5);
    expect(minutes).toBeLessThan(11);
    // Each endpoint got about its share of the capacity.
    const share = (name: string) => fleet.stats(name).requests / n;
    expect(share("a")).toBeCloseTo(60 / 162, 1);
    expect(share("c")).toBeCloseTo(30 / 162, 1);
    expect(router.snapshot().endpoints.every((e) => e.outstandingReservations === 0)).toBe(true);
  }, 60_000);

  it("learns unconfigured limits from the rate-limit headers and then stays under them", async () => {
    const { router, fleet, clock, outcomes, idle } = await limitedRig(
      [{ name: "a", rpm: 60, tpm: 100_000, known: false }],
      {
        queue: { maxSize: 1_000 },
        timeoutMs: 3_600_000,
      },
    );
    const events: RouterEvent[] = [];
    router.events$.subscribe((e) => events.push(e));
    await router.chat.completions.create(chat("first"));
    expect(events.find((e) => e.type === "limits-learned")).toMatchObject({
      endpoint: "a",
      rpm: 60,
      tpm: 100_000,
    });
    expect(router.snapshot().endpoints[0]?.rpm.limit).toBe(60);
    for (let i = 0; i < 40; i++) router.requests.next({ id: `l${i}`, kind: "chat", body: chat(`l${i}`) });
    await clock.runUntil(() => outcomes.length === 41, idle);
    expect(outcomes.every((c) => c.ok)).toBe(true);
    expect(fleet.stats("a").byStatus[429] ?? 0).toBe(0);
  }, 30_000);
});

describe("limits learned from Azure", () => {
  // Breaks if Azure's per-window x-ratelimit-limit-requests were read as a per-minute limit (the
  // router would learn 8 RPM for a 48-RPM deployment and spend a sixth of it), or if the deficit were
  // not compared in window terms (429s from the burst below).
  it("reads the request window's count as RPM × window / 60 and stays under it", async () => {
    const r = await virtualRig(
      {
        seed: 12,
        endpoints: [
          {
            name: "az",
            type: "azure" as const,
            deployments: { "gpt-4o": "gpt4o-az" },
            limits: { rpm: 48, tpm: 8_000 },
          },
        ],
      },
      { queue: { maxSize: 1_000 }, timeoutMs: 3_600_000 },
    );
    current = r;
    const { router, fleet, clock, idle } = r;
    const outcomes: Completion[] = [];
    router.completions$.subscribe((c) => outcomes.push(c));
    const events: RouterEvent[] = [];
    router.events$.subscribe((e) => events.push(e));
    await router.chat.completions.create(chat("first", 10));
    expect(events.find((e) => e.type === "limits-learned")).toMatchObject({ rpm: 48, tpm: 8_000 });
    for (let i = 0; i < 30; i++) router.requests.next({ id: `z${i}`, kind: "chat", body: chat(`z${i}`, 10) });
    await clock.runUntil(() => outcomes.length === 31, idle);
    expect(outcomes.every((c) => c.ok)).toBe(true);
    expect(fleet.stats("az").byStatus[429] ?? 0).toBe(0);
  }, 30_000);
});

describe("the central queue", () => {
  it("fails fast with QUEUE_FULL past its bound, and every request still settles exactly once", async () => {
    const { router, clock, outcomes, idle } = await limitedRig([{ name: "a", rpm: 6, tpm: 100_000 }], {
      queue: { maxSize: 5 },
      timeoutMs: 3_600_000,
    });
    for (let i = 0; i < 10; i++) router.requests.next({ id: `q${i}`, kind: "chat", body: chat(`q${i}`) });
    // One admitted at once (bucket of 1), five waiting, four refused immediately.
    const refused = outcomes.filter((c) => !c.ok && c.error.code === "QUEUE_FULL");
    expect(refused.map((c) => c.id)).toEqual(["q6", "q7", "q8", "q9"]);
    expect(router.snapshot().queue.depth).toBe(5);
    await clock.runUntil(() => outcomes.length === 10, idle);
    expect(outcomes.filter((c) => c.ok).map((c) => c.id)).toEqual(["q0", "q1", "q2", "q3", "q4", "q5"]);
    expect(new Set(outcomes.map((c) => c.id)).size).toBe(10);
  }, 30_000);

  it("fails fast with REQUEST_TOO_LARGE when no endpoint's TPM could ever fit the request", async () => {
    const { router, fleet } = await limitedRig([
      { name: "a", rpm: 60, tpm: 1_000 },
      { name: "b", rpm: 60, tpm: 1_500 },
    ]);
    const error = await router.chat.completions.create(chat("big", 2_000)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REQUEST_TOO_LARGE", largestBudget: 1_500 });
    expect(fleet.stats("a").requests + fleet.stats("b").requests).toBe(0);
  });

  it("an aborted signal removes a queued request at once and gives back nothing it never took", async () => {
    const { router, clock, outcomes, idle } = await limitedRig([{ name: "a", rpm: 6, tpm: 100_000 }], {
      timeoutMs: 3_600_000,
    });
    await router.chat.completions.create(chat("uses the only request token"));
    const controller = new AbortController();
    const waiting = router.chat.completions.create(chat("waits"), { signal: controller.signal });
    const after = router.chat.completions.create(chat("after"));
    expect(router.snapshot().queue.depth).toBe(2);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "ABORTED" });
    expect(router.snapshot().queue.depth).toBe(1);
    await clock.runUntil(() => outcomes.length === 3, idle);
    await after;
    expect(router.snapshot().endpoints[0]?.outstandingReservations).toBe(0);
  }, 30_000);

  it("a deadline covers queue time: DEADLINE_EXCEEDED when the budget refills too late", async () => {
    const { router, clock, outcomes, idle } = await limitedRig([{ name: "a", rpm: 6, tpm: 100_000 }]);
    await router.chat.completions.create(chat("first"));
    const start = clock.now();
    const late = router.chat.completions.create(chat("late"), { timeout: 4_000 });
    const caught = late.catch((e: unknown) => e);
    await clock.runUntil(() => outcomes.length === 2, idle);
    expect(await caught).toMatchObject({ code: "DEADLINE_EXCEEDED", timeoutMs: 4_000 });
    expect(clock.now() - start).toBe(4_000);
  }, 30_000);

  it("serves lower priority values first, FIFO within a priority, and ages waiting requests", async () => {
    const { router, fleet, clock, outcomes, idle } = await limitedRig([{ name: "a", rpm: 6, tpm: 100_000 }], {
      queue: { maxSize: 100, agingMs: 30_000 },
      timeoutMs: 3_600_000,
      maxRetryAfterMs: 150_000,
    });
    await router.chat.completions.create(chat("takes the token"));
    const order: string[] = [];
    router.completions$.subscribe((c) => order.push(c.id));
    router.requests.next({ id: "low-1", kind: "chat", body: chat("l1"), priority: 5 });
    router.requests.next({ id: "high-1", kind: "chat", body: chat("h1"), priority: 0 });
    router.requests.next({ id: "low-2", kind: "chat", body: chat("l2"), priority: 5 });
    router.requests.next({ id: "high-2", kind: "chat", body: chat("h2"), priority: 0 });
    expect(router.snapshot().queue.byPriority).toEqual({ "0": 2, "5": 2 });
    await clock.runUntil(() => outcomes.length === 5, idle);
    expect(order).toEqual(["high-1", "high-2", "low-1", "low-2"]);

    // Aging: while the lane cools for 150 s, a priority-3 request that has waited ~150 s outranks a
    // priority-0 one that arrived ~55 s before the lane reopened (3 − 150/30 < 0 − 55/30).
    order.length = 0;
    fleet.setFaults("a", { rateLimitStormMs: 200_000 });
    router.requests.next({ id: "trigger", kind: "chat", body: chat("t") });
    await clock.advanceIdle(1_000, idle);
    router.requests.next({ id: "old-low", kind: "chat", body: chat("o"), priority: 3 });
    await clock.advanceIdle(95_000, idle);
    router.requests.next({ id: "new-high", kind: "chat", body: chat("n"), priority: 0 });
    fleet.setFaults("a", {});
    await clock.runUntil(() => outcomes.length === 8, idle);
    expect(order).toEqual(["trigger", "old-low", "new-high"]);
    expect(fleet.stats("a").byStatus[429]).toBe(1);
  }, 30_000);
});

describe("metrics", () => {
  it("show queue depth per priority and each lane's budget, refill and cooldown", async () => {
    const { router } = await limitedRig([{ name: "a", rpm: 60, tpm: 6_000, concurrency: 4 }], {
      timeoutMs: 3_600_000,
    });
    await router.chat.completions.create(chat("x", 100));
    const a = router.snapshot().endpoints[0];
    expect(a?.rpm).toEqual({ limit: 60, capacity: 10, remaining: 9, msUntilFull: 1_000 });
    expect(a?.tpm.limit).toBe(6_000);
    expect(a?.tpm.remaining).toBeLessThan(6_000 - 100);
    expect(a?.concurrency).toBe(4);
    expect(a?.coolingUntil).toBe(0);
  });
});

describe("cooldowns", () => {
  it("caps a huge retry-after and says so", async () => {
    current = await virtualRig(
      {
        seed: 12,
        endpoints: [
          { name: "a", type: "openai" as const, models },
          { name: "b", type: "openai" as const, models },
        ],
      },
      { strategy: "round-robin", maxRetryAfterMs: 2_000 },
    );
    const { clock } = current as Awaited<ReturnType<typeof virtualRig>>;
    const { router, fleet } = current;
    const events: RouterEvent[] = [];
    router.events$.subscribe((e) => events.push(e));
    fleet.setFaults("a", { rateLimitStormMs: 86_400_000 });
    const result = await router.chat.completions.create(chat());
    expect(result.object).toBe("chat.completion");
    const cooled = events.find((e) => e.type === "cooled-down");
    expect(cooled).toMatchObject({ endpoint: "a", capped: true });
    expect(cooled && cooled.type === "cooled-down" && cooled.until - cooled.at).toBe(2_000);
    expect(router.snapshot().endpoints[0]?.state).toBe("cooling");
    clock.advanceBy(2_001);
    expect(router.snapshot().endpoints[0]?.state).toBe("healthy");
  });
});

describe("several routers on one quota", () => {
  // Breaks if a 429 only emptied the bucket (each router would keep refilling at the whole limit, and
  // together they would overshoot the quota by their number: about a third of the calls were 429s).
  it("shrink their budgets on 429s, so together they stay near the quota and every caller succeeds", async () => {
    const clock = new FastForward();
    const fleet = await startFleet({
      seed: 5,
      now: clock.now,
      endpoints: [{ name: "a", type: "openai", models, limits: { rpm: 60, tpm: 1_000_000 } }],
    });
    const routers = [0, 1].map(() =>
      createRouter({
        scheduler: clock.scheduler,
        timeoutMs: 3_600_000,
        queue: { maxSize: 1_000 },
        // Each is told the whole quota, as replicas of one app would be.
        endpoints: toRouterEndpoints(fleet, { a: { limits: { rpm: 60, tpm: 1_000_000 } } }),
      }),
    );
    const outcomes: Completion[] = [];
    for (const r of routers) r.completions$.subscribe((c) => outcomes.push(c));
    const n = 240;
    for (let i = 0; i < n; i++) {
      routers[i % 2]?.requests.next({ id: `q${i}`, kind: "chat", body: chat(`shared ${i % 5}`, 20) });
    }
    const idle = () => routers.every((r) => r.snapshot().totals.inflight === 0);
    await clock.runUntil(() => outcomes.length === n, idle);
    try {
      expect(outcomes.filter((c) => !c.ok)).toEqual([]);
      const stats = fleet.stats("a");
      const throttled = stats.byStatus[429] ?? 0;
      // Without shrinking: ~35% of the calls. With it: a few per router while the shares settle.
      expect(throttled / stats.requests).toBeLessThan(0.1);
      // …and the quota is still spent: 240 requests at 60 per minute take about 4 minutes, not 8.
      expect(clock.now() - 1_000_000).toBeLessThan(6 * 60_000);
    } finally {
      await Promise.all(routers.map((r) => r.close()));
      await fleet.close();
    }
  }, 60_000);
});
