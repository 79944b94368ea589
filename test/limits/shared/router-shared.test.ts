import { execFileSync } from "node:child_process";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, createRouter, type RouterEvent } from "../../../src/index.js";
import type { RedisClientLike } from "../../../src/limits/shared/redis-port.js";
import { startFleet } from "../../../src/sim/index.js";
import { toRouterEndpoints } from "../../../src/sim/router-endpoints.js";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.js";

// The shared store as the router uses it: config, the dependency, events, shared cooldowns, outages.
type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet;
let server: RedisServer;
const limits = { rpm: 600, tpm: 1_000_000, requestWindowSeconds: 1 };
beforeAll(async () => {
  server = await startRedisServer();
  fleet = await startFleet({
    seed: 3,
    endpoints: [
      { name: "east", type: "azure", deployments: { "gpt-4o": "g-east" }, limits, latency: { ttftMs: 5 } },
      { name: "west", type: "azure", deployments: { "gpt-4o": "g-west" }, limits, latency: { ttftMs: 5 } },
    ],
  });
});
afterAll(async () => {
  await fleet?.close();
  await server?.stop();
});

const endpoints = () => toRouterEndpoints(fleet, { east: { limits }, west: { limits } });
const body = { model: "gpt-4o", messages: [{ role: "user" as const, content: "hi" }], max_tokens: 8 };
const until = async (done: () => boolean) => {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done()).toBe(true);
};

describe("createRouter with redis", () => {
  // Breaks if the redis key is not validated with the rest of the config, each problem with its path.
  it("validates the redis key, every problem with its path", () => {
    const bad = (redis: unknown): string[] => {
      try {
        createRouter({ endpoints: endpoints(), redis } as Parameters<typeof createRouter>[0]);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues.map((i) => i.path);
      }
      throw new Error("accepted");
    };
    expect(bad({ url: "http://127.0.0.1:6379" })).toEqual(["redis.url"]);
    expect(bad({ url: server.url, whenUnavailable: "hope" })).toEqual(["redis.whenUnavailable"]);
    expect(bad({ url: server.url, leaseTargetMs: 5_000, leaseTtlMs: 3_000 })).toEqual([
      "redis.leaseTargetMs",
    ]);
    expect(bad({ url: server.url, commandTimeoutMs: -1, keyPrefix: "" })).toEqual(
      expect.arrayContaining(["redis.commandTimeoutMs", "redis.keyPrefix"]),
    );
    // Neither a URL nor a client: nothing to connect to.
    expect(bad({ keyPrefix: "x" })).toEqual(["redis.url"]);
  });

  // Breaks if a 429 seen by one router does not cool the lane in the other router too.
  it("two routers: a 429 storm seen by one keeps the other off that endpoint", async () => {
    const a = createRouter({
      strategy: "round-robin",
      endpoints: endpoints(),
      redis: { url: server.url, keyPrefix: "rs1" },
    });
    const b = createRouter({
      strategy: "round-robin",
      endpoints: endpoints(),
      redis: { url: server.url, keyPrefix: "rs1" },
    });
    try {
      await Promise.all([a.chat.completions.create(body), b.chat.completions.create(body)]);
      await fleet.setFaults("east", { rateLimitStormMs: 3_000 });
      const cooled: RouterEvent[] = [];
      a.events$.subscribe((e) => e.type === "cooled-down" && cooled.push(e));
      for (let i = 0; i < 4 && cooled.length === 0; i++) await a.chat.completions.create(body);
      expect(cooled.length).toBeGreaterThan(0);
      await until(() => b.snapshot().endpoints.find((e) => e.name === "east")?.state === "cooling");
    } finally {
      await fleet.setFaults("east", {});
      await Promise.all([a.close(), b.close()]);
    }
  });

  // Breaks if the router closes a client it was given, or does not use it.
  it("uses a client passed as dependencies.redis and leaves it open on close", async () => {
    const client = createClient({ url: server.url });
    await client.connect();
    const router = createRouter(
      { strategy: "least-busy", endpoints: endpoints(), redis: { keyPrefix: "rs2" } },
      { redis: client as unknown as RedisClientLike },
    );
    await router.chat.completions.create(body);
    await router.close();
    expect(client.isOpen).toBe(true);
    expect(await client.exists("rs2:{east}:budget")).toBe(1);
    await client.close();
  });

  // Breaks if an outage loses requests or stays silent, or recovery needs a restart.
  it("Redis stops: shared-store-down, requests still served (local-share); back: shared-store-up", async () => {
    const own = await startRedisServer();
    const router = createRouter({
      strategy: "least-busy",
      endpoints: endpoints(),
      redis: { url: own.url, keyPrefix: "rs3", commandTimeoutMs: 300 },
    });
    const events: RouterEvent[] = [];
    router.events$.subscribe(
      (e) => (e.type === "shared-store-down" || e.type === "shared-store-up") && events.push(e),
    );
    try {
      await router.chat.completions.create(body);
      await own.stop();
      await until(() => events.some((e) => e.type === "shared-store-down"));
      expect(events[0]).toMatchObject({ type: "shared-store-down", policy: "local-share", replicas: 1 });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => router.chat.completions.create(body)),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
      await own.restart();
      await until(() => events.some((e) => e.type === "shared-store-up"));
      await router.chat.completions.create(body);
    } finally {
      await router.close();
      await own.stop();
    }
  });
});

describe("without redis", () => {
  // Breaks if the package imports the redis client statically: it must load without it installed.
  it("never loads the redis client unless redis is configured", () => {
    const hook = `data:text/javascript,${encodeURIComponent(
      'export async function resolve(s, c, n) { if (s === "redis" || s === "ioredis" || s.startsWith("@redis/")) throw new Error("loaded " + s); return n(s, c); }',
    )}`;
    const script = `
      import { register, createRequire } from "node:module";
      register(${JSON.stringify(hook)});
      const { createRouter } = await import("./src/index.ts");
      const router = createRouter({ endpoints: [{ name: "oai", type: "openai", apiKey: "sk-x", baseURL: "http://127.0.0.1:9/v1", models: ["gpt-4o"] }] });
      await router.close();
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => /node_modules[\\\\/](redis|ioredis|@redis)[\\\\/]/.test(p));
      if (loaded.length > 0) throw new Error("loaded " + loaded.join(","));
      console.log("clean");
    `;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: new URL("../../../", import.meta.url).pathname,
      encoding: "utf8",
    });
    expect(out.trim()).toBe("clean");
  });
});
