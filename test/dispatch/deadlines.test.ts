import { asyncScheduler, VirtualTimeScheduler } from "rxjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Deadlines, type WithDeadline } from "../../src/dispatch/deadlines.js";

interface Item extends WithDeadline {
  readonly id: string;
}

const item = (id: string, deadline: number): Item => ({ id, deadline, deadlineSlot: -1 });

function virtual() {
  const scheduler = new VirtualTimeScheduler();
  const due: [string, number][] = [];
  const deadlines = new Deadlines<Item>(scheduler, (i) => due.push([i.id, scheduler.now()]));
  const advanceTo = (at: number) => {
    scheduler.maxFrames = at;
    scheduler.flush();
    if (scheduler.frame < at) scheduler.frame = at;
  };
  return { scheduler, due, deadlines, advanceTo };
}

describe("Deadlines", () => {
  it("calls each item back at its deadline, earliest first, whatever the order they came in", () => {
    const { due, deadlines, advanceTo } = virtual();
    for (const [id, at] of [
      ["c", 300],
      ["a", 100],
      ["d", 300],
      ["b", 200],
    ] as const)
      deadlines.add(item(id, at));
    advanceTo(99);
    expect(due).toEqual([]);
    advanceTo(1_000);
    expect(due.slice(0, 2)).toEqual([
      ["a", 100],
      ["b", 200],
    ]);
    // Equal deadlines come in either order.
    expect(due.slice(2).sort()).toEqual([
      ["c", 300],
      ["d", 300],
    ]);
    expect(deadlines.size).toBe(0);
  });

  it("never calls back an item removed before its deadline, and keeps the others exact", () => {
    const { due, deadlines, advanceTo } = virtual();
    const items = Array.from({ length: 50 }, (_, i) => item(`i${i}`, 1_000 + ((i * 37) % 50) * 10));
    for (const i of items) deadlines.add(i);
    for (const i of items.filter((_, k) => k % 3 === 0)) deadlines.remove(i);
    advanceTo(10_000);
    const kept = items.filter((_, k) => k % 3 !== 0);
    expect(due.map(([id]) => id).sort()).toEqual(kept.map((i) => i.id).sort());
    for (const [id, at] of due) expect(at).toBe(kept.find((i) => i.id === id)?.deadline);
    expect(due.map(([, at]) => at)).toEqual([...due.map(([, at]) => at)].sort((x, y) => x - y));
  });

  it("holds one timer at a time: later arrivals do not add timers, an earlier one moves it", () => {
    const { scheduler, deadlines, due, advanceTo } = virtual();
    deadlines.add(item("late", 5_000));
    for (let k = 0; k < 100; k++) deadlines.add(item(`k${k}`, 6_000 + k));
    expect(scheduler.actions).toHaveLength(1);
    deadlines.add(item("early", 1_000));
    expect(scheduler.actions).toHaveLength(1);
    expect(scheduler.actions[0]?.delay).toBe(1_000);
    advanceTo(1_000);
    expect(due).toEqual([["early", 1_000]]);
    expect(scheduler.actions[0]?.delay).toBe(5_000);
  });

  it("lets the timer go once nothing is due (virtual schedulers), and ignores adding twice", () => {
    const { scheduler, deadlines, due, advanceTo } = virtual();
    const a = item("a", 100);
    deadlines.add(a);
    deadlines.add(a);
    expect(deadlines.size).toBe(1);
    deadlines.remove(a);
    deadlines.remove(a);
    expect(scheduler.actions).toHaveLength(0);
    deadlines.add(item("inf", Number.POSITIVE_INFINITY));
    expect(deadlines.size).toBe(0);
    advanceTo(1_000);
    expect(due).toEqual([]);
  });

  describe("on the default scheduler", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("fires at the deadline with a native timer that is kept while idle, then re-armed", () => {
      vi.useFakeTimers({ now: 1_000_000 });
      const due: string[] = [];
      const deadlines = new Deadlines<Item>(asyncScheduler, (i) => due.push(i.id));
      const first = item("first", Date.now() + 1_000);
      deadlines.add(first);
      deadlines.remove(first); // settled early: the timer stays (no churn for sequential calls)
      expect(vi.getTimerCount()).toBe(1);
      deadlines.add(item("second", Date.now() + 5_000));
      vi.advanceTimersByTime(1_000); // the old timer fires early, finds nothing due, re-arms
      expect(due).toEqual([]);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(4_000);
      expect(due).toEqual(["second"]);
      deadlines.close();
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
