import { describe, expect, it } from "vitest";
import { PriorityWaitQueue, type Queued } from "../../src/dispatch/wait-queue.js";

interface Item extends Queued {
  readonly id: string;
}

/** Builds items with increasing `seq`, like the dispatcher does. */
function factory() {
  let seq = 0;
  return (id: string, priority: number, enqueuedAt = 0): Item => ({ id, priority, seq: seq++, enqueuedAt });
}

/** Shifts everything at `now` and returns the ids in service order. */
function drain(q: PriorityWaitQueue<Item>, now = 0): string[] {
  const out: string[] = [];
  for (let item = q.shift(now); item; item = q.shift(now)) out.push(item.id);
  return out;
}

/** Shifts everything at `now` and returns the items in service order. */
function drainItems(q: PriorityWaitQueue<Item>, now = 0): Item[] {
  const out: Item[] = [];
  for (let item = q.shift(now); item; item = q.shift(now)) out.push(item);
  return out;
}

/** The backing storage of one priority level (internal; inspected only to check memory behaviour). */
function backing(
  q: PriorityWaitQueue<Item>,
  priority: number,
): { items: unknown[]; head: number } | undefined {
  const levels = (q as unknown as { levels: Map<number, { items: unknown[]; head: number }> }).levels;
  return levels.get(priority);
}

describe("PriorityWaitQueue", () => {
  it("is empty at first", () => {
    const q = new PriorityWaitQueue<Item>(10_000);
    expect(q.size).toBe(0);
    expect(q.peek(0)).toBeUndefined();
    expect(q.shift(0)).toBeUndefined();
    expect(q.sizes()).toEqual({});
  });

  it("serves lower priority values first", () => {
    const make = factory();
    const q = new PriorityWaitQueue<Item>(10_000);
    q.push(make("p2", 2));
    q.push(make("p0", 0));
    q.push(make("p1", 1));
    q.push(make("neg", -1));
    expect(q.size).toBe(4);
    expect(drain(q)).toEqual(["neg", "p0", "p1", "p2"]);
    expect(q.size).toBe(0);
  });

  it("keeps FIFO order within a priority", () => {
    const make = factory();
    const q = new PriorityWaitQueue<Item>(10_000);
    for (const id of ["a", "b", "c"]) q.push(make(id, 1));
    q.push(make("x", 0));
    for (const id of ["d", "e"]) q.push(make(id, 1));
    expect(drain(q)).toEqual(["x", "a", "b", "c", "d", "e"]);
  });

  it("peek returns what shift returns, without removing it", () => {
    const make = factory();
    const q = new PriorityWaitQueue<Item>(10_000);
    const a = make("a", 1);
    const b = make("b", 0);
    q.push(a);
    q.push(b);
    expect(q.peek(0)).toBe(b);
    expect(q.peek(0)).toBe(b);
    expect(q.size).toBe(2);
    expect(q.shift(0)).toBe(b);
    expect(q.peek(0)).toBe(a);
    expect(q.shift(0)).toBe(a);
  });

  describe("aging", () => {
    // agingMs = 1000: waiting 1 s counts as one priority level more urgent.
    it("does not let a low-priority item overtake before it has waited enough", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(1_000);
      q.push(make("old-low", 2, 0));
      q.push(make("new-high", 0, 1_999));
      // old-low: 2 - 1999/1000 = 0.001 > new-high: 0
      expect(q.peek(1_999)?.id).toBe("new-high");
    });

    it("lets an old low-priority item overtake a new high-priority one", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(1_000);
      q.push(make("old-low", 2, 0));
      q.push(make("new-high", 0, 2_500));
      // old-low: 2 - 2.5 = -0.5 < new-high: 0
      expect(q.peek(2_500)?.id).toBe("old-low");
      expect(drain(q, 2_500)).toEqual(["old-low", "new-high"]);
    });

    it("breaks an exact tie of effective priority by arrival order", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(1_000);
      q.push(make("old-low", 2, 0));
      q.push(make("new-high", 0, 2_000));
      // both score 0 at t=2000: the earlier arrival wins
      expect(q.peek(2_000)?.id).toBe("old-low");
    });

    it("depends on the time passed to peek/shift, not on the time of push", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(1_000);
      q.push(make("low", 3, 0));
      q.push(make("high", 0, 0));
      // Both age at the same pace: the high one stays ahead however long they wait.
      expect(q.peek(0)?.id).toBe("high");
      expect(q.peek(1_000_000)?.id).toBe("high");
      q.push(make("fresh-high", 0, 1_000_000));
      // low waited 1000 s (score 3 - 1000), fresh-high waited nothing (score 0)
      expect(drain(q, 1_000_000)).toEqual(["high", "low", "fresh-high"]);
    });

    it("never reorders items of the same priority", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(1);
      q.push(make("a", 5, 0));
      q.push(make("b", 5, 100));
      q.push(make("c", 5, 200));
      expect(drain(q, 10_000)).toEqual(["a", "b", "c"]);
    });
  });

  describe("remove", () => {
    it("removes a waiting item and keeps size exact", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const items = ["a", "b", "c", "d"].map((id) => make(id, 0));
      for (const item of items) q.push(item);
      expect(q.remove(items[1]!)).toBe(true);
      expect(q.size).toBe(3);
      expect(q.remove(items[1]!)).toBe(false); // already removed
      expect(q.size).toBe(3);
      expect(drain(q)).toEqual(["a", "c", "d"]);
      expect(q.size).toBe(0);
    });

    it("returns false for an item never pushed or already shifted", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const a = make("a", 0);
      expect(q.remove(a)).toBe(false);
      q.push(a);
      expect(q.shift(0)).toBe(a);
      expect(q.remove(a)).toBe(false);
      expect(q.size).toBe(0);
    });

    it("skips removed items at the head lazily (peek and shift never return them)", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const a = make("a", 0);
      const b = make("b", 0);
      const c = make("c", 1);
      q.push(a);
      q.push(b);
      q.push(c);
      q.remove(a);
      q.remove(b);
      expect(q.peek(0)).toBe(c);
      expect(q.shift(0)).toBe(c);
      expect(q.peek(0)).toBeUndefined();
      expect(q.size).toBe(0);
    });

    it("is O(1): it does not search or splice the level (removed slots stay until skipped)", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const items = Array.from({ length: 10 }, (_, i) => make(`i${i}`, 0));
      for (const item of items) q.push(item);
      const before = backing(q, 0)!.items.length;
      q.remove(items[5]!);
      q.remove(items[7]!);
      expect(backing(q, 0)!.items.length).toBe(before);
      expect(backing(q, 0)!.items[5]).toBe(items[5]); // a tombstone, skipped later
      expect(q.size).toBe(8);
      expect(drain(q)).toEqual(["i0", "i1", "i2", "i3", "i4", "i6", "i8", "i9"]);
    });

    it("keeps size exact over an interleaving of push, shift and remove", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const waiting = new Set<Item>();
      const all: Item[] = [];
      // A fixed pseudo-random sequence (LCG) keeps the test deterministic.
      let state = 42;
      const next = () => {
        state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
        return state / 2_147_483_648;
      };
      for (let step = 0; step < 3_000; step++) {
        const r = next();
        if (r < 0.5) {
          const item = make(`s${step}`, Math.floor(next() * 4));
          q.push(item);
          waiting.add(item);
          all.push(item);
        } else if (r < 0.75) {
          const item = q.shift(step);
          if (item) {
            expect(waiting.has(item)).toBe(true);
            waiting.delete(item);
          }
        } else if (all.length > 0) {
          const item = all[Math.floor(next() * all.length)]!;
          expect(q.remove(item)).toBe(waiting.delete(item));
        }
        expect(q.size).toBe(waiting.size);
      }
      const sizes = q.sizes();
      const total = Object.values(sizes).reduce((a, b) => a + b, 0);
      expect(total).toBe(waiting.size);
      const rest = new Set<Item>();
      for (let item = q.shift(3_000); item; item = q.shift(3_000)) rest.add(item);
      expect(rest).toEqual(waiting);
    });

    it("serves an item pushed again after it was removed", () => {
      // e.g. a job taken out of its model's queue and sent back to it by a fallback chain
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const a = make("a", 0);
      const b = make("b", 0);
      q.push(a);
      q.push(b);
      expect(q.remove(a)).toBe(true);
      q.push(a);
      expect(q.size).toBe(2);
      expect(drain(q)).toEqual(["a", "b"]); // once, at its arrival place
      expect(q.size).toBe(0);
      expect(q.remove(a)).toBe(false);
    });

    it("serves an item pushed again after its level was emptied by removal", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const a = make("a", 0);
      q.push(a);
      q.remove(a);
      expect(q.peek(0)).toBeUndefined();
      q.push(a);
      expect(q.size).toBe(1);
      expect(q.shift(0)).toBe(a);
      expect(q.shift(0)).toBeUndefined();
    });

    it("an item pushed again after shift is served again", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const a = make("a", 0);
      q.push(a);
      expect(q.shift(0)).toBe(a);
      q.push(a);
      expect(q.size).toBe(1);
      expect(q.shift(0)).toBe(a);
    });

    it("does not retain removed items once their level is empty", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const items = Array.from({ length: 100 }, (_, i) => make(`i${i}`, 7));
      for (const item of items) q.push(item);
      for (const item of items) q.remove(item);
      expect(q.size).toBe(0);
      expect(backing(q, 7)).toBeUndefined(); // the emptied level is dropped with its tombstones
    });

    it("does not retain removed items behind the last shifted one", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const a = make("a", 0);
      const b = make("b", 0);
      q.push(a);
      q.push(b);
      q.remove(b);
      expect(q.shift(0)).toBe(a);
      expect(backing(q, 0)).toBeUndefined();
    });
  });

  describe("retries keep their turn", () => {
    it("an item pushed again after shift goes back to its arrival place, not behind later arrivals", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const first = make("first", 0);
      q.push(first);
      expect(q.shift(0)).toBe(first); // dispatched, then its attempt failed
      for (const id of ["later0", "later1", "later2"]) q.push(make(id, 0));
      q.push(first); // requeued for a retry
      expect(drain(q)).toEqual(["first", "later0", "later1", "later2"]);
    });

    it("keeps arrival order when several old items come back in any order", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const old = ["o0", "o1", "o2"].map((id) => make(id, 0));
      for (const id of ["n0", "n1"]) q.push(make(id, 0));
      q.push(old[2]!);
      q.push(old[0]!);
      q.push(old[1]!);
      expect(drain(q)).toEqual(["o0", "o1", "o2", "n0", "n1"]);
    });

    it("finds the place past removed items", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const early = make("early", 0);
      const items = ["a", "b", "c"].map((id) => make(id, 0));
      for (const item of items) q.push(item);
      q.remove(items[0]!);
      q.push(early);
      expect(drain(q)).toEqual(["early", "b", "c"]);
    });
  });

  describe("upcoming", () => {
    it("lists waiting items in service order across levels, with aging, up to the limit", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(1_000);
      q.push(make("low-old", 2, 0));
      q.push(make("high", 0, 1_500));
      q.push(make("mid", 1, 1_500));
      const removed = make("gone", 0, 1_500);
      q.push(removed);
      q.remove(removed);
      q.push(make("high2", 0, 1_600));
      // at 2,000: low-old 2-2 = 0; high 0-0.5 = -0.5; mid 0.5; high2 -0.4
      expect(q.upcoming(2_000, 10).map((i) => i.id)).toEqual(["high", "high2", "low-old", "mid"]);
      expect(q.upcoming(2_000, 2).map((i) => i.id)).toEqual(["high", "high2"]);
      expect(q.size).toBe(4); // look-ahead removes nothing
      expect(q.upcoming(2_000, 10)).toEqual(drainItems(q, 2_000));
    });
  });

  it("leaves no trail of empty levels behind arbitrary priorities", () => {
    const make = factory();
    const q = new PriorityWaitQueue<Item>(10_000);
    for (let i = 0; i < 1_000; i++) {
      const item = make(`i${i}`, i * 0.37);
      q.push(item);
      if (i % 2 === 0) q.remove(item);
      else q.shift(0);
    }
    expect(q.size).toBe(0);
    const levels = (q as unknown as { levels: Map<number, unknown> }).levels;
    expect(levels.size).toBe(0);
  });

  it("sizes() counts waiting items per priority and omits empty levels", () => {
    const make = factory();
    const q = new PriorityWaitQueue<Item>(10_000);
    const a = make("a", 0);
    q.push(a);
    q.push(make("b", 0));
    q.push(make("c", 3));
    const d = make("d", -2);
    q.push(d);
    expect(q.sizes()).toEqual({ "0": 2, "3": 1, "-2": 1 });
    q.remove(d);
    expect(q.sizes()).toEqual({ "0": 2, "3": 1 });
    q.shift(0);
    expect(q.sizes()).toEqual({ "0": 1, "3": 1 });
    drain(q);
    expect(q.sizes()).toEqual({});
  });

  describe("compaction", () => {
    it("keeps order over 5,000 pushes then 5,000 shifts", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      for (let i = 0; i < 5_000; i++) q.push(make(`i${i}`, i % 2));
      expect(q.size).toBe(5_000);
      const out = drain(q);
      expect(out).toHaveLength(5_000);
      const evens = Array.from({ length: 2_500 }, (_, k) => `i${2 * k}`);
      const odds = Array.from({ length: 2_500 }, (_, k) => `i${2 * k + 1}`);
      expect(out).toEqual([...evens, ...odds]);
      expect(q.size).toBe(0);
    });

    it("bounds the backing array while a level never empties (shift-heavy traffic)", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      for (let i = 0; i < 10; i++) q.push(make(`pre${i}`, 0));
      let shifted = 0;
      let maxLength = 0;
      for (let i = 0; i < 5_000; i++) {
        q.push(make(`i${i}`, 0));
        const item = q.shift(0);
        expect(item).toBeDefined();
        shifted += 1;
        maxLength = Math.max(maxLength, backing(q, 0)!.items.length);
      }
      expect(shifted).toBe(5_000);
      expect(q.size).toBe(10);
      // Compaction kicks in once the consumed prefix passes 1024 slots and half the array.
      expect(maxLength).toBeLessThanOrEqual(2 * 1_025 + 10);
      const level = backing(q, 0)!;
      expect(level.items.length - level.head).toBe(10);
      expect(drain(q)).toEqual(Array.from({ length: 10 }, (_, k) => `i${4_990 + k}`));
    });

    it("keeps FIFO order across compactions with removals in between", () => {
      const make = factory();
      const q = new PriorityWaitQueue<Item>(10_000);
      const expected: string[] = [];
      const items: Item[] = [];
      for (let i = 0; i < 5_000; i++) {
        const item = make(`i${i}`, 0);
        items.push(item);
        q.push(item);
      }
      for (let i = 0; i < 5_000; i++) {
        if (i % 3 === 0) q.remove(items[i]!);
        else expected.push(`i${i}`);
      }
      const out: string[] = [];
      for (let i = 0; i < 2_000; i++) out.push(q.shift(0)!.id);
      // push more while the prefix is being compacted
      for (let i = 5_000; i < 6_000; i++) {
        q.push(make(`i${i}`, 0));
        expected.push(`i${i}`);
      }
      out.push(...drain(q));
      expect(out).toEqual(expected);
      expect(q.size).toBe(0);
    });
  });
});
