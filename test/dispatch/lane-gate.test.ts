import { afterEach, describe, expect, it } from "vitest";
import { createBottleneckGate, loadBottleneck } from "../../src/dispatch/bottleneck-gate.js";
import { createNativeGate, type GateTicket, type LaneGate } from "../../src/dispatch/lane-gate.js";

/** The contract both engines honour; engine-specific behaviour is tested next to each engine. */
const engines: [string, (limit: number) => LaneGate][] = [
  ["native", (limit) => createNativeGate(limit)],
  ["bottleneck", (limit) => createBottleneckGate(limit, loadBottleneck())],
];

describe.each(engines)("LaneGate contract (%s engine)", (_engine, create) => {
  const open: { gate: LaneGate; tickets: GateTicket[] }[] = [];

  /** A gate whose tickets are all released and whose engine is closed after the test. */
  function gate(limit: number) {
    const g = create(limit);
    const entry = { gate: g, tickets: [] as GateTicket[] };
    open.push(entry);
    const acquire = () => {
      const ticket = g.tryAcquire();
      if (ticket) entry.tickets.push(ticket);
      return ticket;
    };
    return { gate: g, acquire };
  }

  afterEach(async () => {
    for (const { gate: g, tickets } of open.splice(0)) {
      for (const t of tickets) t.release();
      await g.close();
    }
  });

  it("exposes its limit and starts with nothing in flight", () => {
    const { gate: g } = gate(3);
    expect(g.limit).toBe(3);
    expect(g.inflight).toBe(0);
  });

  it("honours the limit: tryAcquire never waits, it refuses", () => {
    const { gate: g, acquire } = gate(2);
    const a = acquire();
    const b = acquire();
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(g.inflight).toBe(2);
    expect(acquire()).toBeUndefined();
    expect(acquire()).toBeUndefined();
    expect(g.inflight).toBe(2);
    a!.release();
    expect(g.inflight).toBe(1);
    expect(acquire()).toBeDefined();
    expect(acquire()).toBeUndefined();
  });

  it("release is idempotent", () => {
    const { gate: g, acquire } = gate(2);
    const a = acquire()!;
    acquire();
    a.release();
    a.release();
    a.release();
    expect(g.inflight).toBe(1);
    expect(acquire()).toBeDefined();
    expect(acquire()).toBeUndefined(); // a's triple release did not free extra slots
  });

  it("keeps inflight exact over many acquire/release cycles", () => {
    const { gate: g, acquire } = gate(5);
    const held: GateTicket[] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 2 && held.length > 0) held.shift()!.release();
      else {
        const t = acquire();
        if (t) held.push(t);
      }
      expect(g.inflight).toBe(held.length);
      expect(g.inflight).toBeLessThanOrEqual(5);
    }
    for (const t of held) t.release();
    expect(g.inflight).toBe(0);
  });

  it("a ticket's ready settles (or is absent) so the call can start", async () => {
    const { acquire } = gate(1);
    const t = acquire()!;
    await expect(Promise.resolve(t.ready)).resolves.toBeUndefined();
  });

  it("every admitted ticket becomes ready, up to the limit at once", async () => {
    const { gate: g, acquire } = gate(3);
    const tickets = [acquire()!, acquire()!, acquire()!];
    await Promise.all(tickets.map((t) => t.ready));
    expect(g.inflight).toBe(3);
  });

  it("slots freed by released tickets are reused, and later tickets become ready", async () => {
    const { gate: g, acquire } = gate(1);
    for (let i = 0; i < 20; i++) {
      const t = acquire();
      expect(t).toBeDefined();
      await t!.ready;
      expect(acquire()).toBeUndefined();
      t!.release();
    }
    expect(g.inflight).toBe(0);
  });

  it("a ticket released before it was ready does not leak its slot", async () => {
    const { gate: g, acquire } = gate(1);
    const early = acquire()!;
    early.release(); // e.g. aborted before the engine started it
    expect(g.inflight).toBe(0);
    const next = acquire()!;
    await next.ready;
    expect(g.inflight).toBe(1);
    next.release();
    expect(g.inflight).toBe(0);
  });

  it("close() resolves once outstanding tickets are released, and they stay valid until then", async () => {
    const g = create(2);
    const t = g.tryAcquire()!;
    await t.ready;
    const closing = g.close();
    expect(g.inflight).toBe(1);
    t.release();
    await closing;
    expect(g.inflight).toBe(0);
  });

  it("close() on an idle gate resolves", async () => {
    const g = create(4);
    await expect(g.close()).resolves.toBeUndefined();
  });
});

describe("createNativeGate", () => {
  it("needs no promise: ready is undefined", () => {
    const g = createNativeGate(1);
    expect(g.tryAcquire()!.ready).toBeUndefined();
  });

  it("an infinite limit never refuses", () => {
    const g = createNativeGate(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1_000; i++) expect(g.tryAcquire()).toBeDefined();
    expect(g.inflight).toBe(1_000);
  });

  it("a limit of 0 admits nothing", () => {
    const g = createNativeGate(0);
    expect(g.tryAcquire()).toBeUndefined();
    expect(g.inflight).toBe(0);
  });

  it("tickets stay valid after close()", async () => {
    const g = createNativeGate(1);
    const t = g.tryAcquire()!;
    await g.close();
    t.release();
    expect(g.inflight).toBe(0);
  });
});
