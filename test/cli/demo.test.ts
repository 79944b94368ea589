import { describe, expect, it } from "vitest";
import { describeEvent, percentile, renderDashboard, renderPlain } from "../../src/cli/dashboard.js";
import { runDemo } from "../../src/cli/demo.js";
import type { RouterMetrics } from "../../src/index.js";

const metrics: RouterMetrics = {
  at: 0,
  queue: { depth: 3, maxSize: 10, byPriority: { "0": 3 }, byModel: { "gpt-4o": 3 } },
  endpoints: [
    {
      name: "east",
      type: "azure",
      models: ["gpt-4o"],
      state: "cooling",
      streamCircuit: "closed",
      inflight: 2,
      concurrency: 8,
      peakInflight: 8,
      attempts: 10,
      succeeded: 8,
      failed: 2,
      rateLimited: 1,
      byStatus: { "200": 8, "429": 1, "500": 1 },
      requestsPerSecond: 4.5,
      tokensPerMinute: 12_345,
      promptTokens: 100,
      completionTokens: 200,
      latencyMs: 320.4,
      ttftMs: null,
      msPerToken: 4.2,
      rpm: { limit: 600, remaining: 42, capacity: 100, msUntilFull: 5_800 },
      tpm: { limit: null, remaining: null, capacity: null, msUntilFull: 0 },
      coolingUntil: 5_000,
      reopensAt: 0,
      outstandingReservations: 2,
      disabledModels: [],
    },
  ],
  totals: { requests: 10, succeeded: 8, failed: 2, inflight: 2, pending: 5 },
};
const info = {
  title: "demo",
  elapsedMs: 1_500,
  durationMs: 30_000,
  phase: "steady",
  completed: 8,
  failed: 0,
  p50Ms: 300,
  p99Ms: 900,
  recentEvents: [{ atMs: 1_000, text: "east cooling down for 1000 ms (429)" }],
};

describe("dashboard", () => {
  it("renders every endpoint with state, budgets and errors, without colour codes when colour is off", () => {
    const text = renderDashboard(metrics, info, false).join("\n");
    expect(text).toContain("east");
    expect(text).toContain("cooling");
    expect(text).toContain("2/8");
    expect(text).toContain("12k");
    expect(text).toContain("∞");
    expect(text).toContain("queue 3 waiting");
    expect(text).toContain("east cooling down");
    expect(text).not.toContain("\x1b[");
  });

  it("paints states when colour is on", () => {
    expect(renderDashboard(metrics, info, true).join("\n")).toContain("\x1b[");
  });

  it("has a plain form for logs and CI", () => {
    const lines = renderPlain(metrics, info);
    expect(lines[0]).toContain("queue=3");
    expect(lines[1]).toContain("east state=cooling inflight=2");
  });

  it("describes the events worth showing and skips dispatches", () => {
    expect(describeEvent({ type: "recovered", at: 0, endpoint: "east", scope: "endpoint" })).toBe(
      "east recovered",
    );
    expect(
      describeEvent({
        type: "circuit-opened",
        at: 0,
        endpoint: "east",
        scope: "streams",
        until: 1,
        reason: "connection",
      }),
    ).toBe("east stream circuit opened (connection)");
    expect(
      describeEvent({
        type: "dispatched",
        at: 0,
        id: "x",
        endpoint: "east",
        model: "m",
        attempt: 1,
        queuedMs: 0,
      }),
    ).toBeUndefined();
  });

  it("computes nearest-rank percentiles", () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
  });
});

describe("demo", () => {
  it("drives a mixed load through the router, degrades an endpoint and ends with a summary", async () => {
    let output = "";
    const summary = await runDemo({
      strategy: "least-latency",
      durationSec: 4,
      rps: 20,
      seed: 1,
      out: { write: (t: string) => (output += t) },
      live: false,
    });
    expect(summary.offered).toBeGreaterThan(40);
    expect(summary.succeeded + summary.failed).toBe(summary.offered);
    expect(summary.callerRateLimited).toBe(0);
    // Only failures the design allows: streams cut after content reached the caller.
    for (const code of Object.keys(summary.failuresByCode)) expect(code).toBe("STREAM_INTERRUPTED");
    expect(summary.endpoints.map((e) => e.name)).toEqual([
      "ptu-east",
      "paygo-west",
      "paygo-sweden",
      "openai",
    ]);
    expect(output).toContain("summary");
    expect(output).toContain("ptu-east is down");
    expect(output).not.toContain("\x1b[");
  }, 30_000);
});
