import { describe, expect, it } from "vitest";
import { createRoundRobin } from "../../src/strategies/round-robin.js";
import { context, lanes, request, tally } from "./snapshot.js";

describe("createRoundRobin", () => {
  const all = lanes("a", "b", "c");

  it("rotates over the lanes in index order", () => {
    const rr = createRoundRobin();
    const ctx = context();
    const picks = Array.from({ length: 7 }, () => rr(all, request(), ctx));
    expect(picks).toEqual(["a", "b", "c", "a", "b", "c", "a"]);
  });

  it("keeps one rotation per model", () => {
    const rr = createRoundRobin();
    const ctx = context();
    const gpt4o = request({ model: "gpt-4o" });
    const mini = request({ model: "gpt-4o-mini" });
    // Interleaving models must not skew either rotation (the original shared one counter).
    const picks = [
      rr(all, gpt4o, ctx),
      rr(all, mini, ctx),
      rr(all, gpt4o, ctx),
      rr(all, mini, ctx),
      rr(all, gpt4o, ctx),
      rr(all, gpt4o, ctx),
      rr(all, mini, ctx),
    ];
    expect(picks).toEqual(["a", "a", "b", "b", "c", "a", "c"]);
  });

  it("skips lanes that are not candidates and resumes after the last pick", () => {
    const rr = createRoundRobin();
    const ctx = context();
    const [a, b, c] = all as [(typeof all)[0], (typeof all)[0], (typeof all)[0]];
    expect(rr(all, request(), ctx)).toBe("a");
    expect(rr([a, c], request(), ctx)).toBe("c"); // b cannot admit: skipped
    expect(rr(all, request(), ctx)).toBe("a"); // wraps after c
    expect(rr(all, request(), ctx)).toBe("b"); // b is back in its turn
    expect(rr([a], request(), ctx)).toBe("a");
    expect(rr([b, c], request(), ctx)).toBe("b");
  });

  it("follows lane index, not array order", () => {
    const rr = createRoundRobin();
    const ctx = context();
    const shuffled = [all[2]!, all[0]!, all[1]!];
    const picks = Array.from({ length: 4 }, () => rr(shuffled, request(), ctx));
    expect(picks).toEqual(["a", "b", "c", "a"]);
  });

  it("is exactly fair over many picks, also while a lane comes and goes", () => {
    const rr = createRoundRobin();
    const ctx = context();
    expect(tally(Array.from({ length: 300 }, () => rr(all, request(), ctx)))).toEqual({
      a: 100,
      b: 100,
      c: 100,
    });

    // b cannot admit for a stretch: a and c share its traffic evenly, and once b is back the
    // rotation is even again (no burst of catch-up picks for b, no lasting skew).
    const rr2 = createRoundRobin();
    const withoutB = [all[0]!, all[2]!];
    const away = Array.from({ length: 100 }, () => rr2(withoutB, request(), ctx));
    expect(tally(away)).toEqual({ a: 50, c: 50 });
    const back = Array.from({ length: 99 }, () => rr2(all, request(), ctx));
    expect(tally(back)).toEqual({ a: 33, b: 33, c: 33 });
  });
});
