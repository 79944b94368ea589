import { afterEach, describe, expect, it } from "vitest";
import { createGateway } from "../../src/gateway/gateway.js";
import { createDashboardHandler } from "../../src/metrics/web/handler.js";
import { rig } from "../helpers/setup.js";
import { chat, FLEET, type GatewayRig, gatewayRig, until } from "./rig.js";

let current: GatewayRig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const ONE_EACH = {
  seed: 8,
  endpoints: [
    {
      name: "chat-only",
      type: "openai" as const,
      models: ["gpt-4o"],
      latency: { ttftMs: 200, tokensPerSecond: 20 },
    },
    { name: "emb-only", type: "openai" as const, models: ["text-embedding-3-small"] },
  ],
};

describe("health and readiness", () => {
  // Breaks if /readyz stays 200 when the only endpoint of a model cannot serve, or never comes back.
  it("flips /readyz to 503 with the reason when a model's only endpoint goes down, and back", async () => {
    current = await gatewayRig(ONE_EACH, {
      retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 },
      breaker: { consecutiveFailures: 3, cooldownMs: 200 },
    });
    const r = current;
    expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${r.url}/readyz`)).status).toBe(200);
    await r.fleet.setFaults("emb-only", { down: true });
    await r
      .client()
      .embeddings.create({ model: "text-embedding-3-small", input: "a" })
      .catch(() => undefined);
    const down = await fetch(`${r.url}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { reasons: string[] };
    expect(body.reasons).toHaveLength(1);
    expect(body.reasons[0]).toMatch(
      /^model text-embedding-3-small: no endpoint can serve it \(emb-only: circuit open/,
    );
    expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
    await r.fleet.setFaults("emb-only", {});
    // After the breaker's cooldown a probe may go: ready again, and the probe succeeds.
    await until(async () => (await fetch(`${r.url}/readyz`)).status === 200, "ready again");
    expect(
      (await r.client().embeddings.create({ model: "text-embedding-3-small", input: "a" })).data,
    ).toHaveLength(1);
  });

  // Breaks if /metrics is not Prometheus text with the router's and the gateway's figures.
  it("serves /metrics in Prometheus text format", async () => {
    current = await gatewayRig();
    await current.client().chat.completions.create(chat());
    const res = await fetch(`${current.url}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE openai_router_endpoint_attempts_total counter$/m);
    expect(text).toMatch(/^openai_router_gateway_responses_total\{client="anonymous",status="200"\} 1$/m);
  });
});

describe("dashboard", () => {
  // Breaks if /dashboard is not handed to the mounted handler (page and its event stream).
  it("mounts a dashboard handler at /dashboard", async () => {
    const base = await rig(FLEET);
    const gateway = createGateway(base.router, { dashboard: createDashboardHandler(base.router) });
    const url = await gateway.listen(0, "127.0.0.1");
    try {
      const page = await fetch(`${url}/dashboard`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      const events = await fetch(`${url}/dashboard/events`);
      expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
      await events.body?.cancel();
      expect((await fetch(`${url}/dashboard-not`, { method: "POST", body: "{}" })).status).toBe(404);
    } finally {
      await gateway.close({ drainMs: 100 });
      await base.close();
    }
  });
});

describe("client disconnect", () => {
  // Breaks if a caller that goes away keeps its lane's slot (upstream) or its place in the queue.
  it("cancels the request, upstream or queued, and frees the lane's slot", async () => {
    current = await gatewayRig(ONE_EACH, { extras: { "chat-only": { limits: { concurrency: 1 } } } });
    const r = current;
    const client = r.client();
    const running = new AbortController();
    const queued = new AbortController();
    const first = client.chat.completions
      .create({ ...chat("long", 2_000), stream: true }, { signal: running.signal })
      .then(async (s) => {
        for await (const _ of s) {
          /* reads until aborted */
        }
      })
      .catch((e: unknown) => e);
    await until(() => r.router.snapshot().endpoints[0]?.inflight === 1, "the stream to hold the slot");
    const second = client.chat.completions
      .create(chat("waits"), { signal: queued.signal })
      .catch((e: unknown) => e);
    await until(() => r.gateway.clients()[0]?.inflight === 2, "the second request to wait");
    queued.abort();
    await second;
    running.abort();
    await first;
    await until(() => r.router.snapshot().totals.pending === 0, "the router to let both go");
    expect(r.router.snapshot().endpoints[0]?.inflight).toBe(0);
    expect(r.router.snapshot().queue.depth).toBe(0);
    // The queued request never reached the endpoint; the stream (100 s long) was cut.
    expect(r.fleet.stats("chat-only").requests).toBe(1);
    // The slot is free: the next call runs at once.
    expect((await client.chat.completions.create(chat("next"))).object).toBe("chat.completion");
    await until(() => r.log.length >= 3, "access-log lines");
    expect(r.log.slice(0, 2).map((l) => l.code)).toEqual(["CLIENT_CLOSED", "CLIENT_CLOSED"]);
  });
});
