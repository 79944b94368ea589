import { describe, expect, it } from "vitest";
import { createUsageBased, usageHeadroom } from "../../src/strategies/usage-based.js";
import { context, lane, lanes, request, tally } from "./snapshot.js";

describe("usageHeadroom", () => {
  it("takes the scarcest of requests, tokens after this request, and free slots", () => {
    const l = lane("a", {
      rpm: { limit: 600, remaining: 80, capacity: 100 }, // 0.8
      tpm: { limit: 60_000, remaining: 7_000, capacity: 10_000 }, // (7000 - 1000) / 10000 = 0.6
      concurrency: 10,
      inflight: 3, // 0.7
    });
    expect(usageHeadroom(l, request({ tokens: 1_000 }))).toBeCloseTo(0.6);
    expect(usageHeadroom(l, request({ tokens: 0 }))).toBeCloseTo(0.7);
  });

  it("counts unknown or unlimited parts as 1", () => {
    expect(usageHeadroom(lane("a"), request())).toBe(1);
    const learnedNothing = lane("b", { tpm: { limit: undefined, remaining: 5, capacity: 100 } });
    expect(usageHeadroom(learnedNothing, request({ tokens: 50 }))).toBe(1);
  });
});

describe("createUsageBased", () => {
  it("picks the lane with the most headroom relative to its own limits", () => {
    const pick = createUsageBased();
    const candidates = lanes(
      ["a", { rpm: { limit: 600, remaining: 50, capacity: 100 } }], // 0.5
      ["b", { tpm: { limit: 120_000, remaining: 1_000, capacity: 2_000 } }], // (1000 - 100) / 2000 = 0.45
      ["c", { concurrency: 10, inflight: 3 }], // 0.7
    );
    expect(pick(candidates, request({ tokens: 100 }), context())).toBe("c");
  });

  it("prefers a small deployment with relatively more room over a large nearly drained one", () => {
    const pick = createUsageBased();
    const candidates = lanes(
      ["big", { tpm: { limit: 1_000_000, remaining: 30_000, capacity: 200_000 } }], // ≈ 0.15
      ["small", { tpm: { limit: 10_000, remaining: 1_500, capacity: 2_000 } }], // ≈ 0.7
    );
    expect(pick(candidates, request({ tokens: 100 }), context())).toBe("small");
  });

  it("accounts for the request's own tokens", () => {
    const pick = createUsageBased();
    const candidates = lanes(
      ["a", { tpm: { limit: 60_000, remaining: 600, capacity: 1_000 } }],
      ["b", { rpm: { limit: 60, remaining: 4, capacity: 10 } }], // 0.4
    );
    expect(pick(candidates, request({ tokens: 100 }), context())).toBe("a"); // 0.5 > 0.4
    expect(pick(candidates, request({ tokens: 300 }), context())).toBe("b"); // 0.3 < 0.4
  });

  it("breaks ties at random with the injected rng", () => {
    const pick = createUsageBased();
    const ctx = context(9);
    const candidates = lanes(
      ["a", { concurrency: 4, inflight: 2 }],
      ["b", { concurrency: 8, inflight: 4 }],
      ["c", { concurrency: 4, inflight: 3 }],
    );
    const counts = tally(Array.from({ length: 200 }, () => pick(candidates, request(), ctx)));
    expect(counts.c).toBeUndefined();
    expect(counts.a).toBeGreaterThan(60);
    expect(counts.b).toBeGreaterThan(60);
  });
});
