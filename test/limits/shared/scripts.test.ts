import { createClient } from "redis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createRedisPort,
  type RedisClientLike,
  type RedisPort,
} from "../../../src/limits/shared/redis-port.js";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.js";

// The Lua scripts on a real redis-server, with virtual time passed as ARGV[1] (the scripts read Redis's
// TIME only when it is empty).
let server: RedisServer;
let client: RedisClientLike;
let port: RedisPort;
const KEY = "t:{east}:budget";

beforeAll(async () => {
  server = await startRedisServer();
  client = createClient({ url: server.url }) as unknown as RedisClientLike;
  port = createRedisPort({ client, owned: true, commandTimeoutMs: 2_000 });
});
afterAll(async () => {
  await port?.close();
  await server?.stop();
});
beforeEach(async () => {
  await port.command(["FLUSHALL"]);
});

/** rpm 600 over a 10 s window (bucket of 100 requests), tpm 60 000. */
const lease = async (
  now: number,
  o: {
    want?: number;
    wantT?: number;
    minT?: number;
    backR?: number;
    backT?: number;
    debtR?: number;
    debtT?: number;
    cushionMs?: number;
  } = {},
) => {
  const reply = (await port.script(
    "lease",
    [KEY],
    [
      String(now),
      "600",
      "60000",
      "10",
      String(o.want ?? 10),
      String(o.wantT ?? 1_000),
      String(o.minT ?? 100),
      String(o.backR ?? 0),
      String(o.backT ?? 0),
      String(o.debtR ?? 0),
      String(o.debtT ?? 0),
      "600000",
      String(o.cushionMs ?? 0),
    ],
  )) as unknown[];
  const [granted, grantedTokens, wait, cooling, rpm, tpm, rcap, tcap, levelR, levelT, shareR, shareT, at] =
    reply.map(Number);
  return { granted, grantedTokens, wait, cooling, rpm, tpm, rcap, tcap, levelR, levelT, shareR, shareT, at };
};

const cool = (now: number, ms: number, drain: string, channel = "t:events") =>
  port.script(
    "cool",
    [KEY],
    [
      String(now),
      "600",
      "60000",
      "10",
      String(ms),
      drain,
      "0.5",
      "0.1",
      "120000",
      "600000",
      channel,
      "east",
      "r1",
      "10000",
    ],
  );

describe("LEASE script", () => {
  // Breaks if a new lane's bucket is not one request window large, or a grant exceeds what was asked.
  it("creates the lane's buckets full (one window of requests) and grants what was asked", async () => {
    const r = await lease(1_000, { want: 10, wantT: 1_000 });
    expect(r).toMatchObject({
      granted: 10,
      grantedTokens: 1_000,
      wait: 0,
      rpm: 600,
      tpm: 60_000,
      rcap: 100,
      tcap: 60_000,
    });
    expect(r.levelR).toBe(90);
    expect(r.levelT).toBe(59_000);
  });

  // Breaks if a grant may exceed the bucket, or if a bucket unable to cover one request still grants.
  it("grants at most what the bucket holds, and nothing when one request's tokens are not there", async () => {
    expect((await lease(0, { want: 150, wantT: 1_000 })).granted).toBe(100);
    const dry = await lease(0, { want: 5, minT: 100 });
    expect(dry).toMatchObject({ granted: 0, grantedTokens: 0 });
    // 1 request refills in 100 ms at 600 rpm.
    expect(dry.wait).toBe(100);
  });

  // Breaks if the bucket refills from the callers' clocks wrongly, or faster than the limit.
  it("refills continuously at the limit's rate (virtual time in ARGV[1])", async () => {
    await lease(0, { want: 100, wantT: 1_000 });
    expect((await lease(500, { want: 100, wantT: 500 })).granted).toBe(5);
    expect((await lease(500, { want: 100 })).granted).toBe(0);
  });

  // Breaks if minTokens is not checked: a grant with too few tokens for the next request is useless.
  it("is all or nothing: no grant without minTokens tokens; -1 when they never fit", async () => {
    await lease(0, { want: 1, wantT: 59_950, minT: 59_950 });
    const r = await lease(0, { want: 1, wantT: 100, minT: 100 });
    expect(r).toMatchObject({ granted: 0, grantedTokens: 0 });
    // 50 tokens left; 50 more at 1000 tokens/s take 50 ms.
    expect(r.wait).toBe(50);
    expect((await lease(0, { want: 1, minT: 60_001 })).wait).toBe(-1);
  });

  // Breaks if handed-back units can lift the bucket above its size.
  it("takes units back, never above the bucket's size", async () => {
    await lease(0, { want: 40, wantT: 4_000 });
    expect((await lease(0, { want: 0, backR: 30, backT: 3_000 })).levelR).toBe(90);
    expect((await lease(0, { want: 0, backR: 50, backT: 50_000 })).levelR).toBe(100);
  });

  // Breaks if a debt (spent locally during an outage) is not charged, or can sink the bucket without bound.
  it("charges a debt, down to minus one bucket at most", async () => {
    expect((await lease(0, { want: 0, debtR: 30, debtT: 3_000 })).levelR).toBe(70);
    const deep = await lease(0, { want: 1, debtR: 500, debtT: 0 });
    expect(deep.levelR).toBe(-100);
    expect(deep.granted).toBe(0);
    // 101 requests to refill before one can be granted: 10.1 s.
    expect(deep.wait).toBe(10_100);
  });

  // Breaks if the cushion is not kept: units waiting in leases could then reach the service bunched
  // up beyond its bucket.
  it("never grants the bucket's last rate × cushionMs units", async () => {
    // 600 rpm = 10/s: a 3-s cushion keeps 30 of the 100 requests; the rest is granted.
    expect((await lease(0, { want: 100, wantT: 1_000, cushionMs: 3_000 })).granted).toBe(70);
    const dry = await lease(0, { want: 1, cushionMs: 3_000 });
    expect(dry.granted).toBe(0);
    expect(dry.wait).toBe(100);
    // The steady rate is whole: 1 s later, 10 more.
    expect((await lease(1_000, { want: 100, wantT: 1_000, cushionMs: 3_000 })).granted).toBe(10);
  });

  // Breaks if the script trusts the caller's clock when none is given (it must read Redis's TIME).
  it("uses the server's clock when ARGV[1] is empty", async () => {
    const reply = (await port.script(
      "lease",
      [KEY],
      ["", "600", "0", "10", "1", "0", "0", "0", "0", "0", "0", "600000"],
    )) as unknown[];
    const serverNow = Number(reply[12]);
    const [seconds] = (await port.command(["TIME"])) as string[];
    expect(Math.abs(serverNow / 1000 - Number(seconds))).toBeLessThan(5);
  });
});

describe("COOL script", () => {
  // Breaks if a cooldown does not stop grants, or its remaining time is not returned.
  it("stops grants until the cooldown ends, on the server's timeline", async () => {
    await cool(1_000, 2_000, "none");
    const during = await lease(2_000, { want: 1 });
    expect(during).toMatchObject({ granted: 0, wait: 1_000, cooling: 1_000 });
    expect((await lease(3_000, { want: 1 })).granted).toBe(1);
  });

  // Breaks if a lone 429 shrinks the share (pacing jitter), a repeated one does not, or one episode
  // reported by several replicas shrinks more than once.
  it("empties the named budget; shrinks it only for a repeated 429, once per episode", async () => {
    await lease(0, { want: 1 });
    const [, sr1] = (await cool(0, 1_000, "requests")) as string[];
    expect(Number(sr1)).toBe(1);
    // Emptied: nothing to grant until the cooldown ends, then ~1 s of refill at the full rate.
    const after = await lease(1_000, { want: 100 });
    expect(after.levelT).toBeGreaterThan(50_000);
    expect(after.granted).toBe(10);
    // Another 429 within windowMs (10 s) of the first, after that episode: the quota is shared.
    const [, sr2] = (await cool(2_000, 1_000, "requests")) as string[];
    expect(Number(sr2)).toBe(0.5);
    // The same episode reported by another replica: no second shrink.
    const [, sr3] = (await cool(2_010, 1_000, "requests")) as string[];
    expect(Number(sr3)).toBeCloseTo(0.5, 3);
    // After the episode, within windowMs again: shrinks again.
    const [, sr4] = (await cool(4_000, 1_000, "requests")) as string[];
    expect(Number(sr4)).toBeLessThan(0.5);
  });

  // Breaks if the cooldown is not published (other replicas would keep sending into the 429s).
  it("publishes the cooldown on the store's channel", async () => {
    const messages: string[] = [];
    const sub = createClient({ url: server.url });
    await sub.connect();
    await sub.subscribe("t:events", (m) => {
      messages.push(m);
    });
    await cool(0, 1_500, "tokens");
    for (let i = 0; i < 100 && messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await sub.close();
    expect(JSON.parse(messages[0] as string)).toMatchObject({
      t: "cool",
      lane: "east",
      from: "r1",
      ms: 1_500,
      drain: "tokens",
      st: 1,
    });
  });
});

describe("LIMITS script", () => {
  // Breaks if a learned limit does not keep the bucket's fill ratio, or is published when nothing changed.
  it("reconfigures keeping the fill ratio, and says whether anything changed", async () => {
    await lease(0, { want: 50, wantT: 1_000 });
    const args = (rpm: string) => [
      String(0),
      "600",
      "60000",
      "10",
      rpm,
      "",
      "600000",
      "t:events",
      "east",
      "r1",
    ];
    expect(await port.script("limits", [KEY], args("1200"))).toBe(1);
    const r = await lease(0, { want: 0 });
    expect(r).toMatchObject({ rpm: 1_200, rcap: 200, levelR: 100 });
    expect(await port.script("limits", [KEY], args("1200"))).toBe(0);
  });
});

describe("HEARTBEAT script", () => {
  // Breaks if silent replicas keep counting (local-share would divide by too many) or a leave is ignored.
  it("counts live replicas, drops stale ones and those that leave", async () => {
    const beat = (now: number, id: string, leave = "") =>
      port.script("heartbeat", ["t:{replicas}"], [String(now), id, "3000", leave]);
    expect(await beat(0, "a")).toBe(1);
    expect(await beat(1_000, "b")).toBe(2);
    expect(await beat(2_000, "c")).toBe(3);
    expect(await beat(3_500, "b")).toBe(2);
    expect(await beat(3_600, "c", "leave")).toBe(1);
  });
});

describe("LEASE as a heartbeat", () => {
  const SET = "t:{east}:replicas";
  const renew = async (now: number, id: string, withSet = true) => {
    const args = [String(now), "600", "60000", "10", "1", "100", "100", "0", "0", "0", "0", "600000", "0"];
    const reply = (await port.script(
      "lease",
      withSet ? [KEY, SET] : [KEY],
      withSet ? [...args, id, "3000"] : args,
    )) as unknown[];
    return Number(reply[13]);
  };
  const beat = (now: number, id: string) => port.script("heartbeat", [SET], [String(now), id, "3000", ""]);

  // Breaks if a renewal does not keep its replica counted (a busy replica that skips its heartbeats
  // would drop out of the count), or if it counts replicas that went silent.
  it("a renewal with the lane's replicas set keeps its replica there and counts the live ones", async () => {
    expect(await beat(0, "idle")).toBe(1);
    expect(await renew(500, "busy")).toBe(2);
    expect(await renew(2_900, "busy")).toBe(2);
    // "idle" was last heard at 0: at 3,100 it is stale; "busy" renewed at 2,900 and still counts.
    expect(await renew(3_100, "busy")).toBe(1);
    expect(await beat(5_000, "idle")).toBe(2);
    // Without the set (hand-backs on close), the renewal leaves presence alone and answers 0.
    expect(await renew(5_100, "gone", false)).toBe(0);
    expect(await beat(5_200, "idle")).toBe(2);
  });
});
