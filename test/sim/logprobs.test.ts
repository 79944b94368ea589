import { describe, expect, it } from "vitest";
import { tokenLogprobs } from "../../src/sim/logprobs.js";
import { mulberry32 } from "../../src/sim/prng.js";

describe("tokenLogprobs", () => {
  // Breaks if an entry is positive, mis-encoded, unsorted, over-counted in probability, or the wrong length.
  it("gives plausible, consistent entries for any top count 0..20", () => {
    const tokens = ["Hello", " river", ".", " café", '{"'];
    for (let top = 0; top <= 20; top++) {
      const entries = tokenLogprobs(tokens, top, mulberry32(top));
      expect(entries.map((e) => e.token)).toEqual(tokens);
      for (const e of entries) {
        expect(e.logprob).toBeLessThanOrEqual(0);
        expect(new TextDecoder().decode(new Uint8Array(e.bytes))).toBe(e.token);
        expect(e.top_logprobs).toHaveLength(top);
        if (top === 0) continue;
        expect(e.top_logprobs.map((t) => t.token)).toContain(e.token);
        expect(new Set(e.top_logprobs.map((t) => t.token)).size).toBe(top);
        const lps = e.top_logprobs.map((t) => t.logprob);
        expect([...lps].sort((a, b) => b - a)).toEqual(lps);
        expect(lps.reduce((sum, lp) => sum + Math.exp(lp), 0)).toBeLessThanOrEqual(1 + 1e-6);
      }
    }
  });

  // Breaks if the draws are not seeded (same rng → same entries).
  it("is deterministic in the rng", () => {
    expect(tokenLogprobs(["a", " b"], 3, mulberry32(9))).toEqual(
      tokenLogprobs(["a", " b"], 3, mulberry32(9)),
    );
  });
});
