import { describe, expect, it } from "vitest";
import { clampRetryAfter, DEFAULT_COOLDOWN_MS } from "../../src/resilience/retry-after.js";

const OPTIONS = { minMs: 500, maxMs: 60_000, defaultMs: DEFAULT_COOLDOWN_MS };

describe("clampRetryAfter", () => {
  // Breaks if "0" (or less than the floor) let a lane reopen at once: every waiting request would call again.
  it("never below the floor", () => {
    expect(clampRetryAfter(0, OPTIONS)).toBe(500);
    expect(clampRetryAfter(0.001, OPTIONS)).toBe(500);
    expect(clampRetryAfter(499, OPTIONS)).toBe(500);
    expect(clampRetryAfter(750, OPTIONS)).toBe(750);
  });

  // Breaks if Azure's daily-quota retry-after (or an absurd one) were honoured.
  it("never above the cap", () => {
    expect(clampRetryAfter(86_400_000, OPTIONS)).toBe(60_000);
    expect(clampRetryAfter(Number.POSITIVE_INFINITY, OPTIONS)).toBe(60_000);
  });

  // Breaks if an unreadable value (parsed as undefined, or NaN) were taken at face value.
  it("nothing readable: the default cooldown", () => {
    expect(clampRetryAfter(undefined, OPTIONS)).toBe(DEFAULT_COOLDOWN_MS);
    expect(clampRetryAfter(Number.NaN, OPTIONS)).toBe(DEFAULT_COOLDOWN_MS);
  });

  // Breaks if a floor above the cap won: the cap is the last word (a config with maxRetryAfterMs 100).
  it("a floor above the cap yields to the cap", () => {
    expect(clampRetryAfter(0, { minMs: 500, maxMs: 100, defaultMs: 1_000 })).toBe(100);
    expect(clampRetryAfter(undefined, { minMs: 500, maxMs: 100, defaultMs: 1_000 })).toBe(100);
  });
});
