import Bottleneck from "bottleneck";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createBottleneckGate, loadBottleneck } from "../../src/dispatch/bottleneck-gate.js";

/** Bottleneck, recording each limiter and the options it was built with, so tests can read its counts. */
function spyCtor() {
  const limiters: { limiter: Bottleneck; options: Bottleneck.ConstructorOptions | undefined }[] = [];
  class Spy extends Bottleneck {
    constructor(options?: Bottleneck.ConstructorOptions) {
      super(options);
      limiters.push({ limiter: this, options });
    }
  }
  return { Ctor: Spy, limiters };
}

/** Lets pending macrotasks (bottleneck's own setTimeout(0) steps, unhandled-rejection reports) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("createBottleneckGate", () => {
  const unhandled = vi.fn();
  beforeEach(() => {
    unhandled.mockClear();
    process.on("unhandledRejection", unhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", unhandled);
  });

  it("loadBottleneck finds the installed package", () => {
    const Ctor = loadBottleneck();
    expect(typeof Ctor).toBe("function");
    expect(new Ctor()).toBeInstanceOf(Bottleneck);
  });

  it("builds its limiter with maxConcurrent = the lane's concurrency", async () => {
    const { Ctor, limiters } = spyCtor();
    const g = createBottleneckGate(7, Ctor);
    expect(limiters[0]!.options).toEqual({ maxConcurrent: 7 });
    await g.close();
  });

  it("an infinite concurrency means no maxConcurrent, and never refuses", async () => {
    const { Ctor, limiters } = spyCtor();
    const g = createBottleneckGate(Number.POSITIVE_INFINITY, Ctor);
    expect(limiters[0]!.options).toEqual({ maxConcurrent: null });
    const tickets = Array.from({ length: 50 }, () => g.tryAcquire()!);
    await Promise.all(tickets.map((t) => t.ready));
    expect(g.inflight).toBe(50);
    for (const t of tickets) t.release();
    await g.close();
  });

  it("ready is a promise that resolves once bottleneck starts the job, which then runs until release", async () => {
    const { Ctor, limiters } = spyCtor();
    const g = createBottleneckGate(2, Ctor);
    const t = g.tryAcquire()!;
    expect(t.ready).toBeInstanceOf(Promise);
    await t.ready;
    const limiter = limiters[0]!.limiter;
    expect(limiter.counts().EXECUTING).toBe(1);
    t.release();
    await g.close(); // resolves only once the job has finished
    expect(limiter.counts().EXECUTING).toBe(0);
  });

  it("a ticket released before bottleneck started it leaks neither a slot nor a job", async () => {
    const { Ctor, limiters } = spyCtor();
    const g = createBottleneckGate(1, Ctor);
    const early = g.tryAcquire()!;
    early.release(); // synchronously: bottleneck has not started the job yet
    expect(g.inflight).toBe(0);
    const next = g.tryAcquire()!;
    await next.ready; // with maxConcurrent 1, the early job must have finished first
    const limiter = limiters[0]!.limiter;
    expect(limiter.counts()).toMatchObject({ RECEIVED: 0, QUEUED: 0, RUNNING: 0, EXECUTING: 1 });
    next.release();
    await g.close();
    await settle();
    expect(unhandled).not.toHaveBeenCalled();
  });

  it("many early releases in a row leave bottleneck idle", async () => {
    const { Ctor, limiters } = spyCtor();
    const g = createBottleneckGate(2, Ctor);
    for (let i = 0; i < 100; i++) g.tryAcquire()!.release();
    expect(g.inflight).toBe(0);
    const last = g.tryAcquire()!;
    await last.ready;
    last.release();
    await g.close(); // resolves only when no job is left
    expect(limiters[0]!.limiter.counts()).toMatchObject({ RECEIVED: 0, QUEUED: 0, RUNNING: 0, EXECUTING: 0 });
    expect(unhandled).not.toHaveBeenCalled();
  });

  it("a ticket taken after close() has a rejected ready, and releasing it leaves no unhandled rejection", async () => {
    const g = createBottleneckGate(1, loadBottleneck());
    await g.close();
    const t = g.tryAcquire()!;
    expect(t).toBeDefined();
    t.release(); // the caller gives up without awaiting `ready`
    expect(g.inflight).toBe(0);
    await expect(t.ready).rejects.toThrow(/stopped/i);
    await settle();
    expect(unhandled).not.toHaveBeenCalled();
  });

  it("a caller awaiting ready after close() sees the rejection", async () => {
    const g = createBottleneckGate(1, loadBottleneck());
    await g.close();
    const t = g.tryAcquire()!;
    await expect(t.ready).rejects.toBeInstanceOf(Error);
    t.release();
    expect(g.inflight).toBe(0);
  });
});
