import { describe, expect, it } from "vitest";
import { Ewma } from "../../src/metrics/ewma.js";

describe("Ewma", () => {
  it("is undefined until the first sample, which sets the value", () => {
    const e = new Ewma({ halfLifeMs: 1_000 });
    expect(e.value).toBeUndefined();
    expect(e.samples).toBe(0);
    e.update(250, 10_000);
    expect(e.value).toBe(250);
    expect(e.samples).toBe(1);
  });

  it("moves half-way after one half-life", () => {
    const e = new Ewma({ halfLifeMs: 1_000 });
    e.update(100, 0);
    e.update(300, 1_000);
    expect(e.value).toBeCloseTo(200);
  });

  it("lets old evidence decay with time: after many half-lives a new sample dominates", () => {
    const e = new Ewma({ halfLifeMs: 1_000 });
    e.update(100, 0);
    e.update(1_000, 10_000); // alpha = 1 - 2^-10
    expect(e.value).toBeCloseTo(1_000 - 900 / 1024, 6);
  });

  it("gives back-to-back samples at least minAlpha, so a burst still moves the figure", () => {
    const e = new Ewma({ halfLifeMs: 60_000 });
    e.update(100, 0);
    e.update(600, 0); // dt = 0 → alpha = 0.2
    expect(e.value).toBeCloseTo(200);
    for (let i = 0; i < 10; i++) e.update(600, 0);
    // The gap to 600 started at 500 and shrank by 0.8 per sample.
    expect(e.value).toBeCloseTo(600 - 500 * 0.8 ** 11, 6);
  });

  it("honours a custom minAlpha", () => {
    const e = new Ewma({ halfLifeMs: 60_000, minAlpha: 0.5 });
    e.update(0, 5);
    e.update(100, 5);
    expect(e.value).toBeCloseTo(50);
    const none = new Ewma({ halfLifeMs: 1_000, minAlpha: 0 });
    none.update(10, 5);
    none.update(1_000, 5);
    expect(none.value).toBe(10);
  });

  it("uses the larger of minAlpha and the time-based weight", () => {
    const e = new Ewma({ halfLifeMs: 1_000 });
    e.update(0, 0);
    e.update(100, 100); // 1 - 2^-0.1 ≈ 0.067 < 0.2
    expect(e.value).toBeCloseTo(20);
    e.update(20 + 1_000, 2_100); // 2 half-lives → 0.75
    expect(e.value).toBeCloseTo(20 + 0.75 * 1_000);
  });

  it("treats a clock stepping backwards as no time passing, and ignores non-finite samples", () => {
    const e = new Ewma({ halfLifeMs: 1_000 });
    e.update(100, 5_000);
    e.update(200, 4_000);
    expect(e.value).toBeCloseTo(120);
    e.update(Number.NaN, 6_000);
    e.update(Number.POSITIVE_INFINITY, 6_000);
    expect(e.value).toBeCloseTo(120);
    expect(e.samples).toBe(2);
    // The last update time stayed at 5_000, so one half-life later the weight is 0.5.
    e.update(220, 6_000);
    expect(e.value).toBeCloseTo(170);
  });

  it("rejects bad options, naming them", () => {
    expect(() => new Ewma({ halfLifeMs: 0 })).toThrow(/halfLifeMs/);
    expect(() => new Ewma({ halfLifeMs: Number.NaN })).toThrow(RangeError);
    expect(() => new Ewma({ halfLifeMs: 10, minAlpha: 1.5 })).toThrow(/minAlpha/);
  });
});
