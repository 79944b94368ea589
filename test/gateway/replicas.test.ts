import { OpenAI } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "../../src/gateway/gateway.js";
import { createRouter, type Router } from "../../src/index.js";
import { startFleet } from "../../src/sim/index.js";
import { toRouterEndpoints } from "../../src/sim/router-endpoints.js";
import { type RedisServer, startRedisServer } from "../helpers/redis-server.js";
import { chat } from "./rig.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

/**
 * Two gateways (each with its own router) in front of one endpoint of 60 RPM (a 10-request window),
 * 8 requests through each at once, each allowed 1.5 s: what reaches the endpoint and how it answers.
 */
async function twoReplicas(shared: boolean, keyPrefix: string) {
  const fleet = await startFleet({
    seed: 21,
    endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], limits: { rpm: 60 } }],
  });
  const routers: Router[] = [];
  const urls: string[] = [];
  const gateways = [];
  for (let i = 0; i < 2; i++) {
    const router = createRouter({
      endpoints: toRouterEndpoints(fleet, { oai: { limits: { rpm: 60 } } }),
      ...(shared ? { redis: { url: redis.url, keyPrefix } } : {}),
    });
    const gateway = createGateway(router);
    routers.push(router);
    gateways.push(gateway);
    urls.push(await gateway.listen(0, "127.0.0.1"));
  }
  const clients = urls.map((url) => new OpenAI({ apiKey: "unused", baseURL: `${url}/v1`, maxRetries: 0 }));
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      (clients[i % 2] as OpenAI).chat.completions
        .create(chat(`r${i}`), { headers: { "x-openai-router-timeout-ms": "1500" } })
        .then(
          () => 200,
          (e: { status?: number }) => e.status ?? 0,
        ),
    ),
  );
  const stats = fleet.stats("oai");
  for (const g of gateways) await g.close({ drainMs: 500 });
  for (const r of routers) await r.close();
  await fleet.close();
  return { results, stats };
}

describe("gateway replicas with redis", () => {
  // Breaks if two gateway replicas do not spend one endpoint quota together through the router's shared store.
  it("share the endpoints' quota: no endpoint 429 when two replicas together exceed it", async () => {
    const { results, stats } = await twoReplicas(true, `gw-test-${Date.now()}`);
    expect(stats.byStatus[429] ?? 0).toBe(0);
    expect(stats.requests).toBeLessThanOrEqual(12); // a 10-request window + ~1 s of refill at 1/s
    expect(results.filter((s) => s === 200).length).toBeGreaterThanOrEqual(8);
    expect(results.every((s) => s === 200 || s === 504)).toBe(true);
  });

  // The control: without redis each replica believes it owns the whole quota, and the endpoint refuses the excess.
  it("without redis, the same load meets endpoint 429s", async () => {
    const { stats } = await twoReplicas(false, "unused");
    expect(stats.byStatus[429] ?? 0).toBeGreaterThan(0);
  });
});
