import { describe, expect, it } from "vitest";
import { ExpiringMap } from "../../src/affinity/expiring-map.js";

describe("ExpiringMap", () => {
  // Breaks if entries outlive their TTL (a stale owner would pin requests to a forgotten endpoint).
  it("forgets an entry once its TTL has passed", () => {
    const map = new ExpiringMap<string>(10, 1_000);
    map.set("resp_1", "east", 0);
    expect(map.get("resp_1", 999)).toBe("east");
    expect(map.get("resp_1", 1_000)).toBeUndefined();
    expect(map.size).toBe(0);
  });

  // Breaks if the map grows without bound or evicts the most recently used key first.
  it("evicts the oldest entry at its bound, and a set refreshes a key's place and TTL", () => {
    const map = new ExpiringMap<number>(2, 1_000);
    map.set("a", 1, 0);
    map.set("b", 2, 0);
    map.set("a", 3, 500); // a is now the newest
    map.set("c", 4, 600); // b goes
    expect(map.get("b", 600)).toBeUndefined();
    expect(map.get("a", 1_400)).toBe(3);
    expect(map.get("c", 600)).toBe(4);
    expect(map.size).toBe(2);
  });

  // Breaks if nonsense bounds are accepted silently.
  it("rejects a non-positive size or TTL", () => {
    expect(() => new ExpiringMap(0, 1)).toThrow(RangeError);
    expect(() => new ExpiringMap(1, 0)).toThrow(RangeError);
  });
});
