import { describe, expect, it } from "vitest";
import { createWeighted } from "../../src/strategies/weighted.js";
import { context, lanes, request, tally } from "./snapshot.js";

describe("createWeighted", () => {
  const abc = lanes(["a", { weight: 5 }], ["b", { weight: 1 }], ["c", { weight: 1 }]);

  it("follows nginx's smooth sequence for weights 5, 1, 1", () => {
    const pick = createWeighted();
    const ctx = context();
    const picks = Array.from({ length: 14 }, () => pick(abc, request(), ctx));
    expect(picks.join(" ")).toBe("a a b a c a a a a b a c a a");
  });

  it("is exactly proportional over many picks", () => {
    const pick = createWeighted();
    const ctx = context();
    const candidates = lanes(["a", { weight: 3 }], ["b", { weight: 2 }], ["c", { weight: 5 }]);
    expect(tally(Array.from({ length: 1_000 }, () => pick(candidates, request(), ctx)))).toEqual({
      a: 300,
      b: 200,
      c: 500,
    });
  });

  it("keeps one state per model", () => {
    const pick = createWeighted();
    const ctx = context();
    const mini = request({ model: "gpt-4o-mini" });
    const gpt4o: string[] = [];
    const other: string[] = [];
    for (let i = 0; i < 7; i++) {
      gpt4o.push(pick(abc, request(), ctx)!);
      other.push(pick(abc, mini, ctx)!);
    }
    expect(gpt4o.join(" ")).toBe("a a b a c a a");
    expect(other.join(" ")).toBe("a a b a c a a");
  });

  it("skips lanes that are not candidates", () => {
    const pick = createWeighted();
    const ctx = context();
    const [a, b] = abc;
    const picks = Array.from({ length: 12 }, () => pick([a!, b!], request(), ctx));
    expect(tally(picks)).toEqual({ a: 10, b: 2 });
  });

  it("uses weight-0 lanes only when no positive-weight lane is a candidate", () => {
    const pick = createWeighted();
    const ctx = context();
    const candidates = lanes(["spare1", { weight: 0 }], ["main", { weight: 2 }], ["spare2", { weight: 0 }]);
    expect(tally(Array.from({ length: 10 }, () => pick(candidates, request(), ctx)))).toEqual({ main: 10 });
    const spares = [candidates[0]!, candidates[2]!];
    expect(Array.from({ length: 4 }, () => pick(spares, request(), ctx))).toEqual([
      "spare1",
      "spare2",
      "spare1",
      "spare2",
    ]);
  });
});
