import { describe, expect, it } from "vitest";
import type { RateLimitReport } from "../../src/limits/budget-store.js";
import { InMemoryBudgetStore } from "../../src/limits/in-memory-budget-store.js";

/**
 * A store with one lane registered at t=0, pacing at exactly the limits (no cushion: the bucket
 * arithmetic below is exact; the cushion has its own tests in pacing.test.ts).
 */
function storeWith(limits: { rpm?: number; tpm?: number }, lane = "east"): InMemoryBudgetStore {
  const store = new InMemoryBudgetStore({ throttle: { marginMs: 0 } });
  store.register(lane, limits, 0);
  return store;
}

function report(
  requests: RateLimitReport["requests"] = {},
  tokens: RateLimitReport["tokens"] = {},
): RateLimitReport {
  return { requests, tokens };
}

describe("InMemoryBudgetStore", () => {
  describe("reserve", () => {
    it("charges one request and the tokens, and returns the running totals", () => {
      const store = storeWith({ rpm: 600, tpm: 60_000 });
      const r = store.reserve("east", 500, 0);
      expect(r).toEqual({
        lane: "east",
        tokens: 500,
        at: 0,
        requestsCharged: 1,
        tokensCharged: 500,
        requestsLeft: 99,
        tokensLeft: 59_500,
      });
      const r2 = store.reserve("east", 250, 0);
      expect(r2).toMatchObject({ requestsCharged: 2, tokensCharged: 750 });
      const view = store.view("east", 0);
      expect(view.rpm.remaining).toBe(98);
      expect(view.tpm.remaining).toBe(59_250);
      expect(view.outstanding).toBe(2);
    });

    it("a reserve refused for tokens does not consume a request", () => {
      const store = storeWith({ rpm: 600, tpm: 1_000 });
      expect(store.reserve("east", 900, 0)).toBeDefined();
      expect(store.reserve("east", 200, 0)).toBeUndefined();
      const view = store.view("east", 0);
      expect(view.rpm.remaining).toBe(99);
      expect(view.tpm.remaining).toBe(100);
      expect(view.outstanding).toBe(1);
      // what is left can still be reserved
      expect(store.reserve("east", 100, 0)).toBeDefined();
    });

    it("a reserve refused for requests does not consume tokens", () => {
      const store = storeWith({ rpm: 6, tpm: 1_000 }); // request bucket of 1
      expect(store.reserve("east", 100, 0)).toBeDefined();
      expect(store.reserve("east", 100, 0)).toBeUndefined();
      const view = store.view("east", 0);
      expect(view.rpm.remaining).toBe(0);
      expect(view.tpm.remaining).toBe(900);
      expect(view.outstanding).toBe(1);
    });

    it("a reserve refused while cooling charges nothing", () => {
      const store = storeWith({ rpm: 600, tpm: 1_000 });
      store.cool("east", 5_000, "none", 0);
      expect(store.reserve("east", 100, 4_999)).toBeUndefined();
      const view = store.view("east", 4_999);
      expect(view.rpm.remaining).toBe(100);
      expect(view.tpm.remaining).toBe(1_000);
      expect(view.outstanding).toBe(0);
      expect(store.reserve("east", 100, 5_000)).toBeDefined();
    });

    it("a lane without limits admits everything", () => {
      const store = storeWith({});
      for (let i = 0; i < 1_000; i++) expect(store.reserve("east", 1_000_000, 0)).toBeDefined();
      const view = store.view("east", 0);
      expect(view.rpm).toEqual({
        limit: undefined,
        remaining: Number.POSITIVE_INFINITY,
        capacity: Number.POSITIVE_INFINITY,
        msUntilFull: 0,
        share: 1,
      });
      expect(view.tpm).toEqual({
        limit: undefined,
        remaining: Number.POSITIVE_INFINITY,
        capacity: Number.POSITIVE_INFINITY,
        msUntilFull: 0,
        share: 1,
      });
      expect(store.msUntilAvailable("east", 1_000_000, 0)).toBe(0);
      expect(view.outstanding).toBe(1_000);
    });

    it("keeps lanes apart", () => {
      const store = new InMemoryBudgetStore();
      store.register("a", { tpm: 1_000 }, 0);
      store.register("b", { tpm: 1_000 }, 0);
      expect(store.reserve("a", 1_000, 0)).toBeDefined();
      expect(store.reserve("a", 1, 0)).toBeUndefined();
      expect(store.reserve("b", 1_000, 0)).toBeDefined();
    });

    it("throws for an unknown lane", () => {
      const store = storeWith({});
      expect(() => store.reserve("west", 1, 0)).toThrow(/unknown lane "west"/);
      expect(() => store.view("west", 0)).toThrow(/unknown lane/);
    });
  });

  describe("request bucket", () => {
    it("holds ten seconds' worth of the rpm (rpm / 6)", () => {
      const store = storeWith({ rpm: 600 });
      expect(store.view("east", 0).rpm).toEqual({
        limit: 600,
        remaining: 100,
        capacity: 100,
        msUntilFull: 0,
        share: 1,
      });
      for (let i = 0; i < 100; i++) expect(store.reserve("east", 0, 0)).toBeDefined();
      expect(store.reserve("east", 0, 0)).toBeUndefined();
    });

    it("refills continuously (600 rpm = one request per 100 ms)", () => {
      const store = storeWith({ rpm: 600 });
      for (let i = 0; i < 100; i++) store.reserve("east", 0, 0);
      expect(store.msUntilAvailable("east", 0, 0)).toBe(100);
      expect(store.msUntilAvailable("east", 0, 50)).toBe(50);
      expect(store.reserve("east", 0, 99)).toBeUndefined();
      expect(store.reserve("east", 0, 100)).toBeDefined();
      expect(store.reserve("east", 0, 100)).toBeUndefined();
      // one second later: exactly 10 more
      for (let i = 0; i < 10; i++) expect(store.reserve("east", 0, 1_100)).toBeDefined();
      expect(store.reserve("east", 0, 1_100)).toBeUndefined();
      // never more than capacity, however long it waits
      expect(store.view("east", 3_600_000).rpm.remaining).toBe(100);
    });

    it("holds at least one request for a small rpm", () => {
      const store = storeWith({ rpm: 3 });
      expect(store.view("east", 0).rpm.capacity).toBe(1);
      expect(store.reserve("east", 0, 0)).toBeDefined();
      expect(store.reserve("east", 0, 0)).toBeUndefined();
      expect(store.msUntilAvailable("east", 0, 0)).toBe(20_000);
    });

    it("the token bucket holds a whole minute of tpm", () => {
      const store = storeWith({ tpm: 30_000 });
      expect(store.view("east", 0).tpm).toEqual({
        limit: 30_000,
        remaining: 30_000,
        capacity: 30_000,
        msUntilFull: 0,
        share: 1,
      });
    });
  });

  describe("msUntilAvailable", () => {
    it("is 0 when the reservation could be made now", () => {
      const store = storeWith({ rpm: 600, tpm: 6_000 });
      expect(store.msUntilAvailable("east", 6_000, 0)).toBe(0);
    });

    it("waits for tokens to refill", () => {
      const store = storeWith({ tpm: 6_000 }); // 0.1 token per ms
      store.reserve("east", 6_000, 0);
      expect(store.msUntilAvailable("east", 100, 0)).toBe(1_000);
      expect(store.msUntilAvailable("east", 100, 500)).toBe(500);
      expect(store.msUntilAvailable("east", 100, 1_000)).toBe(0);
      expect(store.reserve("east", 100, 1_000)).toBeDefined();
    });

    it("waits for a request to refill", () => {
      const store = storeWith({ rpm: 60, tpm: 6_000 }); // 10 requests, one per second
      for (let i = 0; i < 10; i++) store.reserve("east", 1, 0);
      expect(store.msUntilAvailable("east", 1, 0)).toBe(1_000);
    });

    it("waits for a cooldown to end", () => {
      const store = storeWith({ rpm: 600, tpm: 6_000 });
      store.cool("east", 5_000, "none", 0);
      expect(store.msUntilAvailable("east", 1, 0)).toBe(5_000);
      expect(store.msUntilAvailable("east", 1, 2_000)).toBe(3_000);
      expect(store.msUntilAvailable("east", 1, 5_000)).toBe(0);
    });

    it("is the longest of the three waits", () => {
      const store = storeWith({ rpm: 60, tpm: 6_000 });
      for (let i = 0; i < 10; i++) store.reserve("east", 600, 0); // requests: 1 s; tokens: 6000 → 0
      expect(store.msUntilAvailable("east", 300, 0)).toBe(3_000); // tokens win
      store.cool("east", 10_000, "none", 0);
      expect(store.msUntilAvailable("east", 300, 0)).toBe(10_000); // cooldown wins
    });

    it("is Infinity when the tokens exceed the bucket's capacity", () => {
      const store = storeWith({ tpm: 6_000 });
      expect(store.msUntilAvailable("east", 6_001, 0)).toBe(Number.POSITIVE_INFINITY);
      expect(store.reserve("east", 6_001, 0)).toBeUndefined();
      expect(store.view("east", 0).outstanding).toBe(0);
    });
  });

  describe("commit and refund", () => {
    it("commit keeps the whole charge (no refund of unused output)", () => {
      const store = storeWith({ rpm: 600, tpm: 6_000 });
      const r = store.reserve("east", 1_000, 0)!;
      store.commit(r);
      const view = store.view("east", 0);
      expect(view.tpm.remaining).toBe(5_000);
      expect(view.rpm.remaining).toBe(99);
      expect(view.outstanding).toBe(0);
    });

    it("refund gives the request and the tokens back", () => {
      const store = storeWith({ rpm: 600, tpm: 6_000 });
      const r = store.reserve("east", 1_000, 0)!;
      store.refund(r, 0);
      const view = store.view("east", 0);
      expect(view.tpm.remaining).toBe(6_000);
      expect(view.rpm.remaining).toBe(100);
      expect(view.outstanding).toBe(0);
    });

    it("a refund never fills the bucket above its capacity", () => {
      const store = storeWith({ rpm: 600, tpm: 6_000 });
      const r = store.reserve("east", 1_000, 0)!;
      store.refund(r, 60_000); // refilled to full meanwhile
      const view = store.view("east", 60_000);
      expect(view.tpm.remaining).toBe(6_000);
      expect(view.rpm.remaining).toBe(100);
    });

    it("outstanding returns to 0 once every reservation is settled", () => {
      const store = storeWith({ rpm: 600, tpm: 60_000 });
      const rs = Array.from({ length: 10 }, (_, i) => store.reserve("east", 100, i)!);
      expect(store.view("east", 10).outstanding).toBe(10);
      rs.forEach((r, i) => {
        if (i % 2 === 0) store.commit(r);
        else store.refund(r, 10);
      });
      expect(store.view("east", 10).outstanding).toBe(0);
    });
  });

  describe("cool", () => {
    it("stops admission until `until` and reports it in view() while it lasts", () => {
      const store = storeWith({ rpm: 600, tpm: 6_000 });
      store.cool("east", 2_000, "none", 0);
      expect(store.coolingUntil("east")).toBe(2_000);
      expect(store.view("east", 1_000).coolingUntil).toBe(2_000);
      expect(store.view("east", 2_000).coolingUntil).toBe(0);
    });

    it("never shortens a cooldown", () => {
      const store = storeWith({ rpm: 600 });
      store.cool("east", 5_000, "none", 0);
      store.cool("east", 3_000, "none", 0);
      expect(store.coolingUntil("east")).toBe(5_000);
      store.cool("east", 8_000, "none", 0);
      expect(store.coolingUntil("east")).toBe(8_000);
    });

    it.each([
      ["none", 100, 6_000],
      ["requests", 0, 6_000],
      ["tokens", 100, 0],
      ["both", 0, 0],
    ] as const)("drain %s empties only the named budget", (drain, rpmLeft, tpmLeft) => {
      const store = storeWith({ rpm: 600, tpm: 6_000 });
      store.cool("east", 1_000, drain, 0);
      const view = store.view("east", 0);
      expect(view.rpm.remaining).toBe(rpmLeft);
      expect(view.tpm.remaining).toBe(tpmLeft);
    });

    it("a drained bucket refills from the moment it was drained", () => {
      // factor 1: no shrinking, so only the draining shows
      const store = new InMemoryBudgetStore({ throttle: { factor: 1 } });
      store.register("east", { rpm: 600, tpm: 6_000 }, 0);
      store.cool("east", 1_000, "both", 0);
      const view = store.view("east", 1_000);
      expect(view.rpm.remaining).toBeCloseTo(10);
      expect(view.tpm.remaining).toBeCloseTo(100);
      expect(store.reserve("east", 100, 1_000)).toBeDefined();
      expect(store.reserve("east", 1, 1_000)).toBeUndefined();
    });

    it("shrinks the named budget after a 429: half its size and rate, recovering linearly", () => {
      const store = new InMemoryBudgetStore({
        throttle: { factor: 0.5, minShare: 0.1, recoveryMs: 100_000 },
      });
      store.register("east", { rpm: 600, tpm: 6_000 }, 0);
      store.cool("east", 0, "tokens", 0);
      expect(store.view("east", 0).tpm.share).toBe(0.5);
      expect(store.view("east", 0).rpm.share).toBe(1); // not named: untouched
      // refills at half of 100 tokens/s, and holds at most half the bucket
      expect(store.view("east", 1_000).tpm.remaining).toBeCloseTo(100 * (0.5 + 0.01), 0);
      expect(store.view("east", 10_000).tpm.share).toBeCloseTo(0.6);
      // a second 429 halves what is left of the share, never below minShare
      store.cool("east", 10_000, "tokens", 10_000);
      expect(store.view("east", 10_000).tpm.share).toBeCloseTo(0.3);
      for (let i = 0; i < 5; i++) store.cool("east", 10_000, "tokens", 10_000);
      expect(store.view("east", 10_000).tpm.share).toBeCloseTo(0.1);
      // back to the whole limit after recoveryMs × (1 − share) without another 429
      expect(store.view("east", 10_000 + 90_000).tpm.share).toBe(1);
      expect(store.view("east", 200_000).tpm.remaining).toBe(6_000);
    });

    it("a shrunk budget holds less and admits the larger charges only once it has recovered", () => {
      const store = new InMemoryBudgetStore({ throttle: { factor: 0.5, minShare: 0.1, recoveryMs: 60_000 } });
      store.register("east", { tpm: 6_000 }, 0);
      store.cool("east", 0, "tokens", 0);
      // 4,000 tokens fit the configured bucket but not half of it: wait for the share to reach 2/3
      const wait = store.msUntilAvailable("east", 4_000, 0);
      expect(wait).toBeGreaterThanOrEqual(10_000);
      expect(Number.isFinite(wait)).toBe(true);
      expect(store.reserve("east", 4_000, 0)).toBeUndefined();
      expect(store.reserve("east", 4_000, 120_000)).toBeDefined();
    });

    it("a cooldown that names no budget (a 503's retry-after) shrinks nothing", () => {
      const store = storeWith({ rpm: 600, tpm: 6_000 });
      store.cool("east", 1_000, "none", 0);
      const view = store.view("east", 0);
      expect([view.rpm.share, view.tpm.share]).toEqual([1, 1]);
      expect(view.tpm.remaining).toBe(6_000);
    });

    it("on a lane without limits only the cooldown applies", () => {
      const store = storeWith({});
      store.cool("east", 1_000, "both", 0);
      expect(store.reserve("east", 1, 500)).toBeUndefined();
      expect(store.msUntilAvailable("east", 1, 500)).toBe(500);
      expect(store.reserve("east", 1, 1_000)).toBeDefined();
    });
  });

  describe("calibrate: limits", () => {
    it("learns rpm and tpm from the headers when none are configured", () => {
      const store = storeWith({});
      const learned = store.calibrate("east", report({ limit: 600 }, { limit: 30_000 }), undefined, 0);
      expect(learned).toEqual({ rpm: 600, tpm: 30_000 });
      const view = store.view("east", 0);
      expect(view.rpm).toEqual({ limit: 600, remaining: 100, capacity: 100, msUntilFull: 0, share: 1 });
      expect(view.tpm).toEqual({
        limit: 30_000,
        remaining: 30_000,
        capacity: 30_000,
        msUntilFull: 0,
        share: 1,
      });
    });

    it("learns only what the headers tell", () => {
      const store = storeWith({});
      expect(store.calibrate("east", report({}, { limit: 1_000 }), undefined, 0)).toEqual({ tpm: 1_000 });
      expect(store.view("east", 0).rpm.limit).toBeUndefined();
      expect(store.calibrate("east", report({ limit: 60 }, {}), undefined, 0)).toEqual({ rpm: 60 });
    });

    it("reports nothing when the headers agree with the configured limits", () => {
      const store = storeWith({ rpm: 600, tpm: 30_000 });
      expect(
        store.calibrate("east", report({ limit: 600 }, { limit: 30_000 }), undefined, 0),
      ).toBeUndefined();
      expect(store.calibrate("east", report(), undefined, 0)).toBeUndefined();
    });

    it("ignores a zero limit", () => {
      const store = storeWith({});
      expect(store.calibrate("east", report({ limit: 0 }, { limit: 0 }), undefined, 0)).toBeUndefined();
      expect(store.view("east", 0).tpm.limit).toBeUndefined();
    });

    it("reconfigures when the service reports different limits, keeping the fill ratio", () => {
      const store = storeWith({ rpm: 600, tpm: 10_000 });
      for (let i = 0; i < 50; i++) store.reserve("east", 100, 0); // rpm bucket 50/100, tpm 5000/10000
      const learned = store.calibrate("east", report({ limit: 1_200 }, { limit: 20_000 }), undefined, 0);
      expect(learned).toEqual({ rpm: 1_200, tpm: 20_000 });
      const view = store.view("east", 0);
      expect(view.rpm).toEqual({ limit: 1_200, remaining: 100, capacity: 200, msUntilFull: 5_000, share: 1 });
      expect(view.tpm).toEqual({
        limit: 20_000,
        remaining: 10_000,
        capacity: 20_000,
        msUntilFull: 30_000,
        share: 1,
      });
    });

    it("reports only the limit that changed", () => {
      const store = storeWith({ rpm: 600, tpm: 10_000 });
      expect(store.calibrate("east", report({ limit: 600 }, { limit: 5_000 }), undefined, 0)).toEqual({
        tpm: 5_000,
      });
    });

    it("learns the limit and the level from the same header", () => {
      const store = storeWith({});
      const r = store.reserve("east", 100, 0)!;
      store.calibrate("east", report({}, { limit: 1_000, remaining: 400 }), r, 0);
      expect(store.view("east", 0).tpm.remaining).toBe(400);
    });
  });

  describe("calibrate: spent (the service's deficit)", () => {
    it("compares a window-sized bucket (Azure: limit 8 per 10 s) by its deficit", () => {
      const store = storeWith({ rpm: 48 }); // our bucket: 8 requests
      const a = store.reserve("east", 0, 0);
      // the service saw 3 spent of its 8 (two more calls from someone else): we should hold 5
      store.calibrate("east", report({ limit: 48, remaining: 5, spent: 3 }), a, 0);
      expect(store.view("east", 0).rpm.remaining).toBeCloseTo(5);
    });

    it("compares a minute-sized bucket (openai.com: limit = rpm) by its deficit too", () => {
      const store = storeWith({ rpm: 600 }); // our bucket: 100 requests (10 s)
      const a = store.reserve("east", 0, 0);
      // remaining 580 of 600 is 20 spent: 80 left of our 100, although 580 > 100
      store.calibrate("east", report({ limit: 600, remaining: 580, spent: 20 }), a, 0);
      expect(store.view("east", 0).rpm.remaining).toBeCloseTo(80);
      // only our own call spent: nothing to correct
      const b = store.reserve("east", 0, 0);
      store.calibrate("east", report({ limit: 600, remaining: 579, spent: 21 }), b, 0);
      expect(store.view("east", 0).rpm.remaining).toBeCloseTo(79);
    });
  });

  describe("calibrate: remaining", () => {
    it("a remaining that only reflects our own charges does not lower the bucket", () => {
      const store = storeWith({ tpm: 1_000 });
      const a = store.reserve("east", 100, 0)!;
      store.reserve("east", 200, 0); // sent after `a`, unknown to a's header
      expect(store.view("east", 0).tpm.remaining).toBe(700);
      store.calibrate("east", report({}, { remaining: 900 }), a, 0);
      expect(store.view("east", 0).tpm.remaining).toBe(700);
    });

    it("accounts for what refilled since the header's call", () => {
      const store = storeWith({ tpm: 60_000 }); // 1 token per ms
      const a = store.reserve("east", 10_000, 0)!; // 50_000 left
      store.reserve("east", 20_000, 1_000); // 51_000 → 31_000
      store.calibrate("east", report({}, { remaining: 50_000 }), a, 2_000);
      expect(store.view("east", 2_000).tpm.remaining).toBe(32_000);
    });

    it("a remaining that shows another consumer spent quota lowers the bucket", () => {
      const store = storeWith({ tpm: 60_000 });
      const a = store.reserve("east", 10_000, 0)!;
      store.reserve("east", 20_000, 1_000);
      // the service had 10_000 fewer than we thought when it admitted `a`
      store.calibrate("east", report({}, { remaining: 40_000 }), a, 2_000);
      expect(store.view("east", 2_000).tpm.remaining).toBe(22_000);
    });

    it("does the same for requests", () => {
      const store = storeWith({ rpm: 600 });
      const a = store.reserve("east", 0, 0)!; // 99 left
      store.reserve("east", 0, 0);
      store.reserve("east", 0, 0); // 97 left
      store.calibrate("east", report({ remaining: 99 }), a, 0);
      expect(store.view("east", 0).rpm.remaining).toBe(97);
      store.calibrate("east", report({ remaining: 90 }), a, 0);
      expect(store.view("east", 0).rpm.remaining).toBe(88);
    });

    it("a stale header never raises the bucket", () => {
      const store = storeWith({ rpm: 600, tpm: 1_000 });
      const a = store.reserve("east", 500, 0)!;
      store.calibrate("east", report({ remaining: 600 }, { remaining: 1_000 }), a, 0);
      const view = store.view("east", 0);
      expect(view.tpm.remaining).toBe(500);
      expect(view.rpm.remaining).toBe(99);
    });

    it("never lowers the bucket below zero", () => {
      const store = storeWith({ tpm: 1_000 });
      const a = store.reserve("east", 100, 0)!;
      store.reserve("east", 500, 0);
      store.calibrate("east", report({}, { remaining: 0 }), a, 0);
      expect(store.view("east", 0).tpm.remaining).toBe(0);
    });

    it("a call refunded since the header's call is not counted as sent", () => {
      const store = storeWith({ rpm: 600, tpm: 1_000 });
      const a = store.reserve("east", 100, 0)!; // 900 left
      const b = store.reserve("east", 400, 0)!; // 500 left
      store.refund(b, 0); // b never reached the service: 900 left
      // The service saw only `a`: its header agrees with us and must not take b's 400 tokens away again.
      store.calibrate("east", report({ remaining: 99 }, { remaining: 900 }), a, 0);
      const view = store.view("east", 0);
      expect(view.tpm.remaining).toBe(900);
      expect(view.rpm.remaining).toBe(99);
    });

    it("a call refunded before the header's call does not lower the bucket either", () => {
      const store = storeWith({ tpm: 1_000 });
      const x = store.reserve("east", 300, 0)!; // 700
      const a = store.reserve("east", 100, 0)!; // 600
      store.refund(x, 0); // 900
      store.calibrate("east", report({}, { remaining: 900 }), a, 0);
      expect(store.view("east", 0).tpm.remaining).toBe(900);
    });

    it("needs the reservation the header answers (without it only limits are read)", () => {
      const store = storeWith({ tpm: 1_000 });
      store.reserve("east", 100, 0);
      store.calibrate("east", report({ remaining: 0 }, { remaining: 0 }), undefined, 0);
      expect(store.view("east", 0).tpm.remaining).toBe(900);
    });

    it("ignores a remaining for a budget whose limit is unknown", () => {
      const store = storeWith({});
      const a = store.reserve("east", 100, 0)!;
      expect(store.calibrate("east", report({ remaining: 0 }, { remaining: 0 }), a, 0)).toBeUndefined();
      expect(store.reserve("east", 100, 0)).toBeDefined();
    });
  });
});

describe("pacing: what a 429 proves (issue 14)", () => {
  /** 900 rpm over 10 s windows: a bucket of 150 refilling 15 per second; edge = 1 s = 15 requests. */
  function paced(throttle: Record<string, number> = {}) {
    const store = new InMemoryBudgetStore({ throttle: { marginMs: 0, ...throttle } });
    store.register("c", { rpm: 900 }, 0);
    return store;
  }
  /** Spends the whole bucket at t, returning the last reservation (admitted at the edge). */
  function drain(store: InMemoryBudgetStore, t: number) {
    let last: ReturnType<InMemoryBudgetStore["reserve"]>;
    for (let r = store.reserve("c", 0, t); r; r = store.reserve("c", 0, t)) last = r;
    if (!last) throw new Error("nothing to reserve");
    return last;
  }

  // Breaks if a lone 429 at the edge of our own pacing shrank the budget (the old rule halved size and
  // rate for minutes: 2–4 such 429s cost a 600-request burst 5–14 s).
  it("a lone 429 at the edge cools the lane for its retry-after and keeps the whole rate", () => {
    const store = paced();
    const refused = drain(store, 0);
    expect(refused.requestsLeft).toBeLessThan(1);
    store.refund(refused, 100);
    store.cool("c", 150, "requests", 100, refused);
    expect(store.view("c", 100).rpm.share).toBe(1);
    expect(store.reserve("c", 0, 149)).toBeUndefined();
    // It holds what refills by the end of the cooldown, so it goes again right then, at the full rate.
    expect(store.msUntilAvailable("c", 0, 100)).toBe(50);
    expect(store.reserve("c", 0, 150)).toBeDefined();
    expect(store.msUntilAvailable("c", 0, 150)).toBe(Math.ceil(1 / 0.015));
  });

  // Breaks if a refusal while our own accounting had a margin left did not shrink (that is how several
  // routers on one quota find their shares).
  it("a 429 for a call admitted with a margin left halves the budget", () => {
    const store = paced();
    const early = store.reserve("c", 0, 0)!; // 149 left: the service must have seen someone else
    store.refund(early, 50);
    store.cool("c", 1_000, "requests", 50, early);
    expect(store.view("c", 50).rpm.share).toBeCloseTo(0.5, 6);
    // The same 429 for the call that emptied the bucket is only jitter.
    const control = paced();
    const last = drain(control, 0);
    control.refund(last, 50);
    control.cool("c", 1_000, "requests", 50, last);
    expect(control.view("c", 50).rpm.share).toBe(1);
  });

  // Breaks if a second edge 429 for a call admitted after the first one were still taken for jitter,
  // or if calls already in flight when the first came counted as a second.
  it("a second 429 within the window, for a call admitted after the first, shrinks", () => {
    const store = paced();
    const first = drain(store, 0);
    const inFlight = store.reserve("c", 0, 80)!; // admitted before the first 429 came back
    store.refund(first, 100);
    store.cool("c", 110, "requests", 100, first);
    store.refund(inFlight, 105);
    store.cool("c", 110, "requests", 105, inFlight);
    expect(store.view("c", 105).rpm.share).toBe(1);
    const after = drain(store, 2_000);
    store.refund(after, 2_050);
    store.cool("c", 2_100, "requests", 2_050, after);
    expect(store.view("c", 2_050).rpm.share).toBeCloseTo(0.5, 6);
  });

  // Breaks if the service's remaining falling faster than we spend were not noticed, so an edge 429
  // right after it would be taken for jitter.
  it("an edge 429 after the counters showed spending that was not ours shrinks", () => {
    const run = (spentByService: number) => {
      const store = paced();
      const r = store.reserve("c", 0, 0)!;
      // The service says how many of its 150 are spent: we sent 1.
      store.calibrate(
        "c",
        report({ limit: 900, remaining: 900 - spentByService, spent: spentByService }),
        r,
        0,
      );
      store.commit(r);
      const edge = drain(store, 10);
      store.refund(edge, 60);
      store.cool("c", 100, "requests", 60, edge);
      return store.view("c", 60).rpm.share;
    };
    expect(run(100)).toBeCloseTo(0.5, 6);
    expect(run(1)).toBe(1);
  });

  // Breaks if our own spending alone (the service counting our calls a little later) were mistaken for
  // another consumer.
  it("our own spending, however fast, is not foreign", () => {
    const store = paced();
    const first = store.reserve("c", 0, 0)!;
    for (let i = 0; i < 100; i++) store.reserve("c", 0, 0);
    // The service had counted only the first call when it answered it, 40 of the later ones since.
    store.calibrate("c", report({ limit: 900, remaining: 899, spent: 1 }), first, 200);
    const edge = drain(store, 210);
    store.refund(edge, 260);
    store.cool("c", 300, "requests", 260, edge);
    expect(store.view("c", 260).rpm.share).toBe(1);
  });

  // Breaks if the recovery kept its starting pace after quiet periods (120 s to climb back from 0), or
  // if it sped up while the service kept showing other consumers.
  it("recovers faster with each quiet period, at the starting pace while others keep spending", () => {
    const quiet = paced({ recoveryMs: 100_000, quietMs: 10_000 });
    const r = quiet.reserve("c", 0, 0)!;
    quiet.refund(r, 0);
    quiet.cool("c", 0, "requests", 0, r); // margin → 0.5
    // 10 s at 1/100 000 per ms, then 10 s at twice that: 0.5 + 0.1 + 0.2.
    expect(quiet.view("c", 20_000).rpm.share).toBeCloseTo(0.8, 6);
    expect(quiet.view("c", 40_000).rpm.share).toBe(1);

    const busy = paced({ recoveryMs: 100_000, quietMs: 10_000 });
    const b = busy.reserve("c", 0, 0)!;
    busy.refund(b, 0);
    busy.cool("c", 0, "requests", 0, b);
    // Every 9 s the service shows 20 spent that were not ours.
    for (let t = 9_000; t <= 36_000; t += 9_000) {
      const mine = busy.reserve("c", 0, t)!;
      busy.calibrate("c", report({ limit: 900, remaining: 879, spent: 21 }), mine, t);
      busy.commit(mine);
    }
    expect(busy.view("c", 40_000).rpm.share).toBeCloseTo(0.9, 6);
  });

  // Breaks if the bucket paced at exactly the limit (arrival jitter turns that into 429s), or if the
  // cushion cost more than its own length once the bucket ran dry.
  it("keeps a cushion of marginMs of refill below every request charge, once", () => {
    const store = new InMemoryBudgetStore({ throttle: { marginMs: 250 } });
    store.register("c", { rpm: 900 }, 0);
    let admitted = 0;
    while (store.reserve("c", 0, 0)) admitted++;
    expect(admitted).toBe(146); // 150 less 3.75 requests of cushion
    expect(store.view("c", 0).rpm.remaining).toBeCloseTo(4, 6);
    // Then one request per 1/15 s, exactly the limit's pace.
    const times: number[] = [];
    for (let t = 0; times.length < 30; t++) if (store.reserve("c", 0, t)) times.push(t);
    expect(times[29]! - times[0]!).toBeLessThanOrEqual(Math.ceil((29 * 1_000) / 15));
    // A bucket of one request keeps no cushion it could never fill.
    const tiny = new InMemoryBudgetStore({ throttle: { marginMs: 250 } });
    tiny.register("t", { rpm: 6 }, 0);
    expect(tiny.reserve("t", 0, 0)).toBeDefined();
  });
});

describe("calibration that does not trust an impossible deficit (issue 14)", () => {
  // Breaks if `limit − remaining` larger than the whole bucket (a per-minute limit with the remaining of
  // a shorter window) clamped the lane to ~0 after every response.
  it("a per-minute limit with a per-window remaining lowers the bucket only to that remaining", () => {
    const store = storeWith({ rpm: 300 }); // bucket of 50
    const r = store.reserve("east", 0, 0)!;
    // The service's window had 49 left: limit 300 (per minute), remaining 49 → "spent" 251 > 50.
    store.calibrate("east", report({ limit: 300, remaining: 49, spent: 251 }), r, 0);
    expect(store.view("east", 0).rpm.remaining).toBe(49);
  });

  // Breaks if a mismatched deficit made the store lose the refill accrued while the call ran.
  it("keeps the refill accrued during the call", () => {
    const store = storeWith({ rpm: 300 });
    for (let i = 0; i < 50; i++) store.reserve("east", 0, 0);
    const r = store.reserve("east", 0, 1_000)!; // 5 refilled, one spent: 4 left
    // 2 s later the answer says the window had 4 left when the call was admitted.
    store.calibrate("east", report({ limit: 300, remaining: 4, spent: 296 }), r, 3_000);
    expect(store.view("east", 3_000).rpm.remaining).toBeCloseTo(14, 6);
  });

  // Breaks if remaining > limit, or negative counts, were read as a deficit of 0 or as a level.
  it("ignores remaining > limit and negative counts", () => {
    const store = storeWith({ rpm: 300, tpm: 10_000 });
    const r = store.reserve("east", 100, 0)!;
    store.calibrate(
      "east",
      report({ limit: 300, remaining: 400, spent: -100 }, { limit: 10_000, remaining: -1 }),
      r,
      0,
    );
    const view = store.view("east", 0);
    expect(view.rpm.remaining).toBe(49);
    expect(view.tpm.remaining).toBe(9_900);
  });
});
