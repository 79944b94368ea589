import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "../../../src/index.js";
import { startFleet } from "../../../src/sim/index.js";
import { toRouterEndpoints } from "../../../src/sim/router-endpoints.js";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.js";

// Hard affinity across router processes: owners of stored responses shared through Redis.
type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet;
let server: RedisServer;
const routers: Router[] = [];
beforeAll(async () => {
  server = await startRedisServer();
  fleet = await startFleet({
    seed: 8,
    endpoints: ["a", "b", "c"].map((name) => ({ name, type: "openai" as const, models: ["gpt-4o"] })),
  });
});
afterAll(async () => {
  for (const r of routers) await r.close();
  await fleet?.close();
  await server?.stop();
});

function replica(keyPrefix: string): Router {
  const router = createRouter({
    strategy: "round-robin",
    endpoints: toRouterEndpoints(fleet),
    redis: { url: server.url, keyPrefix },
  });
  routers.push(router);
  return router;
}

const requests = () => Object.fromEntries(["a", "b", "c"].map((n) => [n, fleet.stats(n).requests]));

describe("responses ownership through Redis", () => {
  // Breaks if a follow-up arriving at another replica must ask every endpoint (or is sent elsewhere and
  // gets the service's 404) instead of reading the owner the first replica recorded.
  it("a follow-up at another replica goes straight to the owner the first one recorded", async () => {
    const one = replica("affinity-1");
    const two = replica("affinity-1");
    await one.responses.create({ model: "gpt-4o", input: "skip a" }); // round-robin: a
    const made = await one.responses.create({ model: "gpt-4o", input: "made on b", max_output_tokens: 16 });
    // The record is written behind the answer: wait until it has landed.
    const client = createClient({ url: server.url });
    await client.connect();
    for (let i = 0; i < 100 && (await client.keys(`affinity-1*${made.id}*`)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await client.keys(`affinity-1*${made.id}*`)).toHaveLength(1);
    await client.quit();
    const before = requests();
    const next = await two.responses.create({
      model: "gpt-4o",
      input: "go on",
      previous_response_id: made.id,
      max_output_tokens: 16,
    });
    expect(["completed", "incomplete"]).toContain(next.status);
    expect((await two.responses.retrieve(made.id)).id).toBe(made.id);
    const after = requests();
    // b answered both; nobody else was asked (no lookups), and no 404 anywhere.
    expect((after.b ?? 0) - (before.b ?? 0)).toBe(2);
    expect((after.a ?? 0) - (before.a ?? 0)).toBe(0);
    expect((after.c ?? 0) - (before.c ?? 0)).toBe(0);
    for (const n of ["a", "b", "c"]) expect(fleet.stats(n).byStatus[404] ?? 0).toBe(0);
  });

  // Breaks if a replica on another key prefix (another quota) could read this one's owners.
  it("replicas on another key prefix do not see the owners, and find them by asking instead", async () => {
    const one = replica("affinity-2");
    const stranger = replica("affinity-3");
    const made = await one.responses.create({ model: "gpt-4o", input: "private" });
    const before = requests();
    expect((await stranger.responses.retrieve(made.id)).id).toBe(made.id);
    const asked = Object.entries(requests()).reduce((n, [k, v]) => n + v - (before[k] ?? 0), 0);
    expect(asked).toBeGreaterThanOrEqual(2); // at least one lookup, then the retrieve
  });
});
