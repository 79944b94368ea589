import { describe, expect, it } from "vitest";
import { parseGoDuration } from "../../src/limits/go-duration.js";

describe("parseGoDuration", () => {
  it.each([
    ["1s", 1_000],
    ["6m0s", 360_000],
    ["20ms", 20],
    ["1m30.5s", 90_500],
    ["1h2m3s", 3_723_000],
    ["0s", 0],
    ["0", 0],
    ["500us", 0.5],
    ["500µs", 0.5], // U+00B5 micro sign
    ["500μs", 0.5], // U+03BC Greek mu
    ["10ns", 0.00001],
    ["1.5h", 5_400_000],
    [".5s", 500],
    ["2m", 120_000],
    ["59.999s", 59_999],
    [" 7s ", 7_000],
  ])("%s → %d ms", (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it("reads a bare number as seconds", () => {
    expect(parseGoDuration("6")).toBe(6_000);
    expect(parseGoDuration("0.25")).toBe(250);
  });

  it.each(["", "  ", "s", "abc", "1x", "1s2", "-1s", "-1", "1 s", "1.2.3s", "ms", "NaN", "1e3s", "Infinity"])(
    "rejects %j",
    (text) => {
      expect(parseGoDuration(text)).toBeUndefined();
    },
  );
});
