import { describe, expect, it } from "vitest";
import { DEFAULT_PACING, evidenceLeft, throttleVerdict } from "../../src/limits/pacing.js";

/** 900 rpm: 0.015 requests per ms, so `edgeMs` (1 s) is 15 requests. */
const RATE = 0.015;
const NEVER = Number.NEGATIVE_INFINITY;

describe("throttleVerdict", () => {
  // Breaks if a 429 for a call admitted with almost nothing left (our own jitter) shrank the budget.
  it("a lone 429 at the edge of our own pacing is jitter", () => {
    const verdict = throttleVerdict(DEFAULT_PACING, {
      now: 5_000,
      ratePerMs: RATE,
      admittedAt: 4_900,
      leftAtAdmission: 3.75,
      throttledAt: NEVER,
      foreignAt: NEVER,
    });
    expect(verdict).toBe("edge");
  });

  // Breaks if a refusal while our accounting still had a second of refill left did not count as
  // evidence of other consumers.
  it("a 429 while our accounting still had a margin shows another consumer", () => {
    const facts = { now: 5_000, ratePerMs: RATE, admittedAt: 4_900, throttledAt: NEVER, foreignAt: NEVER };
    expect(throttleVerdict(DEFAULT_PACING, { ...facts, leftAtAdmission: 15 })).toBe("margin");
    expect(throttleVerdict(DEFAULT_PACING, { ...facts, leftAtAdmission: 14.9 })).toBe("edge");
  });

  // Breaks if a call admitted after the first 429 and refused again within the window were treated as
  // jitter, or if calls already on their way when the first 429 came counted as a second one.
  it("a second 429 within the window counts only for a call admitted after the first", () => {
    const base = { ratePerMs: RATE, leftAtAdmission: 1, throttledAt: 10_000, foreignAt: NEVER };
    expect(throttleVerdict(DEFAULT_PACING, { ...base, now: 12_000, admittedAt: 11_000 })).toBe("repeated");
    expect(throttleVerdict(DEFAULT_PACING, { ...base, now: 10_050, admittedAt: 9_990 })).toBe("edge");
    // Past the window the earlier 429 is forgotten.
    expect(throttleVerdict(DEFAULT_PACING, { ...base, now: 20_001, admittedAt: 19_000 })).toBe("edge");
  });

  // Breaks if the service's counters showing spending that was not ours did not turn an edge 429 into
  // evidence (several routers on one quota pace at the edge, and each sees the other only there).
  it("an edge 429 soon after the counters showed foreign spending shows another consumer", () => {
    const base = { ratePerMs: RATE, admittedAt: 29_000, leftAtAdmission: 0.5, throttledAt: NEVER };
    expect(throttleVerdict(DEFAULT_PACING, { ...base, now: 30_000, foreignAt: 25_000 })).toBe("foreign");
    expect(throttleVerdict(DEFAULT_PACING, { ...base, now: 30_000, foreignAt: 19_999 })).toBe("edge");
  });

  // Breaks if a caller that tells nothing about the refused call lost the shrink (the old contract).
  it("without the refused call's facts every 429 shrinks, as before", () => {
    const verdict = throttleVerdict(DEFAULT_PACING, {
      now: 0,
      ratePerMs: RATE,
      throttledAt: NEVER,
      foreignAt: NEVER,
    });
    expect(verdict).toBe("margin");
  });
});

describe("evidenceLeft", () => {
  // Breaks if a deficit that fits our bucket were not compared as a deficit.
  it("a deficit that fits the bucket: capacity − deficit", () => {
    expect(evidenceLeft({ spent: 3, remaining: 297 }, 50, 0.005)).toEqual({ left: 47, exact: false });
  });

  // Breaks if `limit − remaining` larger than our whole bucket (a per-minute limit with the remaining
  // of a shorter window) emptied the bucket instead of being bounded by the remaining itself.
  it("a deficit larger than the bucket is a window mismatch: only remaining bounds what is left", () => {
    // 300 per minute, 20 left in the service's 10 s window: 280 "spent" cannot be true for a bucket of 50.
    expect(evidenceLeft({ spent: 280, remaining: 20 }, 50, 0.005)).toEqual({ left: 20, exact: false });
    expect(evidenceLeft({ spent: 280, remaining: 80 }, 50, 0.005)).toEqual({ left: 50, exact: false });
  });

  // Breaks if impossible counters (remaining > limit, negative, -1, NaN) were read as evidence.
  it("ignores counters that cannot be true", () => {
    expect(evidenceLeft({ spent: -5, remaining: 305 }, 50, 0.005)).toBeUndefined();
    expect(evidenceLeft({ remaining: -1 }, 50, 0.005)).toBeUndefined();
    expect(evidenceLeft({ spent: 301, remaining: -1 }, 50, 0.005)).toBeUndefined();
    expect(evidenceLeft({ spent: Number.NaN, remaining: 2 }, 50, 0.005)).toBeUndefined();
    expect(evidenceLeft({}, 50, 0.005)).toBeUndefined();
  });

  // Breaks if whole counts (rounded down by the service) cost the refilled fraction on every call: the
  // reset time tells it, when it agrees with the counts.
  it("takes the fraction a whole count rounds away from the reset time, when the two agree", () => {
    // 2.6 left of 50 at 5 per second: the service says remaining 2 (deficit 48) and full again in 9.48 s.
    const seen = evidenceLeft({ spent: 48, remaining: 252, resetMs: 9_480 }, 50, 0.005);
    expect(seen?.exact).toBe(true);
    expect(seen?.left).toBeCloseTo(2.6, 6);
    // A reset that disagrees with the counts (another window) is not used.
    expect(evidenceLeft({ spent: 48, remaining: 252, resetMs: 60_000 }, 50, 0.005)).toEqual({
      left: 2,
      exact: false,
    });
  });
});
