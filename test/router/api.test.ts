import { inspect } from "node:util";
import { AzureOpenAI, OpenAI } from "openai";
import { firstValueFrom, from, lastValueFrom, take, toArray } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import {
  ChatStream,
  type Completion,
  ConfigError,
  createRouter,
  RouterError,
  type RouterEvent,
} from "../../src/index.js";
import { chat, type Rig, rig } from "../helpers/setup.js";

const FLEET = {
  seed: 7,
  endpoints: [
    {
      name: "east",
      type: "azure" as const,
      deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
    },
    { name: "oai", type: "openai" as const, models: ["gpt-4o", "text-embedding-3-small"] },
  ],
};

let current: Rig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe("SDK-shaped API", () => {
  it("returns the SDK's ChatCompletion, identical in shape to a direct SDK call", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const { router, fleet } = current;
    const viaRouter = await router.chat.completions.create(chat("same prompt"));
    const oai = fleet.endpoint("oai");
    const direct = await new OpenAI({
      apiKey: oai.apiKey,
      baseURL: oai.type === "openai" ? oai.baseURL : "",
      maxRetries: 0,
    }).chat.completions.create(chat("same prompt"));
    expect(viaRouter.object).toBe("chat.completion");
    // The first round-robin pick is Azure, whose body adds prompt_filter_results to the SDK's fields.
    expect(Object.keys(viaRouter)).toEqual(expect.arrayContaining(Object.keys(direct)));
    expect(viaRouter.choices[0]?.message.content).toBe(direct.choices[0]?.message.content);
    expect(viaRouter.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("sends the Azure deployment name, not the model name, to Azure endpoints", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const { router, fleet } = current;
    for (let i = 0; i < 4; i++) await router.chat.completions.create(chat(`p${i}`));
    expect(fleet.stats("east").requests).toBe(2);
    expect(fleet.stats("east").byStatus[200]).toBe(2);
    // A direct AzureOpenAI call with the model name would be a 404: the router mapped it.
    const east = fleet.endpoint("east");
    const azure = new AzureOpenAI({
      endpoint: east.url,
      apiKey: east.apiKey,
      apiVersion: "2024-10-21",
      maxRetries: 0,
    });
    await expect(azure.chat.completions.create(chat())).rejects.toMatchObject({ status: 404 });
  });

  it("streams chunks as an async iterable and keeps usage only when asked", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const { router } = current;
    const stream = await router.chat.completions.create({ ...chat("stream me", 20), stream: true });
    expect(stream).toBeInstanceOf(ChatStream);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.choices[0]?.delta?.content)).toBe(true);
    expect(chunks.some((c) => c.choices[0]?.finish_reason)).toBe(true);
    expect(chunks.every((c) => !("usage" in c) || c.usage === undefined)).toBe(true);

    const withUsage = await router.chat.completions.create({
      ...chat("stream me", 20),
      stream: true,
      stream_options: { include_usage: true },
    });
    const all = [];
    for await (const chunk of withUsage) all.push(chunk);
    const last = all.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("embeds through both endpoint types (float and the SDK's default base64)", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const { router } = current;
    const a = await router.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
    const b = await router.embeddings.create({
      model: "text-embedding-3-small",
      input: "c",
      encoding_format: "float",
      dimensions: 8,
    });
    expect(a.data).toHaveLength(2);
    expect(a.data[0]?.embedding).toHaveLength(1536);
    expect(b.data[0]?.embedding).toHaveLength(8);
  });

  it("fails fast with typed errors for impossible requests", async () => {
    current = await rig(FLEET);
    const { router } = current;
    await expect(router.chat.completions.create(chat("x", 5, "gpt-5"))).rejects.toMatchObject({
      code: "NO_ENDPOINT_FOR_MODEL",
    });
    await expect(
      router.chat.completions.create({ model: "gpt-4o" } as unknown as Parameters<
        typeof router.chat.completions.create
      >[0]),
    ).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    const aborted = AbortSignal.abort();
    await expect(router.chat.completions.create(chat(), { signal: aborted })).rejects.toMatchObject({
      code: "ABORTED",
    });
  });

  it("keeps the upstream error as cause for a final 400", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const { router, fleet } = current;
    fleet.setFaults("east", { errorRate: 1, errorStatus: 400 });
    fleet.setFaults("oai", { errorRate: 1, errorStatus: 400 });
    const error = await router.chat.completions.create(chat()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toMatchObject({ code: "UPSTREAM_ERROR", status: 400 });
    expect((error as Error).cause).toBeInstanceOf(OpenAI.BadRequestError);
    // 400 never retries.
    expect(fleet.stats("east").requests + fleet.stats("oai").requests).toBe(1);
  }, 10_000);
});

describe("reactive API", () => {
  it("gives exactly one outcome per request pushed into the Subject", async () => {
    current = await rig(FLEET, { strategy: "least-busy" });
    const { router } = current;
    const outcomes = firstValueFrom(router.completions$.pipe(take(30), toArray()));
    for (let i = 0; i < 25; i++) router.requests.next({ id: `c${i}`, kind: "chat", body: chat(`q${i}`) });
    for (let i = 0; i < 4; i++) {
      router.requests.next({
        id: `e${i}`,
        kind: "embeddings",
        body: { model: "text-embedding-3-small", input: `t${i}` },
      });
    }
    router.requests.next({ id: "bad", kind: "chat", body: chat("x", 5, "unknown-model") });
    const list = await outcomes;
    const ids = list.map((c) => c.id).sort();
    expect(new Set(ids).size).toBe(30);
    expect(list.filter((c) => c.ok)).toHaveLength(29);
    const bad = list.find((c) => c.id === "bad");
    expect(bad?.ok).toBe(false);
    expect(bad && !bad.ok && bad.error.code).toBe("NO_ENDPOINT_FOR_MODEL");
    const good = list.find((c) => c.id === "c0");
    expect(good?.ok && good.endpoint).toMatch(/east|oai/);
    expect(good?.attempts).toHaveLength(1);
    expect(good?.ok && good.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("route() maps a stream of requests to their outcomes and completes", async () => {
    current = await rig(FLEET);
    const { router } = current;
    const requests = Array.from({ length: 12 }, (_, i) => ({
      id: `r${i}`,
      kind: "chat" as const,
      body: chat(`r${i}`),
    }));
    const out: Completion[] = await lastValueFrom(from(requests).pipe(router.route(), toArray()));
    expect(out.map((c) => c.id).sort()).toEqual(requests.map((r) => r.id).sort());
    expect(out.every((c) => c.ok)).toBe(true);
  });

  it("stream() emits chunks and unsubscribing stops the request and frees the slot", async () => {
    current = await rig(
      {
        ...FLEET,
        endpoints: FLEET.endpoints.map((e) => ({ ...e, latency: { ttftMs: 5, tokensPerSecond: 200 } })),
      },
      { strategy: "round-robin" },
    );
    const { router } = current;
    const chunks = await lastValueFrom(router.stream(chat("observable", 10)).pipe(toArray()));
    expect(chunks.length).toBeGreaterThan(3);
    const partial = await firstValueFrom(router.stream(chat("long", 400)).pipe(take(3), toArray()));
    expect(partial).toHaveLength(3);
    await vitestWaitFor(() => router.snapshot().totals.inflight === 0);
    expect(router.snapshot().totals.pending).toBe(0);
  });

  it("metrics$ replays the latest snapshot and events$ reports dispatches", async () => {
    current = await rig(FLEET, { metricsIntervalMs: 20 });
    const { router } = current;
    const events: RouterEvent[] = [];
    router.events$.subscribe((e) => events.push(e));
    await router.chat.completions.create(chat());
    const first = await firstValueFrom(router.metrics$);
    expect(first.endpoints.map((e) => e.name)).toEqual(["east", "oai"]);
    expect(first.totals.succeeded).toBe(1);
    const replayed = await firstValueFrom(router.metrics$);
    expect(replayed.totals.succeeded).toBe(1);
    expect(events.some((e) => e.type === "dispatched")).toBe(true);
  });
});

describe("config and secrets", () => {
  it("lists every config problem with its path", () => {
    let error: unknown;
    try {
      createRouter({
        strategy: "fastest" as "round-robin",
        endpoints: [
          { name: "a", type: "azure", endpoint: "not a url", deployments: {} },
          { name: "a", type: "openai", apiKey: "sk-secret-value", models: [] },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const config = error as ConfigError;
    expect(config.code).toBe("CONFIG_INVALID");
    const paths = config.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "strategy",
        "endpoints.0.endpoint",
        "endpoints.0.deployments",
        "endpoints.0.apiKey",
        "endpoints.1.models",
        "endpoints.1.name",
      ]),
    );
    expect(config.message).not.toContain("sk-secret-value");
  });

  it("never shows keys in toString, inspect, JSON, metrics or events", async () => {
    current = await rig(FLEET);
    const { router, fleet } = current;
    const events: RouterEvent[] = [];
    router.events$.subscribe((e) => events.push(e));
    await router.chat.completions.create(chat());
    const everything = [
      String(router),
      inspect(router, { depth: 10 }),
      JSON.stringify(router),
      JSON.stringify(router.snapshot()),
      JSON.stringify(events),
    ].join("\n");
    for (const e of fleet.endpoints) expect(everything).not.toContain(e.apiKey);
    expect(String(router)).toContain("east");
  });
});

describe("close()", () => {
  it("drains in-flight work, rejects new requests and leaves no handle behind", async () => {
    const before = new Set(process.getActiveResourcesInfo());
    current = await rig(
      { ...FLEET, endpoints: FLEET.endpoints.map((e) => ({ ...e, latency: { ttftMs: 30 } })) },
      { metricsIntervalMs: 10 },
    );
    const { router, fleet } = current;
    const metricsSub = router.metrics$.subscribe();
    const inFlight = Array.from({ length: 10 }, (_, i) => router.chat.completions.create(chat(`d${i}`)));
    let completed = false;
    router.completions$.subscribe({ complete: () => (completed = true) });
    const closing = router.close();
    await expect(router.chat.completions.create(chat())).rejects.toMatchObject({ code: "ROUTER_CLOSED" });
    const results = await Promise.all(inFlight);
    await closing;
    expect(results).toHaveLength(10);
    expect(completed).toBe(true);
    expect(metricsSub.closed).toBe(true);
    await fleet.close();
    current = undefined;
    await vitestWaitFor(() => countNew(before) === 0);
    expect(process.getActiveResourcesInfo().filter((r) => !before.has(r) && r !== "TTYWrap")).toEqual([]);
  });
});

function countNew(before: Set<string>): number {
  return process.getActiveResourcesInfo().filter((r) => !before.has(r) && r !== "TTYWrap").length;
}

async function vitestWaitFor(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
