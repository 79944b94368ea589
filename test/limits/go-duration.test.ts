import fc from "fast-check";
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

  // The grammar as regular expressions (what the parser implemented before it scanned by hand): the
  // scanner must agree with it on any string built from the characters a duration is made of.
  const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
  const UNIT = "(?:ns|us|µs|μs|ms|s|m|h)";
  const MS: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    μs: 1e-3,
    ms: 1,
    s: 1e3,
    m: 6e4,
    h: 3.6e6,
  };
  const grammar = (text: string): number | undefined => {
    const s = text.trim();
    if (new RegExp(`^${NUMBER}$`).test(s)) return Number(s) * 1_000;
    if (s === "" || !new RegExp(`^(?:${NUMBER}${UNIT})+$`).test(s)) return undefined;
    let ms = 0;
    for (const [, value, unit] of s.matchAll(new RegExp(`(${NUMBER})(${UNIT})`, "g")))
      ms += Number(value) * (MS[unit ?? ""] ?? Number.NaN);
    return Number.isFinite(ms) ? ms : undefined;
  };

  it("agrees with the grammar on any string of duration characters", () => {
    const char = fc.constantFrom(..."0123456789.smhnuµμ -x");
    fc.assert(
      fc.property(fc.array(char, { maxLength: 12 }), (chars) => {
        const text = chars.join("");
        const expected = grammar(text);
        const actual = parseGoDuration(text);
        if (expected === undefined) expect(actual).toBeUndefined();
        else expect(actual).toBeCloseTo(expected, 9);
      }),
      { numRuns: 5_000 },
    );
  });
});
