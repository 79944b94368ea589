import { describe, expect, it } from "vitest";
import { RateMeter } from "../../src/metrics/rate-meter.js";

const T0 = 1_700_000_000_000; // a whole second, in epoch ms

describe("RateMeter", () => {
  it("is 0 with nothing recorded", () => {
    const m = new RateMeter();
    expect(m.sum(T0)).toBe(0);
    expect(m.perSecond(T0)).toBe(0);
  });

  it("sums what was added in the current second", () => {
    const m = new RateMeter(60);
    m.add(1, T0);
    m.add(2, T0 + 500);
    m.add(3.5, T0 + 999);
    expect(m.sum(T0 + 999)).toBe(6.5);
    expect(m.sum(T0 + 999, 1)).toBe(6.5);
  });

  it("sums over the last `seconds` seconds, the current one included", () => {
    const m = new RateMeter(60);
    for (let s = 0; s < 10; s++) m.add(s + 1, T0 + s * 1_000); // 1, 2, …, 10 in seconds 0…9
    const now = T0 + 9_500;
    expect(m.sum(now, 1)).toBe(10);
    expect(m.sum(now, 2)).toBe(19);
    expect(m.sum(now, 5)).toBe(10 + 9 + 8 + 7 + 6);
    expect(m.sum(now, 10)).toBe(55);
    expect(m.sum(now)).toBe(55); // default: the whole window
  });

  it("forgets seconds that left the window", () => {
    const m = new RateMeter(60);
    m.add(5, T0);
    m.add(7, T0 + 30_000);
    expect(m.sum(T0 + 59_999)).toBe(12);
    expect(m.sum(T0 + 60_000)).toBe(7); // second 0 is 60 s old
    expect(m.sum(T0 + 90_000)).toBe(0);
  });

  it("never looks further back than its window", () => {
    const m = new RateMeter(5);
    m.add(1, T0);
    m.add(1, T0 + 4_000);
    expect(m.sum(T0 + 4_000, 100)).toBe(2);
    expect(m.sum(T0 + 5_000, 100)).toBe(1);
  });

  it("reuses a bucket after wrap-around, dropping its old count", () => {
    const m = new RateMeter(5);
    m.add(10, T0); // second 0 → bucket 0
    m.add(1, T0 + 5_000); // second 5 → bucket 0 again
    expect(m.sum(T0 + 5_000)).toBe(1);
    m.add(2, T0 + 5_100);
    expect(m.sum(T0 + 5_100, 1)).toBe(3);
  });

  it("does not count a stale bucket that was never overwritten", () => {
    const m = new RateMeter(5);
    m.add(4, T0 + 1_000); // bucket 1, second 1
    // at second 6 the window is seconds 2…6; bucket 1 still holds second 1's count
    expect(m.sum(T0 + 6_000)).toBe(0);
    expect(m.sum(T0 + 11_000)).toBe(0);
  });

  it("keeps counting correctly over many wrap-arounds", () => {
    const m = new RateMeter(10);
    for (let s = 0; s < 1_000; s++) m.add(1, T0 + s * 1_000);
    expect(m.sum(T0 + 999_000)).toBe(10);
    expect(m.sum(T0 + 999_000, 3)).toBe(3);
  });

  it("perSecond averages over the last `seconds` (default 5)", () => {
    const m = new RateMeter(60);
    for (let s = 0; s < 10; s++) m.add(10, T0 + s * 1_000);
    expect(m.perSecond(T0 + 9_000)).toBe(10);
    expect(m.perSecond(T0 + 9_000, 10)).toBe(10);
    expect(m.perSecond(T0 + 9_000, 20)).toBe(5); // only 10 of the 20 seconds had events
    m.add(40, T0 + 9_999);
    expect(m.perSecond(T0 + 9_999, 5)).toBe(18);
  });

  it("keeps meters independent", () => {
    const a = new RateMeter(60);
    const b = new RateMeter(60);
    a.add(3, T0);
    expect(b.sum(T0)).toBe(0);
  });

  it("works from time 0 (a virtual clock)", () => {
    const m = new RateMeter(60);
    m.add(1, 0);
    m.add(1, 999);
    m.add(1, 1_000);
    expect(m.sum(1_000)).toBe(3);
    expect(m.sum(1_000, 1)).toBe(1);
  });
});
