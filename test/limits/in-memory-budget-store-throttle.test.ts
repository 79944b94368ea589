/** InMemoryBudgetStore: cooldowns, and what a 429 does to the budget it names (shrink, recovery, cushion). */
import { describe, expect, it } from "vitest";
import { InMemoryBudgetStore } from "../../src/limits/in-memory-budget-store.js";
import { report, storeWith } from "./in-memory-budget-store-fixtures.js";

describe("InMemoryBudgetStore", () => {
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
