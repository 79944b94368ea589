import { describe, expect, it } from "vitest";
import { FairQueue } from "../../src/gateway/fair-queue.js";

interface Item {
  readonly owner: string;
  readonly cost: number;
  readonly priority: number;
  readonly arrivedAt: number;
  readonly n: number;
}

const item = (owner: string, n: number, cost = 1, priority = 0, arrivedAt = 0): Item => ({
  owner,
  cost,
  priority,
  arrivedAt,
  n,
});
const all = () => true;

function drain(q: FairQueue<string, Item>, now = 0, eligible: (o: string) => boolean = all): Item[] {
  const out: Item[] = [];
  for (let next = q.next(now, eligible); next; next = q.next(now, eligible)) out.push(next);
  return out;
}

describe("FairQueue (deficit round-robin)", () => {
  // Breaks if a flooding owner's backlog is served before another owner's later requests (FIFO, not fair).
  it("alternates owners by turns, whatever their backlog", () => {
    const q = new FairQueue<string, Item>({ quantum: 1 });
    for (let i = 0; i < 10; i++) q.push(item("a", i));
    for (let i = 0; i < 3; i++) q.push(item("b", i));
    const order = drain(q).map((x) => `${x.owner}${x.n}`);
    expect(order.slice(0, 6)).toEqual(["a0", "b0", "a1", "b1", "a2", "b2"]);
    expect(order.slice(6)).toEqual(["a3", "a4", "a5", "a6", "a7", "a8", "a9"]);
    expect(q.size).toBe(0);
  });

  // Breaks if costs are ignored: an owner sending big requests must get fewer of them per turn.
  it("shares by cost: an owner of requests four times larger gets a quarter as many", () => {
    const q = new FairQueue<string, Item>({ quantum: 4 });
    for (let i = 0; i < 20; i++) q.push(item("small", i, 1));
    for (let i = 0; i < 5; i++) q.push(item("big", i, 4));
    const first = drain(q).slice(0, 15);
    const big = first.filter((x) => x.owner === "big").length;
    const small = first.filter((x) => x.owner === "small").length;
    expect(small).toBe(12);
    expect(big).toBe(3);
  });

  // Breaks if a cost larger than the quantum stalls the queue.
  it("serves requests larger than the quantum", () => {
    const q = new FairQueue<string, Item>({ quantum: 1 });
    q.push(item("a", 0, 1000));
    q.push(item("b", 0, 1));
    expect(drain(q).map((x) => x.owner)).toEqual(["b", "a"]);
  });

  // Breaks if priority levels are not strict, or aging never lets a waiting low priority through.
  it("serves lower priority values first, aged by agingMs", () => {
    const q = new FairQueue<string, Item>({ quantum: 1, agingMs: 1_000 });
    q.push(item("low", 0, 1, 5, 0));
    q.push(item("high", 0, 1, 0, 2_000));
    // At 2 s the low-priority request ranks 5 - 2 = 3: the fresh priority 0 goes first.
    expect(q.next(2_000, all)?.owner).toBe("high");
    q.push(item("high", 1, 1, 0, 7_000));
    // At 7 s it has waited 7 s: 5 - 7 = -2, ahead of a fresh priority 0.
    expect(q.next(7_000, all)?.owner).toBe("low");
    expect(q.next(7_000, all)?.owner).toBe("high");
  });

  // Breaks if an ineligible owner (at its concurrency limit) blocks the others or loses its requests.
  it("skips owners that may not send now and keeps their requests", () => {
    const q = new FairQueue<string, Item>({ quantum: 1 });
    q.push(item("a", 0));
    q.push(item("a", 1));
    q.push(item("b", 0));
    expect(drain(q, 0, (o) => o !== "a").map((x) => x.owner)).toEqual(["b"]);
    expect(q.sizeOf("a")).toBe(2);
    expect(drain(q).map((x) => `${x.owner}${x.n}`)).toEqual(["a0", "a1"]);
  });

  // Breaks if removing a waiting request (its caller left) corrupts the rotation or the counts.
  it("removes a waiting request", () => {
    const q = new FairQueue<string, Item>({ quantum: 1 });
    const a1 = item("a", 1);
    q.push(item("a", 0));
    q.push(a1);
    q.push(item("b", 0));
    expect(q.remove(a1)).toBe(true);
    expect(q.remove(a1)).toBe(false);
    expect(q.size).toBe(2);
    expect(drain(q).map((x) => `${x.owner}${x.n}`)).toEqual(["a0", "b0"]);
  });
});
