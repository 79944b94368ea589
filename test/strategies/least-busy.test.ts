import { describe, expect, it } from "vitest";
import { createLeastBusy } from "../../src/strategies/least-busy.js";
import { context, lanes, request, tally } from "./snapshot.js";

describe("createLeastBusy", () => {
  it("picks the lowest inflight / concurrency", () => {
    const pick = createLeastBusy();
    const candidates = lanes(
      ["a", { inflight: 5, concurrency: 10 }], // 0.5
      ["b", { inflight: 2, concurrency: 10 }], // 0.2
      ["c", { inflight: 1, concurrency: 2 }], // 0.5
    );
    expect(pick(candidates, request(), context())).toBe("b");
  });

  it("breaks ties at random with the injected rng, so both tie members get picked", () => {
    const pick = createLeastBusy();
    const ctx = context(7);
    const candidates = lanes(
      ["a", { inflight: 1, concurrency: 10 }], // 0.1
      ["b", { inflight: 2, concurrency: 20 }], // 0.1
      ["c", { inflight: 5, concurrency: 10 }],
    );
    const counts = tally(Array.from({ length: 200 }, () => pick(candidates, request(), ctx)));
    expect(counts.c).toBeUndefined();
    expect(counts.a).toBeGreaterThan(60);
    expect(counts.b).toBeGreaterThan(60);
  });

  it("is deterministic for a given seed", () => {
    const candidates = lanes("a", "b", "c");
    const run = () => {
      const pick = createLeastBusy();
      const ctx = context(3);
      return Array.from({ length: 20 }, () => pick(candidates, request(), ctx));
    };
    expect(run()).toEqual(run());
  });

  it("compares an unlimited lane as if it had `unlimitedConcurrencyAs` slots", () => {
    const candidates = lanes(
      ["a", { inflight: 50, concurrency: Number.POSITIVE_INFINITY }], // 50 / 10_000 = 0.005
      ["b", { inflight: 1, concurrency: 100 }], // 0.01
    );
    expect(createLeastBusy()(candidates, request(), context())).toBe("a");
    // 50 / 1_000 = 0.05 > 0.01
    expect(createLeastBusy({ unlimitedConcurrencyAs: 1_000 })(candidates, request(), context())).toBe("b");
  });

  it("stays within the ties when the rng returns its upper bound", () => {
    const pick = createLeastBusy();
    expect(pick(lanes("a", "b"), request(), { rng: () => 1 })).toBe("b");
    expect(pick(lanes("a", "b"), request(), { rng: () => 0 })).toBe("a");
  });

  it("rejects a non-positive unlimitedConcurrencyAs, naming the option", () => {
    expect(() => createLeastBusy({ unlimitedConcurrencyAs: 0 })).toThrow(/unlimitedConcurrencyAs/);
    expect(() => createLeastBusy({ unlimitedConcurrencyAs: Number.NaN })).toThrow(RangeError);
  });
});
