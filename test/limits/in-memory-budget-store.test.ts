/**
 * InMemoryBudgetStore: reserving, the buckets and their refill, waiting for budget, commit and refund.
 * Its cooldowns and 429 throttling are in in-memory-budget-store-throttle.test.ts, the headers it
 * calibrates from in in-memory-budget-store-calibrate.test.ts.
 */
import { describe, expect, it } from "vitest";
import { InMemoryBudgetStore } from "../../src/limits/in-memory-budget-store.js";
import { storeWith } from "./in-memory-budget-store-fixtures.js";

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
});
