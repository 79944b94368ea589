import { describe, expect, it } from "vitest";
import { INSTANT, LatencyModel, type Timing, totalDelayMs } from "../../src/sim/latency.js";
import { deriveSeed, mulberry32 } from "../../src/sim/prng.js";

/** The model as the server builds it: its jitter stream seeded from (fleet seed, endpoint name). */
function model(config: ConstructorParameters<typeof LatencyModel>[0], seed = 7): LatencyModel {
  return new LatencyModel(config, mulberry32(deriveSeed(seed, "east", "latency")));
}

function samples(m: LatencyModel, n: number): Timing[] {
  return Array.from({ length: n }, () => m.sample(1, 0));
}

describe("LatencyModel", () => {
  it("is instant by default, without drawing jitter", () => {
    expect(model(undefined).sample(1, 0)).toBe(INSTANT);
    expect(model({ jitter: 0.5 }).sample(3, 0)).toBe(INSTANT);
  });

  it("without jitter: ttft as configured, per-token time 1000 / tokensPerSecond", () => {
    expect(model({ ttftMs: 300, tokensPerSecond: 50 }).sample(1, 0)).toEqual({
      startMs: 0,
      ttftMs: 300,
      perTokenMs: 20,
    });
  });

  it("jitters ttft and per-token time within ±jitter of nominal, by one factor per request", () => {
    const timings = samples(model({ ttftMs: 100, tokensPerSecond: 50, jitter: 0.2 }), 2_000);
    for (const t of timings) {
      expect(t.ttftMs).toBeGreaterThanOrEqual(80);
      expect(t.ttftMs).toBeLessThanOrEqual(120);
      expect(t.perTokenMs).toBeGreaterThanOrEqual(16);
      expect(t.perTokenMs).toBeLessThanOrEqual(24);
      // One draw scales both: a busy backend is slow to start and slow to stream.
      expect(t.ttftMs / t.perTokenMs).toBeCloseTo(5, 9);
    }
    // The draws use the range rather than sitting at the nominal value.
    const ttfts = timings.map((t) => t.ttftMs);
    expect(Math.min(...ttfts)).toBeLessThan(82);
    expect(Math.max(...ttfts)).toBeGreaterThan(118);
  });

  it("draws the same jitter under the same seed and different jitter under another", () => {
    const config = { ttftMs: 250, tokensPerSecond: 80, jitter: 0.3 };
    const a = samples(model(config, 1), 50);
    expect(samples(model(config, 1), 50)).toEqual(a);
    const b = samples(model(config, 2), 50);
    expect(b).not.toEqual(a);
    expect(b.filter((t, i) => t.ttftMs === a[i]!.ttftMs)).toHaveLength(0);
  });

  it("applies slowFactor to ttft and per-token time, and slowStartMs before the headers only", () => {
    expect(model({ ttftMs: 20, tokensPerSecond: 1000 }).sample(5, 120)).toEqual({
      startMs: 120,
      ttftMs: 100,
      perTokenMs: 5,
    });
    expect(model(undefined).sample(1, 50)).toEqual({ startMs: 50, ttftMs: 0, perTokenMs: 0 });
  });
});

describe("totalDelayMs (non-streamed replies)", () => {
  it("is ttft + tokens / tokensPerSecond (plus any slow start)", () => {
    const t = model({ ttftMs: 300, tokensPerSecond: 60 }).sample(1, 0);
    expect(totalDelayMs(t, 30)).toBeCloseTo(300 + (30 / 60) * 1000, 9);
    expect(totalDelayMs(t, 0)).toBe(300);
    expect(totalDelayMs(model({ ttftMs: 300, tokensPerSecond: 60 }).sample(2, 40), 30)).toBeCloseTo(
      40 + 2 * 800,
      9,
    );
    expect(totalDelayMs(INSTANT, 1_000)).toBe(0);
  });

  it("uses the request's own jittered timing", () => {
    const m = model({ ttftMs: 100, tokensPerSecond: 100, jitter: 0.5 });
    for (const t of samples(m, 100)) {
      const total = totalDelayMs(t, 10);
      expect(total).toBeCloseTo(t.ttftMs + 10 * t.perTokenMs, 9);
      expect(total).toBeGreaterThanOrEqual(0.5 * 200);
      expect(total).toBeLessThanOrEqual(1.5 * 200);
    }
  });
});
