import { describe, expect, it } from "vitest";
import { formatGoDuration } from "../../src/sim/go-duration.js";

describe("formatGoDuration", () => {
  it.each([
    [0, "0s"],
    [20, "20ms"],
    [1, "1ms"],
    [1.5, "1.5ms"],
    [0.0015, "1.5µs"],
    [0.000001, "1ns"],
    [999, "999ms"],
    [1000, "1s"],
    [8640, "8.64s"],
    [59_999, "59.999s"],
    [60_000, "1m0s"],
    [90_500, "1m30.5s"],
    [360_000, "6m0s"],
    [3_600_000, "1h0m0s"],
    [7_384_250, "2h3m4.25s"],
    [86_400_000, "24h0m0s"],
    [-1500, "-1.5s"],
  ])("%d ms → %s", (ms, expected) => {
    expect(formatGoDuration(ms)).toBe(expected);
  });

  it("rounds to whole nanoseconds like Go", () => {
    expect(formatGoDuration(1.0000004)).toBe("1ms");
    expect(formatGoDuration(1.0000006)).toBe("1.000001ms");
  });

  it("rejects non-finite input", () => {
    expect(() => formatGoDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
