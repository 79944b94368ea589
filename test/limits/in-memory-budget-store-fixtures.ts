/** What the InMemoryBudgetStore tests share: a store with one lane, and a rate-limit report. */
import type { RateLimitReport } from "../../src/limits/budget-store.js";
import { InMemoryBudgetStore } from "../../src/limits/in-memory-budget-store.js";

/**
 * A store with one lane registered at t=0, pacing at exactly the limits (no cushion: the bucket
 * arithmetic below is exact; the cushion has its own tests in pacing.test.ts).
 */
export function storeWith(limits: { rpm?: number; tpm?: number }, lane = "east"): InMemoryBudgetStore {
  const store = new InMemoryBudgetStore({ throttle: { marginMs: 0 } });
  store.register(lane, limits, 0);
  return store;
}

export function report(
  requests: RateLimitReport["requests"] = {},
  tokens: RateLimitReport["tokens"] = {},
): RateLimitReport {
  return { requests, tokens };
}
