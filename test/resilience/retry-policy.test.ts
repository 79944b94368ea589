import { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { classifyFailure, type Failure } from "../../src/resilience/classify.js";
import { decide, type RetryPolicy } from "../../src/resilience/retry-policy.js";

const NOW = 10_000;
/** Backoff that says which retry it was asked for: 100 ms per retry index + 7. */
const policy: RetryPolicy = { maxAttempts: 3, backoff: (retry) => retry * 100 + 7.4 };
const fresh = { modelAttempts: 0, deadline: NOW + 5_000, aborted: false };

function status(code: number, headers: Record<string, string> = {}): Failure {
  const error = APIError.generate(code, { error: { message: "x" } }, "x", new Headers(headers));
  return classifyFailure(error, NOW);
}

describe("decide (what a failed attempt leads to)", () => {
  // Breaks if: a 5xx stops retrying, or the backoff index is off by one.
  it("retries a 503 after the backoff of its retry index, counting the attempt", () => {
    expect(decide(fresh, status(503), NOW, policy)).toEqual({
      action: "retry",
      modelAttempts: 1,
      delayMs: 7,
    });
    expect(decide({ ...fresh, modelAttempts: 1 }, status(503), NOW, policy)).toEqual({
      action: "retry",
      modelAttempts: 2,
      delayMs: 107,
    });
  });

  // Breaks if: a plain 429 spends the request's attempts (it should wait for budget, bounded by the deadline).
  it("a plain 429 does not count toward maxAttempts and goes again at once", () => {
    const d = decide({ ...fresh, modelAttempts: 2 }, status(429), NOW, policy);
    expect(d).toEqual({ action: "retry", modelAttempts: 2, delayMs: 0 });
  });

  // Breaks if: a retry-after is ignored by the request (the lane cools; the request may go elsewhere now).
  it("a failure naming a retry-after goes again without backoff", () => {
    const d = decide(fresh, status(503, { "retry-after": "2" }), NOW, policy);
    expect(d).toEqual({ action: "retry", modelAttempts: 1, delayMs: 0 });
  });

  // Breaks if: the last allowed attempt is retried anyway.
  it("is exhausted once the counted attempts reach maxAttempts", () => {
    expect(decide({ ...fresh, modelAttempts: 2 }, status(500), NOW, policy)).toEqual({
      action: "exhausted",
      modelAttempts: 3,
    });
  });

  // Breaks if: a 400 is retried (the same body fails again everywhere).
  it("a 400 is final", () => {
    expect(decide(fresh, status(400), NOW, policy)).toEqual({ action: "final" });
  });

  // Breaks if: a 401 is final instead of failing over (another endpoint has another key).
  it("a 401 fails over: another attempt, counted", () => {
    expect(decide(fresh, status(401), NOW, policy).action).toBe("retry");
  });

  // Breaks if: the deadline or the caller's abort is overridden by a retryable failure.
  it("the caller's abort comes first, then the deadline", () => {
    expect(decide({ ...fresh, aborted: true }, status(503), NOW, policy)).toEqual({ action: "aborted" });
    expect(decide({ ...fresh, deadline: NOW }, status(503), NOW, policy)).toEqual({ action: "deadline" });
    expect(decide({ ...fresh, deadline: NOW, aborted: true }, status(503), NOW, policy)).toEqual({
      action: "aborted",
    });
  });
});
