import { describe, expect, it } from "vitest";
import { createPriority } from "../../src/strategies/priority.js";
import { createRoundRobin } from "../../src/strategies/round-robin.js";
import { context, lanes, request, seededRng, tally } from "./snapshot.js";

describe("createPriority", () => {
  const fleet = lanes(
    ["ptu-east", { priority: 1, concurrency: 10 }],
    ["ptu-west", { priority: 1, concurrency: 10 }],
    ["paygo", { priority: 2, concurrency: 10 }],
  );
  const [east, west, paygo] = fleet as [(typeof fleet)[0], (typeof fleet)[0], (typeof fleet)[0]];

  it("keeps tier 2 idle while any tier-1 lane is a candidate", () => {
    const pick = createPriority();
    const ctx = context();
    const coin = seededRng(1);
    const picks: Array<string | undefined> = [];
    for (let i = 0; i < 300; i++) {
      // Tier-1 lanes come and go (saturated, out of budget, cooling); at least one is always there.
      const r = coin();
      const candidates = r < 0.33 ? [east, paygo] : r < 0.66 ? [west, paygo] : fleet;
      picks.push(pick(candidates, request(), ctx));
    }
    const counts = tally(picks);
    expect(counts.paygo).toBeUndefined();
    expect(counts["ptu-east"]).toBeGreaterThan(0);
    expect(counts["ptu-west"]).toBeGreaterThan(0);
  });

  it("spills to the next tier only when no better lane can admit", () => {
    const pick = createPriority();
    expect(pick([paygo], request(), context())).toBe("paygo");
  });

  it("chooses within the tier with least-busy by default", () => {
    const pick = createPriority();
    const busy = lanes(
      ["ptu-east", { priority: 1, concurrency: 10, inflight: 7 }],
      ["ptu-west", { priority: 1, concurrency: 10, inflight: 2 }],
      ["paygo", { priority: 2, concurrency: 10, inflight: 0 }],
    );
    expect(pick(busy, request(), context())).toBe("ptu-west");
  });

  it("uses the given strategy within the tier, and only sees that tier", () => {
    const seen: string[][] = [];
    const rr = createRoundRobin();
    const pick = createPriority({
      within: (tier, req, ctx) => {
        seen.push(tier.map((l) => l.id));
        return rr(tier, req, ctx);
      },
    });
    const ctx = context();
    expect([pick(fleet, request(), ctx), pick(fleet, request(), ctx), pick(fleet, request(), ctx)]).toEqual([
      "ptu-east",
      "ptu-west",
      "ptu-east",
    ]);
    expect(seen[0]).toEqual(["ptu-east", "ptu-west"]);
  });

  it("treats a lower priority value as a better tier, whatever the array order", () => {
    const pick = createPriority();
    const reversed = lanes(["b", { priority: 5 }], ["a", { priority: 0 }]);
    expect(pick(reversed, request(), context())).toBe("a");
  });
});
