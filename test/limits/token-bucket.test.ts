import { describe, expect, it } from "vitest";
import { requestBucketCapacity, TokenBucket } from "../../src/limits/token-bucket.js";

describe("TokenBucket", () => {
  it("starts full", () => {
    const b = new TokenBucket(100, 600, 0);
    expect(b.available(0)).toBe(100);
    expect(b.capacity).toBe(100);
    expect(b.perMinute).toBeCloseTo(600);
  });

  it("refills continuously at perMinute / 60_000 per ms", () => {
    const b = new TokenBucket(100, 600, 0); // 0.01 per ms
    expect(b.tryTake(100, 0)).toBe(true);
    expect(b.available(0)).toBe(0);
    expect(b.available(1_000)).toBeCloseTo(10);
    expect(b.available(2_500)).toBeCloseTo(25);
  });

  it("never refills above its capacity", () => {
    const b = new TokenBucket(100, 600, 0);
    b.tryTake(50, 0);
    expect(b.available(3_600_000)).toBe(100);
  });

  it("ignores a clock stepping backwards", () => {
    const b = new TokenBucket(100, 600, 1_000);
    b.tryTake(100, 1_000);
    expect(b.available(500)).toBe(0);
    expect(b.available(2_000)).toBeCloseTo(10);
  });

  it("tryTake is all-or-nothing and never goes negative", () => {
    const b = new TokenBucket(10, 60, 0);
    expect(b.tryTake(7, 0)).toBe(true);
    expect(b.tryTake(4, 0)).toBe(false); // only 3 left: nothing taken
    expect(b.available(0)).toBe(3);
    expect(b.tryTake(3, 0)).toBe(true);
    expect(b.tryTake(0.5, 0)).toBe(false);
    expect(b.available(0)).toBe(0);
  });

  it("tryTake tolerates floating-point dust", () => {
    const b = new TokenBucket(1, 60, 0); // 0.001 per ms
    b.tryTake(1, 0);
    // 0.1 + 0.2 style error must not cost a whole extra wait.
    expect(b.tryTake(1, 1_000 - 1e-10)).toBe(true);
  });

  it("takes exactly the budget over a period of concurrent demand (check-then-act is one call)", () => {
    const b = new TokenBucket(10, 600, 0); // 10 per second
    let granted = 0;
    for (let t = 0; t <= 10_000; t += 10) {
      // Five callers per tick race for the same budget; tryTake decides each atomically.
      for (let i = 0; i < 5; i++) if (b.tryTake(1, t)) granted++;
    }
    expect(granted).toBe(10 + 100); // the initial burst plus 10 s of refill
  });

  it("msUntil says how long to wait, 0 when available, Infinity above capacity", () => {
    const b = new TokenBucket(100, 600, 0); // 0.01 per ms
    expect(b.msUntil(100, 0)).toBe(0);
    b.tryTake(100, 0);
    expect(b.msUntil(0.015, 0)).toBe(2); // rounded up: never wakes too early
    expect(b.msUntil(101, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(b.msUntilFull(0)).toBe(10_000);
    expect(b.msUntil(10, 0)).toBe(1_000);
    expect(b.msUntil(10, 400)).toBe(600);
    expect(b.msUntil(10, 1_000)).toBe(0);
    expect(b.tryTake(10, 1_000)).toBe(true);
  });

  it("clampTo lowers the level to what the service reports, never raises it", () => {
    const b = new TokenBucket(100, 600, 0);
    b.clampTo(30, 0);
    expect(b.available(0)).toBe(30);
    b.clampTo(80, 0);
    expect(b.available(0)).toBe(30);
    b.clampTo(-5, 0);
    expect(b.available(0)).toBe(0);
    expect(b.available(1_000)).toBeCloseTo(10); // refill continues from the clamped level
  });

  it("giveBack returns tokens up to the capacity", () => {
    const b = new TokenBucket(100, 600, 0);
    b.tryTake(60, 0);
    b.giveBack(20, 0);
    expect(b.available(0)).toBe(60);
    b.giveBack(1_000, 0);
    expect(b.available(0)).toBe(100);
  });

  it("reconfigure keeps the fill ratio and adopts the new rate", () => {
    const b = new TokenBucket(100, 600, 0);
    b.tryTake(75, 0); // 25% full
    b.reconfigure(1_000, 6_000, 0);
    expect(b.capacity).toBe(1_000);
    expect(b.perMinute).toBeCloseTo(6_000);
    expect(b.available(0)).toBeCloseTo(250);
    expect(b.available(1_000)).toBeCloseTo(350); // 0.1 per ms
    b.reconfigure(100, 600, 1_000); // 35% full
    expect(b.available(1_000)).toBeCloseTo(35);
  });

  it("reconfigure from a zero capacity starts full", () => {
    const b = new TokenBucket(0, 0, 0);
    expect(b.tryTake(1, 0)).toBe(false);
    b.reconfigure(10, 60, 0);
    expect(b.available(0)).toBe(10);
  });
});

describe("requestBucketCapacity", () => {
  it("is ten seconds of the per-minute rate, at least 1", () => {
    expect(requestBucketCapacity(600)).toBe(100);
    expect(requestBucketCapacity(6)).toBe(1);
    expect(requestBucketCapacity(1)).toBe(1);
  });
});

describe("TokenBucket pacing (issue 14)", () => {
  // Breaks if the cushion were not kept below a charge, or if it blocked a bucket that can never hold
  // more than the charge.
  it("keeps marginMs of refill unspent below each charge, but never more than the bucket holds", () => {
    const b = new TokenBucket(10, 600, 0, 250); // 0.01 per ms: cushion 2.5
    expect(b.cushion).toBeCloseTo(2.5);
    expect(b.tryTake(7, 0)).toBe(true); // 3 left ≥ 0.5 + 2.5
    expect(b.canTake(1, 0)).toBe(false); // 3 < 1 + 2.5
    expect(b.msUntil(1, 0)).toBe(50);
    const one = new TokenBucket(1, 6, 0, 250);
    expect(one.tryTake(1, 0)).toBe(true);
  });

  // Breaks if the recovery pace did not double after each quiet period, or if restartRecovery did not
  // bring it back to the starting pace.
  it("recovery doubles its pace each quiet period; restartRecovery starts it over", () => {
    const b = new TokenBucket(100, 600, 0);
    b.throttle(0.5, 0.1, 100_000, 0, 10_000);
    expect(b.share(10_000)).toBeCloseTo(0.6);
    expect(b.share(20_000)).toBeCloseTo(0.8);
    b.restartRecovery(20_000);
    expect(b.share(30_000)).toBeCloseTo(0.9);
    expect(b.share(35_000)).toBeCloseTo(1);
  });

  // Breaks if a counting bucket could go below zero or refused a charge.
  it("spend takes whatever is asked, never below zero", () => {
    const b = new TokenBucket(10, 600, 0);
    b.spend(4, 0);
    expect(b.available(0)).toBe(6);
    b.spend(20, 0);
    expect(b.available(0)).toBe(0);
  });
});
