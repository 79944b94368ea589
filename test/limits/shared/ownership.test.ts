import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemoryOwnershipStore, RedisOwnershipStore } from "../../../src/limits/shared/ownership.js";
import {
  createRedisPort,
  type RedisClientLike,
  type RedisPort,
} from "../../../src/limits/shared/redis-port.js";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.js";

let server: RedisServer;
const ports: RedisPort[] = [];
const port = () => {
  const client = createClient({
    url: server.url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 50 },
  });
  const p = createRedisPort({
    client: client as unknown as RedisClientLike,
    owned: true,
    commandTimeoutMs: 2_000,
  });
  ports.push(p);
  return p;
};
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(ports.map((p) => p.close()));
  await server?.stop();
});

describe("InMemoryOwnershipStore", () => {
  // Breaks if an owner outlives its TTL or a delete is ignored.
  it("remembers an owner until its TTL, forgets it on delete", async () => {
    let now = 1_000;
    const owners = new InMemoryOwnershipStore({ now: () => now });
    await owners.set("response", "resp_1", "east", 500);
    await owners.set("conversation", "resp_1", "west", 500);
    expect(await owners.get("response", "resp_1")).toBe("east");
    expect(await owners.get("conversation", "resp_1")).toBe("west");
    now = 1_500;
    expect(await owners.get("response", "resp_1")).toBeUndefined();
    await owners.set("response", "resp_2", "east", 500);
    await owners.delete("response", "resp_2");
    expect(await owners.get("response", "resp_2")).toBeUndefined();
  });

  // Breaks if the store grows without bound.
  it("drops the oldest entry past maxEntries", async () => {
    const owners = new InMemoryOwnershipStore({ maxEntries: 2 });
    await owners.set("response", "a", "east", 60_000);
    await owners.set("response", "b", "east", 60_000);
    await owners.set("response", "c", "east", 60_000);
    expect(await owners.get("response", "a")).toBeUndefined();
    expect(await owners.get("response", "c")).toBe("east");
  });
});

describe("RedisOwnershipStore", () => {
  // Breaks if an owner written by one replica cannot be read by another (a follow-up at another replica).
  it("an owner set by one replica is found by another, with the TTL in Redis", async () => {
    const a = new RedisOwnershipStore({ port: port(), keyPrefix: "own" });
    const b = new RedisOwnershipStore({ port: port(), keyPrefix: "own" });
    await a.set("response", "resp_x", "east", 60_000);
    expect(await b.get("response", "resp_x")).toBe("east");
    const ttl = Number(await port().command(["PTTL", "own:owner:response:{resp_x}"]));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await b.delete("response", "resp_x");
    expect(await a.get("response", "resp_x")).toBeDefined(); // a's own cache still has it
    const c = new RedisOwnershipStore({ port: port(), keyPrefix: "own" });
    expect(await c.get("response", "resp_x")).toBeUndefined();
  });

  // Breaks if Redis expiry is not used (entries would pile up forever) or different prefixes collide.
  it("entries expire in Redis, and key prefixes keep tenants apart", async () => {
    const a = new RedisOwnershipStore({ port: port(), keyPrefix: "t1" });
    const b = new RedisOwnershipStore({ port: port(), keyPrefix: "t2" });
    await a.set("conversation", "conv_1", "west", 50);
    expect(await b.get("conversation", "conv_1")).toBeUndefined();
    await new Promise((r) => setTimeout(r, 120));
    const fresh = new RedisOwnershipStore({ port: port(), keyPrefix: "t1" });
    expect(await fresh.get("conversation", "conv_1")).toBeUndefined();
  });

  // Breaks if a Redis outage loses what this replica knows, or a failed write is silent.
  it("answers from its own writes while Redis is away, and reports a failed write", async () => {
    const own = await startRedisServer();
    const client = createClient({
      url: own.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 50 },
    });
    const p = createRedisPort({
      client: client as unknown as RedisClientLike,
      owned: true,
      commandTimeoutMs: 300,
    });
    try {
      const owners = new RedisOwnershipStore({ port: p, keyPrefix: "o" });
      await owners.set("response", "resp_k", "oai", 60_000);
      await own.stop();
      expect(await owners.get("response", "resp_k")).toBe("oai");
      expect(await owners.get("response", "resp_unknown")).toBeUndefined();
      await expect(owners.set("response", "resp_n", "east", 60_000)).rejects.toMatchObject({
        code: "SHARED_STORE_UNAVAILABLE",
      });
      expect(await owners.get("response", "resp_n")).toBe("east");
    } finally {
      await p.close();
      await own.stop();
    }
  });
});
