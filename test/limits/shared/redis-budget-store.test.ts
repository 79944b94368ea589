import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BudgetSignal, Reservation } from "../../../src/limits/budget-store.js";
import {
  RedisBudgetStore,
  type RedisBudgetStoreOptions,
} from "../../../src/limits/shared/redis-budget-store.js";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.js";
import { FastForward } from "../../helpers/virtual-time.js";
import { redisPortTo } from "./port.js";

// The lease-based store against a real redis-server. The stores' clock is virtual (the scripts are
// given it instead of Redis's TIME), so refills and expiries are exact; replies arrive in real time.
let server: RedisServer;
const open: RedisBudgetStore[] = [];
let prefixSeq = 0;

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await server?.stop();
});

function makeStore(clock: FastForward, prefix: string, extra: Partial<RedisBudgetStoreOptions> = {}) {
  const store = new RedisBudgetStore({
    port: redisPortTo(server.url),
    keyPrefix: prefix,
    scheduler: clock.scheduler,
    callerTime: true,
    ...extra,
  });
  const signals: BudgetSignal[] = [];
  store.watch((s) => signals.push(s));
  open.push(store);
  return { store, signals };
}

/**
 * Lets real I/O run and fires due virtual timers, until `done()` (or 3 s of real time); `stepMs` of
 * virtual time pass per round (heartbeats and probes are virtual timers).
 */
async function until(clock: FastForward, done: () => boolean, stepMs = 0): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) {
    clock.advanceBy(stepMs);
    await new Promise((r) => setTimeout(r, 5));
  }
  if (!done()) throw new Error("condition not met in time");
}

const LIMITS = { rpm: 600, tpm: 60_000, requestWindowSeconds: 10 };

/** Takes everything a store admits at `now` (committing each), renewing until nothing more comes. */
async function drain(
  clock: FastForward,
  store: RedisBudgetStore,
  lane: string,
  tokens: number,
): Promise<number> {
  let taken = 0;
  for (let idle = 0; idle < 20; ) {
    const r = store.reserve(lane, tokens, clock.now());
    if (r) {
      store.commit(r);
      taken += 1;
      idle = 0;
      continue;
    }
    store.msUntilAvailable(lane, tokens, clock.now());
    idle += 1;
    await new Promise((res) => setTimeout(res, 3));
  }
  return taken;
}

describe("RedisBudgetStore: leases", () => {
  // Breaks if admission waits on Redis (reserve must answer synchronously from the lease).
  it("admits from its lease synchronously, after one renewal", async () => {
    const clock = new FastForward();
    const { store, signals } = makeStore(clock, `p${prefixSeq++}`);
    store.register("east", LIMITS, clock.now());
    await until(clock, () => store.status === "up");
    await until(clock, () => signals.some((s) => s.type === "available"));
    // The first lease knows nothing of the requests' size: a request too large for it starves the lane,
    // which renews for it and announces the lane when the grant is in.
    const before = signals.length;
    expect(store.reserve("east", 100, clock.now())).toBeUndefined();
    await until(clock, () => signals.slice(before).some((s) => s.type === "available"));
    const r = store.reserve("east", 100, clock.now());
    expect(r).toBeDefined();
    expect(store.view("east", clock.now()).rpm.limit).toBe(600);
  });

  // Breaks if two replicas' leases can together exceed the shared bucket (each would own the quota).
  it("two replicas together never get more than the shared bucket", async () => {
    const clock = new FastForward();
    const prefix = `p${prefixSeq++}`;
    const a = makeStore(clock, prefix).store;
    const b = makeStore(clock, prefix).store;
    a.register("east", LIMITS, clock.now());
    b.register("east", LIMITS, clock.now());
    await until(clock, () => a.status === "up" && b.status === "up");
    const [ta, tb] = await Promise.all([drain(clock, a, "east", 10), drain(clock, b, "east", 10)]);
    // One 10-s window of 600 rpm = 100 requests, less the cushion kept for units waiting in leases.
    expect(ta + tb).toBeLessThanOrEqual(100);
    expect(ta + tb).toBeGreaterThanOrEqual(50);
    expect(Math.min(ta, tb)).toBeGreaterThan(0);
  });

  // Breaks if a grant can be spent after its lifetime (the shared bucket has refilled past it).
  it("lets a grant expire: units leased long ago are not spent", async () => {
    const clock = new FastForward();
    const { store, signals } = makeStore(clock, `p${prefixSeq++}`, { leaseTtlMs: 2_000 });
    store.register("east", LIMITS, clock.now());
    await until(clock, () => signals.some((s) => s.type === "available"));
    await until(clock, () => store.msUntilAvailable("east", 10, clock.now()) === 0);
    clock.advanceBy(2_000);
    expect(store.msUntilAvailable("east", 10, clock.now())).toBeGreaterThan(0);
    expect(store.reserve("east", 10, clock.now())).toBeUndefined();
  });

  // Breaks if close() keeps the units it holds (a stopped replica would shrink the quota until refill).
  it("hands its lease back on close", async () => {
    const clock = new FastForward();
    const prefix = `p${prefixSeq++}`;
    const a = makeStore(clock, prefix).store;
    a.register("east", LIMITS, clock.now());
    await until(clock, () => a.status === "up");
    for (let i = 0; i < 5; i++) {
      const r = a.reserve("east", 10, clock.now());
      if (r) a.commit(r);
      await new Promise((res) => setTimeout(res, 5));
    }
    const level = async () => {
      const c = createClient({ url: server.url });
      await c.connect();
      const v = Number(await c.hGet(`${prefix}:{east}:budget`, "r"));
      await c.close();
      return v;
    };
    const before = await level();
    await a.close();
    expect(await level()).toBeGreaterThan(before);
  });

  // Breaks if a refund is lost (the service never counted the call) or spent again from the lease.
  it("sends a refunded charge back to Redis", async () => {
    const clock = new FastForward();
    const { store, signals } = makeStore(clock, `p${prefixSeq++}`);
    store.register("east", LIMITS, clock.now());
    await until(clock, () => signals.some((s) => s.type === "available"));
    await until(clock, () => store.msUntilAvailable("east", 10, clock.now()) === 0);
    const r = store.reserve("east", 10, clock.now()) as Reservation;
    const held = store.view("east", clock.now()).rpm.remaining;
    store.refund(r, clock.now());
    expect(store.view("east", clock.now()).rpm.remaining).toBe(held);
  });
});

describe("RedisBudgetStore: shared evidence", () => {
  // Breaks if a 429 seen by one replica does not stop the others (they would keep sending into it).
  it("a cooldown in one replica cools the lane in every replica", async () => {
    const clock = new FastForward();
    const prefix = `p${prefixSeq++}`;
    const a = makeStore(clock, prefix).store;
    const b = makeStore(clock, prefix).store;
    a.register("east", LIMITS, clock.now());
    b.register("east", LIMITS, clock.now());
    await until(clock, () => a.status === "up" && b.status === "up");
    await until(clock, () => b.msUntilAvailable("east", 10, clock.now()) === 0);
    const now = clock.now();
    a.cool("east", now + 5_000, "requests", now);
    await until(clock, () => b.coolingUntil("east") > now);
    expect(b.coolingUntil("east")).toBeGreaterThanOrEqual(now + 4_900);
    expect(b.reserve("east", 10, clock.now())).toBeUndefined();
    // The drained budget's lease is gone too: after the cooldown, b must ask Redis again.
    clock.advanceBy(5_000);
    expect(b.msUntilAvailable("east", 10, clock.now())).toBeGreaterThan(0);
  });

  // Breaks if a limit learned by one replica stays local (the others would keep the wrong bucket).
  it("a limit learned by one replica reaches the others", async () => {
    const clock = new FastForward();
    const prefix = `p${prefixSeq++}`;
    const a = makeStore(clock, prefix).store;
    const bs = makeStore(clock, prefix);
    a.register("east", LIMITS, clock.now());
    bs.store.register("east", LIMITS, clock.now());
    await until(clock, () => a.status === "up" && bs.store.status === "up");
    const learned = a.calibrate("east", { requests: { limit: 300 }, tokens: {} }, undefined, clock.now());
    expect(learned).toEqual({ rpm: 300 });
    await until(clock, () => bs.store.view("east", clock.now()).rpm.limit === 300);
    expect(bs.signals).toContainEqual({
      type: "event",
      event: expect.objectContaining({ type: "limits-learned", endpoint: "east", rpm: 300 }),
    });
  });
});

describe("RedisBudgetStore: Redis unreachable", () => {
  // Breaks if an outage stops admission under local-share, or lets a replica spend more than its share.
  it("local-share: spends limit / replicas while Redis is down, then settles the debt", async () => {
    const own = await startRedisServer();
    const clock = new FastForward();
    const mk = () => {
      const store = new RedisBudgetStore({
        port: redisPortTo(own.url, 300),
        keyPrefix: "o",
        scheduler: clock.scheduler,
        callerTime: true,
      });
      const signals: BudgetSignal[] = [];
      store.watch((s) => signals.push(s));
      store.register("east", { rpm: 600, requestWindowSeconds: 10 }, clock.now());
      return { store, signals };
    };
    const a = mk();
    const b = mk();
    try {
      await until(clock, () => a.store.status === "up" && b.store.status === "up");
      clock.advanceBy(1_000);
      await until(clock, () => a.store.replicas === 2);
      // Spend everything first, so the share starts from an empty shared bucket.
      await drain(clock, a.store, "east", 0);
      await own.stop();
      // A renewal fails: the store goes down.
      await until(clock, () => a.store.status === "down", 100);
      const down = a.signals.find((s) => s.type === "event" && s.event.type === "shared-store-down");
      expect(down).toMatchObject({ event: { policy: "local-share", replicas: 2 } });
      // 20 s of virtual time at 600 rpm / 2 replicas = 100 requests, at most one window (50) more.
      let admitted = 0;
      for (let t = 0; t < 20_000; t += 100) {
        clock.advanceBy(100);
        for (
          let r = a.store.reserve("east", 0, clock.now());
          r;
          r = a.store.reserve("east", 0, clock.now())
        ) {
          a.store.commit(r);
          admitted += 1;
        }
      }
      expect(admitted).toBeGreaterThanOrEqual(90);
      expect(admitted).toBeLessThanOrEqual(150);
      await own.restart();
      await until(clock, () => a.store.status === "up", 100);
      expect(a.signals.some((s) => s.type === "event" && s.event.type === "shared-store-up")).toBe(true);
      // The debt (what was spent alone) is charged: the shared bucket is empty, not full.
      await until(clock, () => a.store.view("east", clock.now()).rpm.remaining < 100);
    } finally {
      await a.store.close();
      await b.store.close();
      await own.stop();
    }
  });

  // Breaks if "pause" keeps admitting while Redis is away, or does not resume on its own.
  it("pause: admits nothing new while Redis is down, resumes when it is back", async () => {
    const own = await startRedisServer();
    const clock = new FastForward();
    const store = new RedisBudgetStore({
      port: redisPortTo(own.url, 300),
      keyPrefix: "q",
      scheduler: clock.scheduler,
      callerTime: true,
      whenUnavailable: "pause",
      secrets: [String(own.port)],
    });
    const signals: BudgetSignal[] = [];
    store.watch((s) => signals.push(s));
    store.register("east", { rpm: 600, requestWindowSeconds: 10 }, clock.now());
    try {
      await until(clock, () => store.status === "up");
      await own.stop();
      await until(clock, () => store.status === "down", 100);
      const down = signals.find((s) => s.type === "event" && s.event.type === "shared-store-down");
      // The reason names what failed and never a secret (here: the port, standing in for a password).
      expect(
        down?.type === "event" && down.event.type === "shared-store-down" && down.event.reason,
      ).not.toContain(String(own.port));
      // What was leased before the outage may still be spent, until it expires.
      clock.advanceBy(3_000);
      for (let i = 0; i < 10; i++) {
        clock.advanceBy(100);
        expect(store.reserve("east", 0, clock.now())).toBeUndefined();
        expect(store.msUntilAvailable("east", 0, clock.now())).toBeGreaterThan(0);
      }
      await own.restart();
      await until(clock, () => store.status === "up", 100);
      await until(clock, () => store.reserve("east", 0, clock.now()) !== undefined);
    } finally {
      await store.close();
      await own.stop();
    }
  });
});

describe("RedisBudgetStore: heartbeats", () => {
  // Breaks if a busy replica still heartbeats beside its renewals (round trips the renewals already
  // make), or if skipping them drops it from the other replicas' count.
  it("a replica whose renewals refresh it sends no heartbeats; an idle one does, and both count 2", async () => {
    const clock = new FastForward();
    const prefix = `p${prefixSeq++}`;
    const beats = { busy: 0, idle: 0 };
    const mk = (name: keyof typeof beats) => {
      const port = redisPortTo(server.url);
      const script = port.script.bind(port);
      port.script = (script_, keys, args) => {
        if (script_ === "heartbeat" && args[3] !== "leave") beats[name] += 1;
        return script(script_, keys, args);
      };
      const store = new RedisBudgetStore({
        port,
        keyPrefix: prefix,
        scheduler: clock.scheduler,
        callerTime: true,
      });
      open.push(store);
      store.register("east", { rpm: 6_000, requestWindowSeconds: 10 }, clock.now());
      return store;
    };
    const busy = mk("busy");
    const idle = mk("idle");
    await until(clock, () => busy.status === "up" && idle.status === "up");
    const start = { ...beats };
    // 5 s of virtual time at 100 ms a step; the busy replica takes 8 requests a step (80/s, under the
    // 100/s limit), so its lease runs low and is renewed several times a second.
    for (let step = 0; step < 50; step++) {
      clock.advanceBy(100);
      for (let i = 0; i < 8; i++) {
        const r = busy.reserve("east", 0, clock.now());
        if (!r) break;
        busy.commit(r);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(beats.busy - start.busy).toBe(0);
    expect(beats.idle - start.idle).toBeGreaterThanOrEqual(4);
    expect(busy.replicas).toBe(2);
    expect(idle.replicas).toBe(2);
  });
});
