import { describe, expect, it } from "vitest";
import { createLeastLatency } from "../../src/strategies/least-latency.js";
import type { LaneSnapshot } from "../../src/strategies/types.js";
import { context, lanes, request, tally } from "./snapshot.js";

/** An interval large enough that exploration never kicks in during a short test. */
const noExploration = { explorationInterval: 1_000_000 };

describe("createLeastLatency", () => {
  it("picks the fastest lane on the chat figure (ms per token)", () => {
    const pick = createLeastLatency(noExploration);
    const ctx = context();
    const candidates = lanes(
      ["a", { msPerToken: 30, latencyMs: 100 }],
      ["b", { msPerToken: 20, latencyMs: 900 }],
      ["c", { msPerToken: 25, latencyMs: 50 }],
    );
    const picks = Array.from({ length: 50 }, () => pick(candidates, request(), ctx));
    expect(tally(picks)).toEqual({ b: 50 });
  });

  it("compares the figure matching the request kind", () => {
    const candidates = lanes(
      ["a", { msPerToken: 10, ttftMs: 900, latencyMs: 500 }],
      ["b", { msPerToken: 50, ttftMs: 100, latencyMs: 800 }],
      ["c", { msPerToken: 40, ttftMs: 300, latencyMs: 200 }],
    );
    const ctx = context();
    expect(createLeastLatency(noExploration)(candidates, request({ kind: "chat" }), ctx)).toBe("a");
    expect(createLeastLatency(noExploration)(candidates, request({ kind: "stream" }), ctx)).toBe("b");
    expect(createLeastLatency(noExploration)(candidates, request({ kind: "embeddings" }), ctx)).toBe("c");
  });

  it("falls back to whole-request latency for chat when no candidate has a per-token figure", () => {
    const candidates = lanes(["a", { latencyMs: 400 }], ["b", { latencyMs: 300 }]);
    expect(createLeastLatency(noExploration)(candidates, request(), context())).toBe("b");
  });

  it("explores a lane with no sample for the figure first", () => {
    const pick = createLeastLatency(noExploration);
    const ctx = context();
    const candidates = lanes(["a", { ttftMs: 50 }], ["b", { ttftMs: 80 }], "c");
    expect(pick(candidates, request({ kind: "stream" }), ctx)).toBe("c");
    // With a sample, c competes normally.
    const sampled = lanes(["a", { ttftMs: 50 }], ["b", { ttftMs: 80 }], ["c", { ttftMs: 200 }]);
    expect(pick(sampled, request({ kind: "stream" }), ctx)).toBe("a");
  });

  it("spreads a burst over several unsampled lanes instead of piling onto one", () => {
    const pick = createLeastLatency(noExploration);
    const ctx = context(5);
    const candidates = lanes("a", "b", "c");
    const picks = Array.from({ length: 9 }, () => pick(candidates, request(), ctx));
    expect(tally(picks)).toEqual({ a: 3, b: 3, c: 3 });
  });

  it("picks every lane at least once in any explorationInterval consecutive selections", () => {
    const interval = 20;
    const pick = createLeastLatency({ explorationInterval: interval });
    const ctx = context();
    // As in a real start: no samples yet, so each lane is explored once, then the samples arrive.
    const fresh = lanes("a", "b", "c");
    const candidates = lanes(["a", { msPerToken: 10 }], ["b", { msPerToken: 40 }], ["c", { msPerToken: 90 }]);
    const picks = Array.from({ length: 400 }, (_, i) => pick(i < 3 ? fresh : candidates, request(), ctx));
    for (let start = 0; start + interval <= picks.length; start++) {
      const window = new Set(picks.slice(start, start + interval));
      expect(window, `window starting at ${start}`).toEqual(new Set(["a", "b", "c"]));
    }
    // The slow lanes get exactly their exploration share, the fast one the rest.
    expect(tally(picks)).toEqual({ a: 360, b: 20, c: 20 });
  });

  it("shifts traffic to the other lane when the fast one's figure gets worse", () => {
    const pick = createLeastLatency(noExploration);
    const ctx = context();
    const before = lanes(["a", { ttftMs: 100 }], ["b", { ttftMs: 300 }]);
    expect(tally(Array.from({ length: 10 }, () => pick(before, request({ kind: "stream" }), ctx)))).toEqual({
      a: 10,
    });
    // a starts throttling: its penalty samples push its figure up.
    const after = lanes(["a", { ttftMs: 900 }], ["b", { ttftMs: 300 }]);
    expect(tally(Array.from({ length: 10 }, () => pick(after, request({ kind: "stream" }), ctx)))).toEqual({
      b: 10,
    });
  });

  it("wins traffic back for a recovered lane within explorationInterval selections", () => {
    const pick = createLeastLatency({ explorationInterval: 10 });
    const ctx = context();
    let b: Partial<LaneSnapshot> = { msPerToken: 500 };
    const picks: string[] = [];
    for (let i = 0; i < 40; i++) {
      // b recovers after selection 20, but only its next (exploration) sample can show it.
      const candidates = lanes(["a", { msPerToken: 50 }], ["b", b]);
      const chosen = pick(candidates, request(), ctx)!;
      picks.push(chosen);
      if (i >= 20 && chosen === "b") b = { msPerToken: 20 };
    }
    const firstFast = picks.indexOf("b", 21);
    expect(firstFast).toBeGreaterThan(20);
    expect(firstFast).toBeLessThanOrEqual(30);
    expect(picks.slice(firstFast + 1).every((id) => id === "b" || id === "a")).toBe(true);
    expect(tally(picks.slice(firstFast + 1)).b).toBeGreaterThanOrEqual(picks.length - firstFast - 2);
  });

  it("probes a lane as soon as it returns from a long absence", () => {
    const pick = createLeastLatency({ explorationInterval: 20 });
    const ctx = context();
    const all = lanes(["a", { msPerToken: 10 }], ["b", { msPerToken: 50 }]);
    pick(all, request(), ctx);
    for (let i = 0; i < 100; i++) pick([all[0]!], request(), ctx); // b cooling down
    expect(pick(all, request(), ctx)).toBe("b");
    expect(pick(all, request(), ctx)).toBe("a");
  });

  it("keeps exploration counters per model", () => {
    const pick = createLeastLatency({ explorationInterval: 5 });
    const ctx = context();
    const candidates = lanes(["a", { msPerToken: 10 }], ["b", { msPerToken: 50 }]);
    const mini = request({ model: "gpt-4o-mini" });
    for (let i = 0; i < 3; i++) expect(pick(candidates, request(), ctx)).toBe("a");
    // Selections for another model do not count towards gpt-4o's exploration: b is due at
    // gpt-4o's fifth selection, not earlier.
    for (let i = 0; i < 3; i++) expect(pick(candidates, mini, ctx)).toBe("a");
    expect(pick(candidates, request(), ctx)).toBe("a");
    expect(pick(candidates, request(), ctx)).toBe("b");
    expect(pick(candidates, mini, ctx)).toBe("a");
    expect(pick(candidates, mini, ctx)).toBe("b");
  });

  it("breaks near-ties within tieTolerance at random, and only those", () => {
    const pick = createLeastLatency(noExploration);
    const ctx = context(11);
    const candidates = lanes(["a", { latencyMs: 100 }], ["b", { latencyMs: 104 }], ["c", { latencyMs: 106 }]);
    const counts = tally(
      Array.from({ length: 200 }, () => pick(candidates, request({ kind: "embeddings" }), ctx)),
    );
    expect(counts.c).toBeUndefined();
    expect(counts.a).toBeGreaterThan(60);
    expect(counts.b).toBeGreaterThan(60);
    const strict = createLeastLatency({ ...noExploration, tieTolerance: 0 });
    expect(strict(candidates, request({ kind: "embeddings" }), ctx)).toBe("a");
  });

  it("rejects invalid options, naming them", () => {
    expect(() => createLeastLatency({ explorationInterval: 0 })).toThrow(/explorationInterval/);
    expect(() => createLeastLatency({ explorationInterval: 2.5 })).toThrow(RangeError);
    expect(() => createLeastLatency({ tieTolerance: -0.1 })).toThrow(/tieTolerance/);
  });
});
