import { describe, expect, it } from "vitest";
import { createStrategy, isStrategyName, strategyNames } from "../../src/strategies/index.js";
import type { StrategyName } from "../../src/strategies/types.js";
import { context, lanes, request } from "./snapshot.js";

describe("createStrategy", () => {
  it("lists every built-in strategy", () => {
    expect([...strategyNames]).toEqual([
      "round-robin",
      "least-busy",
      "least-latency",
      "usage-based",
      "weighted",
      "priority",
    ]);
    expect(isStrategyName("weighted")).toBe(true);
    expect(isStrategyName("random")).toBe(false);
  });

  it.each([...strategyNames])("%s returns one of the candidates", (name) => {
    const strategy = createStrategy(name);
    const candidates = lanes("a", "b");
    expect(["a", "b"]).toContain(strategy(candidates, request(), context()));
  });

  it("returns a fresh instance each time (no shared rotation)", () => {
    const candidates = lanes("a", "b", "c");
    const first = createStrategy("round-robin");
    first(candidates, request(), context());
    const second = createStrategy("round-robin");
    expect(second(candidates, request(), context())).toBe("a");
    expect(first(candidates, request(), context())).toBe("b");
  });

  it("passes options through, including `within` by name", () => {
    expect(() => createStrategy("least-latency", { explorationInterval: 0 })).toThrow(/explorationInterval/);
    const priority = createStrategy("priority", { within: "round-robin" });
    const candidates = lanes(["a", { priority: 1 }], ["b", { priority: 1 }], ["c", { priority: 2 }]);
    const ctx = context();
    expect([priority(candidates, request(), ctx), priority(candidates, request(), ctx)]).toEqual(["a", "b"]);
  });

  it("rejects unknown names and a recursive `within`", () => {
    expect(() => createStrategy("random" as StrategyName)).toThrow(RangeError);
    expect(() => createStrategy("priority", { within: "priority" as "round-robin" })).toThrow(/within/);
  });
});
