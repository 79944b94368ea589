/** InMemoryBudgetStore: calibrating from a response's headers (limits, the service's deficit, remaining). */
import { describe, expect, it } from "vitest";
import { report, storeWith } from "./in-memory-budget-store-fixtures.js";

describe("InMemoryBudgetStore", () => {
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
