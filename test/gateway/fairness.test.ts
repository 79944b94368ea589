import { afterEach, describe, expect, it } from "vitest";
import { chat, type GatewayRig, gatewayRig, until } from "./rig.js";

const A_KEY = "client-a-key-0123456789";
const B_KEY = "client-b-key-0123456789";

let current: GatewayRig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** One endpoint that runs 2 calls at a time (40 ms each); A floods 100 requests, then B sends 10. */
async function flood(fairness: { enabled: boolean }): Promise<{ order: string[]; positions: number[] }> {
  current = await gatewayRig(
    { seed: 5, endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 40 } }] },
    { extras: { oai: { limits: { concurrency: 2 } } } },
    {
      clients: [
        { name: "a", key: A_KEY },
        { name: "b", key: B_KEY },
      ],
      fairness,
    },
  );
  const r = current;
  const order: string[] = [];
  const clients = { a: r.client(A_KEY), b: r.client(B_KEY) };
  const send = (name: "a" | "b", i: number) =>
    clients[name].chat.completions.create(chat(`${name}${i}`)).then(() => order.push(name));
  const a = Array.from({ length: 100 }, (_, i) => send("a", i));
  // B arrives once A's flood is waiting (in the gateway's queue, or in the router's when fairness is off).
  await until(() => {
    const queued = r.gateway.clients().find((c) => c.name === "a")?.queued ?? 0;
    return queued + r.router.snapshot().totals.pending + order.length >= 100;
  }, "all of A's flood to arrive");
  const before = order.length;
  const b = Array.from({ length: 10 }, (_, i) => send("b", i));
  await Promise.all([...a, ...b]);
  // How many completions after B arrived each of B's requests came (A's backlog then: 100 - before).
  const positions = order.flatMap((name, i) => (name === "b" ? [i - before] : []));
  expect(100 - before).toBeGreaterThan(60);
  return { order, positions };
}

describe("fairness between clients of one priority", () => {
  // Breaks if the gateway lets one client's backlog fill the router's FIFO queue ahead of another client.
  it("a client sending 10x more does not delay another beyond one turn per request", async () => {
    const { positions } = await flood({ enabled: true });
    expect(positions).toHaveLength(10);
    // The stated bound: each of B's requests waits for at most one turn of A (quantum 512 tokens ≈ 11 of
    // these requests), the 4 let into the router's queue and the 2 running: B is done within ~30 completions.
    expect(Math.max(...positions)).toBeLessThan(35);
  });

  // The control: without the fair queues, B waits behind A's whole backlog (what the test above rules out).
  it("without fairness, B waits behind the flood", async () => {
    const { positions } = await flood({ enabled: false });
    expect(Math.min(...positions)).toBeGreaterThan(50);
  });
});

describe("priority per client", () => {
  // Breaks if a client's priority does not order its requests ahead of a lower-priority client's backlog.
  it("serves a higher-priority client's requests before a waiting lower-priority backlog", async () => {
    current = await gatewayRig(
      { seed: 7, endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 40 } }] },
      { extras: { oai: { limits: { concurrency: 1 } } } },
      {
        clients: [
          { name: "batch", key: A_KEY, priority: 5 },
          { name: "web", key: B_KEY, priority: 0 },
        ],
      },
    );
    const r = current;
    const order: string[] = [];
    const batch = r.client(A_KEY);
    const web = r.client(B_KEY);
    const low = Array.from({ length: 30 }, (_, i) =>
      batch.chat.completions.create(chat(`low${i}`)).then(() => order.push("batch")),
    );
    await until(() => {
      const queued = r.gateway.clients().find((c) => c.name === "batch")?.queued ?? 0;
      return queued + r.router.snapshot().totals.pending + order.length >= 30;
    }, "the batch backlog to arrive");
    const before = order.length;
    const high = Array.from({ length: 5 }, (_, i) =>
      web.chat.completions.create(chat(`high${i}`)).then(() => order.push("web")),
    );
    await Promise.all([...low, ...high]);
    const positions = order.flatMap((name, i) => (name === "web" ? [i - before] : []));
    expect(30 - before).toBeGreaterThan(15);
    // Ahead of web: the one running and the queuedPerModel (4) batch requests already in the router's
    // queue, which the router itself orders by priority too.
    expect(Math.max(...positions)).toBeLessThan(5 + 1 + 4 + 1);
  });
});
