import { describe, expect, it } from "vitest";
import {
  DASHBOARD_WIDTH,
  describeEvent,
  percentile,
  perMinuteHeadroom,
  renderDashboard,
  renderPlain,
} from "../../src/cli/dashboard.js";
import { renderSummary, runDemo } from "../../src/cli/demo.js";
import type { EndpointMetrics, RouterMetrics } from "../../src/index.js";

/** Drops SGR colour codes: what the terminal shows. */
const SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const visible = (line: string) => line.replace(SGR, "");

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
      cachedTokens: 0,
      reasoningTokens: 0,
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
  expected: { count: 0, why: "streams cut when east went down mid-answer" },
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
    expect(text).toContain("252");
    expect(text).toContain("∞");
    expect(text).toContain("queue 3 waiting");
    expect(text).toContain("east cooling down");
    expect(text).not.toContain("\x1b[");
  });

  it("paints states when colour is on", () => {
    expect(renderDashboard(metrics, info, true).join("\n")).toContain("\x1b[");
  });

  // Breaks if any line (coloured or not) is wider than 80 columns, e.g. the wide 13-column layout.
  it("fits 80 columns, with long names, large counts and long events", () => {
    const busy = (name: string, i: number): EndpointMetrics => ({
      ...metrics.endpoints[0]!,
      name,
      state: i === 0 ? "half-open" : "disabled",
      inflight: 120,
      concurrency: 128,
      succeeded: 1_234_567,
      rateLimited: 45_678,
      failed: 99_999,
      requestsPerSecond: 1234.5,
      latencyMs: 123_456,
      rpm: { limit: 30_000, remaining: 29_000, capacity: 30_000, msUntilFull: 0 },
      tpm: { limit: 5_000_000, remaining: 4_000_000, capacity: 5_000_000, msUntilFull: 0 },
    });
    const wide: RouterMetrics = {
      ...metrics,
      endpoints: ["a-very-long-endpoint-name", "paygo-sweden", "x", "openai"].map(busy),
    };
    const longInfo = {
      ...info,
      title: "openai-router demo · strategy least-latency · offered 500 req/s",
      elapsedMs: 86_399_900,
      durationMs: 86_400_000,
      phase: "ptu-east is down (connections refused) and this phase text goes on and on and on",
      completed: 9_999_999,
      failed: 123_456,
      expected: { count: 123, why: "streams cut when ptu-east went down mid-answer" },
      p50Ms: 12_345,
      p99Ms: 123_456,
      recentEvents: [{ atMs: 86_000_000, text: `request ${"r".repeat(60)}: fallback gpt-4o → gpt-4o-mini` }],
    };
    for (const color of [false, true]) {
      const lines = renderDashboard(wide, longInfo, color).map(visible);
      for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(DASHBOARD_WIDTH);
      expect(lines.join("\n")).toContain("a-very-long…");
    }
  });

  // Breaks if the share bar is scaled to the busiest endpoint instead of the total.
  it("shows each endpoint's share of the total request rate", () => {
    const two: RouterMetrics = {
      ...metrics,
      endpoints: [
        { ...metrics.endpoints[0]!, name: "a", requestsPerSecond: 3 },
        { ...metrics.endpoints[0]!, name: "b", requestsPerSecond: 1 },
      ],
    };
    const lines = renderDashboard(two, info, false);
    expect(lines.find((l) => l.startsWith("a "))).toContain("███·  75%");
    expect(lines.find((l) => l.startsWith("b "))).toContain("█···  25%");
  });

  // Breaks if "rpm left" shows the bucket's raw content (a sixth of the RPM on a 10 s window).
  it("shows budgets left per minute, whatever the bucket's window", () => {
    // 42 of a 100-request bucket (a 600 RPM limit counted per 10 s) = 252 requests per minute.
    expect(perMinuteHeadroom({ limit: 600, remaining: 42, capacity: 100, msUntilFull: 1 })).toBe(252);
    expect(perMinuteHeadroom({ limit: 600, remaining: 600, capacity: 600, msUntilFull: 0 })).toBe(600);
    expect(perMinuteHeadroom({ limit: null, remaining: null, capacity: null, msUntilFull: 0 })).toBeNull();
    const row = renderDashboard(metrics, info, false).find((l) => l.startsWith("east"));
    expect(row).toMatch(/ 252 +∞$/);
  });

  // Breaks if the outage's expected stream cuts are counted as red failures.
  it("explains the expected failures instead of painting them red", () => {
    const withCuts = { ...info, failed: 3, expected: { count: 3, why: "streams cut when east went down" } };
    const text = renderDashboard(metrics, withCuts, true).join("\n");
    expect(text).toContain("0 failed");
    expect(text).toContain("+ 3 expected: streams cut when east went down");
    expect(text).not.toContain("\x1b[31m3 failed");
    const oneReal = { ...withCuts, failed: 4 };
    expect(renderDashboard(metrics, oneReal, true).join("\n")).toContain("\x1b[31m1 failed");
    const summary = renderSummary(
      {
        offered: 10,
        succeeded: 7,
        failed: 3,
        failuresByCode: { STREAM_INTERRUPTED: 3 },
        expectedFailures: 3,
        callerRateLimited: 0,
        p50Ms: 1,
        p99Ms: 2,
        endpoints: [],
      },
      false,
    ).join("\n");
    expect(summary).toContain("expected: 3 streams cut when ptu-east went down mid-answer");
    for (const line of summary.split("\n"))
      expect([...line].length, line).toBeLessThanOrEqual(DASHBOARD_WIDTH);
    expect(summary).toContain("unexpected failures: 0");
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
    // The stream cuts the outage causes are the expected ones, and the summary counts them so.
    expect(summary.expectedFailures).toBe(summary.failuresByCode.STREAM_INTERRUPTED ?? 0);
    // The summary's per-endpoint counts are the dashboard's last ones (both read the router).
    for (const e of summary.endpoints) {
      const rows = [
        ...output.matchAll(new RegExp(`  ${e.name} state=.* ok=(\\d+) 429=(\\d+) err=(\\d+)`, "g")),
      ];
      const last = rows.at(-1);
      expect(last, e.name).toBeDefined();
      expect([Number(last![1]), Number(last![2]), Number(last![3])]).toEqual([e.ok, e.rateLimited, e.errors]);
    }
  }, 30_000);
});
