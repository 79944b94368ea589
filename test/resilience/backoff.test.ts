import { describe, expect, it } from "vitest";
import { fullJitterBackoff } from "../../src/resilience/backoff.js";

/** The largest value `Math.random()` can return. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;

describe("fullJitterBackoff", () => {
  const delay = fullJitterBackoff({ baseMs: 100, maxMs: 8_000 });

  it("is 0 when the rng returns 0", () => {
    for (let retry = 0; retry < 12; retry++) expect(delay(retry, () => 0)).toBe(0);
  });

  it("approaches base·2^n as the rng approaches 1", () => {
    expect(delay(0, () => ALMOST_ONE)).toBeCloseTo(100, 9);
    expect(delay(1, () => ALMOST_ONE)).toBeCloseTo(200, 9);
    expect(delay(2, () => ALMOST_ONE)).toBeCloseTo(400, 9);
    expect(delay(6, () => ALMOST_ONE)).toBeCloseTo(6_400, 9);
    expect(delay(0, () => 1)).toBe(100);
    expect(delay(6, () => 1)).toBe(6_400);
  });

  it("caps the ceiling at maxMs", () => {
    expect(delay(7, () => 1)).toBe(8_000); // 12_800 capped
    expect(delay(30, () => 1)).toBe(8_000);
    expect(delay(2_000, () => 1)).toBe(8_000); // 2^2000 is Infinity: still capped
    expect(delay(7, () => ALMOST_ONE)).toBeLessThan(8_000);
  });

  it("scales linearly with the rng inside [0, min(max, base·2^n)]", () => {
    expect(delay(3, () => 0.5)).toBe(400);
    expect(delay(3, () => 0.25)).toBe(200);
    expect(delay(10, () => 0.5)).toBe(4_000);
  });

  it("stays within bounds for any rng value in [0, 1)", () => {
    let state = 7;
    const rng = () => {
      state = (state * 48_271) % 2_147_483_647;
      return state / 2_147_483_647;
    };
    for (let retry = 0; retry < 20; retry++) {
      const ceiling = Math.min(8_000, 100 * 2 ** retry);
      for (let i = 0; i < 50; i++) {
        const d = delay(retry, rng);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
  });

  it("calls the rng exactly once per delay", () => {
    let calls = 0;
    const rng = () => {
      calls += 1;
      return 0.5;
    };
    delay(4, rng);
    expect(calls).toBe(1);
  });

  it("a zero base never waits", () => {
    const none = fullJitterBackoff({ baseMs: 0, maxMs: 8_000 });
    expect(none(5, () => 1)).toBe(0);
  });
});
