import { describe, expect, it } from "vitest";
import { LatencyFigures } from "../../src/dispatch/latency-figures.js";

const options = { halfLifeMs: 10_000, minAlpha: 0.1, failurePenaltyMs: 1_000 };

describe("LatencyFigures", () => {
  it("samples a chat call as ms per output token and latency, a stream as time to first token", () => {
    const figures = new LatencyFigures(options);
    figures.sample("chat", 400, 100, undefined, 0);
    figures.sample("stream", 900, undefined, 120, 0);
    expect(figures.msPerToken).toBe(4);
    expect(figures.latencyMs).toBe(400);
    expect(figures.ttftMs).toBe(120);
  });

  it("penalizes a failure as a slow sample, at most four floors", () => {
    const figures = new LatencyFigures(options);
    for (let i = 0; i < 50; i++) figures.penalize(i * 1_000);
    expect(figures.latencyMs).toBeGreaterThan(1_000);
    expect(figures.latencyMs).toBeLessThanOrEqual(4_000);
    expect(figures.msPerToken).toBeLessThanOrEqual(40);
  });

  it("restarts from the latest success alone, forgetting the outage's penalties", () => {
    const figures = new LatencyFigures(options);
    for (let i = 0; i < 20; i++) figures.penalize(i * 1_000);
    figures.sample("chat", 200, 50, undefined, 20_000);
    expect(figures.latencyMs).toBeGreaterThan(200);
    figures.restart();
    expect(figures.latencyMs).toBe(200);
    expect(figures.msPerToken).toBe(4);
    expect(figures.ttftMs).toBeUndefined();
  });
});
