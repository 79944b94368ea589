import { OpenAI } from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterEach, describe, expect, it } from "vitest";
import { type Completion, createRouter, RouterError } from "../../src/index.js";
import { toRouterEndpoints } from "../../src/sim/router-endpoints.js";
import { type Rig, rig, virtualRig } from "../helpers/setup.js";

const MODEL = "gpt-4o";
const THREE = {
  seed: 41,
  endpoints: [
    { name: "east", type: "azure" as const, deployments: { [MODEL]: "gpt4o-east" } },
    { name: "west", type: "azure" as const, deployments: { [MODEL]: "gpt4o-west" } },
    { name: "oai", type: "openai" as const, models: [MODEL] },
  ],
};

let current: Rig | undefined;
const extra: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await current?.close();
  current = undefined;
  for (const r of extra.splice(0)) await r.close();
});

function outcomesOf(r: Rig): Completion[] {
  const outcomes: Completion[] = [];
  r.router.completions$.subscribe((c) => outcomes.push(c));
  return outcomes;
}

const served = (r: Rig) => Object.fromEntries(THREE.endpoints.map((e) => [e.name, r.fleet.stats(e.name)]));

describe("router.responses", () => {
  // Breaks if the Responses API is not routed, or Azure is not reached on its v1 path with the deployment.
  it("creates responses on every flavour, the SDK's Response object as it is", async () => {
    current = await rig(THREE, { strategy: "round-robin" });
    const outcomes = outcomesOf(current);
    for (let i = 0; i < 3; i++) {
      const res = await current.router.responses.create({
        model: MODEL,
        input: `hello ${i}`,
        max_output_tokens: 20,
      });
      expect(res.object).toBe("response");
      expect(res.id).toMatch(/^resp_/);
      expect(res.output_text.length).toBeGreaterThan(0);
      expect(res.usage?.output_tokens).toBeGreaterThan(0);
    }
    for (const s of Object.values(served(current))) expect(s.byStatus[200]).toBe(1);
    expect(outcomes.map((c) => c.kind)).toEqual(["responses", "responses", "responses"]);
    const snapshot = current.router.snapshot();
    expect(snapshot.endpoints.every((e) => e.completionTokens > 0)).toBe(true);
  });

  // Breaks if follow-ups are balanced like fresh requests: the service answers 404 elsewhere.
  it("keeps a 5-turn conversation on the endpoint that holds it (0 404s) across 3 endpoints", async () => {
    current = await rig(THREE, { strategy: "round-robin" });
    let previous = await current.router.responses.create({
      model: MODEL,
      input: "turn 0",
      max_output_tokens: 16,
    });
    const owner = Object.entries(served(current)).find(([, s]) => s.requests === 1)?.[0];
    for (let turn = 1; turn < 5; turn++) {
      previous = await current.router.responses.create({
        model: MODEL,
        input: `turn ${turn}`,
        previous_response_id: previous.id,
        max_output_tokens: 16,
      });
      expect(previous.previous_response_id).toBeTruthy();
    }
    const stats = served(current);
    expect(stats[owner as string]?.byStatus).toEqual({ 200: 5 });
    for (const s of Object.values(stats)) expect(s.byStatus[404] ?? 0).toBe(0);
    // The stored response and its items are read from the owner too.
    const again = await current.router.responses.retrieve(previous.id);
    expect(again.id).toBe(previous.id);
    const items = await current.router.responses.inputItems.list(previous.id);
    expect(items.object).toBe("list");
    expect(items.data.length).toBeGreaterThan(0);
    const deleted = await current.router.responses.delete(previous.id);
    expect(deleted).toMatchObject({ id: previous.id, deleted: true });
    expect(served(current)[owner as string]?.requests).toBe(8);
  });

  // Breaks if a follow-up's stored context is left out of its TPM charge.
  it("charges a follow-up for the conversation it continues", async () => {
    current = await rig(THREE, {
      strategy: "round-robin",
      extras: {
        east: { limits: { tpm: 2_000 } },
        west: { limits: { tpm: 2_000 } },
        oai: { limits: { tpm: 2_000 } },
      },
    });
    const long = "word ".repeat(1_000);
    const first = await current.router.responses.create({ model: MODEL, input: long, max_output_tokens: 16 });
    const followUp = await current.router.responses
      .create({ model: MODEL, input: long, previous_response_id: first.id, max_output_tokens: 16 })
      .catch((e: unknown) => e);
    // 1,000 new words + the stored ~1,000-token context + the cap exceed every 2,000-token budget.
    expect(followUp).toBeInstanceOf(RouterError);
    expect((followUp as RouterError).code).toBe("REQUEST_TOO_LARGE");
  });

  // Breaks if a stream does not hold to its owner, or ownership is not learned from a streamed response.
  it("streams events as the SDK's stream and learns the owner from the final event", async () => {
    current = await rig(THREE, { strategy: "round-robin" });
    const stream = await current.router.responses.create({ model: MODEL, input: "stream me", stream: true });
    const types: string[] = [];
    let id = "";
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed") id = event.response.id;
    }
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(text.length).toBeGreaterThan(0);
    const next = await current.router.responses.create({
      model: MODEL,
      input: "more",
      previous_response_id: id,
    });
    expect(next.status).toBe("completed");
    for (const s of Object.values(served(current))) expect(s.byStatus[404] ?? 0).toBe(0);
  });

  // Breaks if asResponse() rebuilds a Responses stream as chat SSE (no event lines, a `[DONE]` the
  // service never sends) instead of as the service sent it.
  it("rebuilds a streamed response's body as typed events, as the service sends them", async () => {
    current = await rig(THREE, { strategy: "round-robin" });
    const response = await current.router.responses
      .create({ model: MODEL, input: "as a response", max_output_tokens: 16, stream: true })
      .asResponse();
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    expect(text.startsWith("event: response.created\ndata: {")).toBe(true);
    expect(text).toMatch(/event: response\.(completed|incomplete)\n/);
    expect(text).not.toContain("[DONE]");
  });

  // Breaks if a stream that fails before its first delta is not failed over.
  it("fails a stream over until its first output delta", async () => {
    current = await rig(THREE, { strategy: "round-robin" });
    current.fleet.setFaults("east", { errorRate: 1, errorStatus: 503 });
    const outcomes = outcomesOf(current);
    const stream = await current.router.responses.create({ model: MODEL, input: "x", stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events.at(-1)?.type).toBe("response.completed");
    expect(outcomes[0]?.attempts.map((a) => [a.endpoint, a.status])).toEqual([
      ["east", 503],
      ["west", 200],
    ]);
  });

  // Breaks if the owner's id is forgotten across routers: a second process must find it by asking.
  it("finds the owner of an id it has never seen by asking the endpoints, and remembers it", async () => {
    current = await rig(THREE, { strategy: "round-robin" });
    await current.router.responses.create({ model: MODEL, input: "skip east" }); // round-robin: east
    const made = await current.router.responses.create({ model: MODEL, input: "on west" });
    const other = createRouter({ endpoints: toRouterEndpoints(current.fleet), strategy: "round-robin" });
    extra.push(other);
    const before = served(current);
    const found = await other.responses.retrieve(made.id);
    expect(found.id).toBe(made.id);
    const next = await other.responses.create({
      model: MODEL,
      input: "go on",
      previous_response_id: made.id,
    });
    expect(next.status).toBe("completed");
    const after = served(current);
    // east was asked once (404), west answered the lookup, the retrieve and the follow-up.
    expect((after.east?.requests ?? 0) - (before.east?.requests ?? 0)).toBe(1);
    expect((after.west?.requests ?? 0) - (before.west?.requests ?? 0)).toBe(3);
    expect((after.oai?.requests ?? 0) - (before.oai?.requests ?? 0)).toBe(0);
  });

  // Breaks if calls on an unknown id are not answered with the service's own 404.
  it("answers the service's 404 for an id no endpoint holds", async () => {
    current = await rig(THREE);
    const error = await current.router.responses.retrieve("resp_nowhere").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UPSTREAM_ERROR", status: 404 });
  });

  // Breaks if a request pinned to a dead owner is sent elsewhere, or fails with a vague error.
  it("fails with AFFINITY_UNAVAILABLE naming the owner when it cannot serve", async () => {
    current = await rig(THREE, { strategy: "round-robin", retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const made = await current.router.responses.create({ model: MODEL, input: "hello" }); // east
    await current.fleet.setFaults("east", { down: true });
    const error = await current.router.responses
      .create({ model: MODEL, input: "again", previous_response_id: made.id })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "AFFINITY_UNAVAILABLE", endpoint: "east", ref: made.id });
    expect((error as Error).message).toContain('"east"');
    expect(served(current).west?.requests).toBe(0);
    expect(served(current).oai?.requests).toBe(0);
  });

  // Breaks if the reactive API does not give exactly one outcome per pushed responses request.
  it("gives exactly one outcome per request pushed with kind responses", async () => {
    current = await rig(THREE, { strategy: "least-busy" });
    const outcomes = outcomesOf(current);
    for (let i = 0; i < 30; i++)
      current.router.requests.next({
        id: `r${i}`,
        kind: "responses",
        body: { model: MODEL, input: `q${i}` },
      });
    current.router.requests.next({ id: "bad", kind: "responses", body: { model: MODEL } as never });
    while (outcomes.length < 31) await new Promise((r) => setTimeout(r, 5));
    expect(new Set(outcomes.map((c) => c.id)).size).toBe(31);
    expect(outcomes.filter((c) => c.ok)).toHaveLength(30);
    expect(outcomes.find((c) => c.id === "bad")).toMatchObject({
      ok: false,
      error: { code: "REQUEST_INVALID" },
    });
  });
});

describe("responses affinity in virtual time", () => {
  // Breaks if a follow-up goes elsewhere (or fails) while its owner cools: it must wait for the owner.
  it("waits for a cooling owner within the deadline, then succeeds there", async () => {
    const r = await virtualRig(THREE, { strategy: "round-robin" });
    current = r;
    const made = await r.router.responses.create({ model: MODEL, input: "hello" }); // east
    r.fleet.setFaults("east", { rateLimitStormMs: 3_000 });
    const start = r.clock.now();
    const outcomes = outcomesOf(r);
    void r.router.responses.create({ model: MODEL, input: "follow", previous_response_id: made.id });
    await r.clock.runUntil(() => outcomes.length === 1, r.idle);
    expect(outcomes[0]).toMatchObject({ ok: true, endpoint: "east" });
    expect(outcomes[0]?.attempts.map((a) => a.status)).toEqual([429, 200]);
    expect(r.clock.now() - start).toBe(3_000);
    expect(r.fleet.stats("west").requests + r.fleet.stats("oai").requests).toBe(0);
  });
});

describe("router.fetch and the Responses API", () => {
  // Breaks if router.fetch does not route /responses and its verbs for the SDK.
  it("serves the SDK's responses calls, JSON and streamed, through router.fetch", async () => {
    current = await rig(THREE, { strategy: "round-robin" });
    const client = new OpenAI({
      apiKey: "unused",
      baseURL: "http://router.invalid/v1",
      fetch: current.router.fetch,
      maxRetries: 0,
    });
    const first = await client.responses.create({ model: MODEL, input: "hi", max_output_tokens: 16 });
    expect(first.object).toBe("response");
    const stream = await client.responses.create({
      model: MODEL,
      input: "go",
      previous_response_id: first.id,
      stream: true,
    });
    let last = "";
    for await (const e of stream) last = e.type;
    expect(last).toBe("response.completed");
    expect((await client.responses.retrieve(first.id)).id).toBe(first.id);
    const page = await client.responses.inputItems.list(first.id);
    expect(page.data.length).toBeGreaterThan(0);
    const missed = () =>
      Object.values(served(current as Rig)).reduce((n, s) => n + (s.byStatus[404] ?? 0), 0);
    expect(missed()).toBe(0); // every follow-up and read went to the owner
    await client.responses.delete(first.id);
    const gone = await client.responses.retrieve(first.id).catch((e: unknown) => e);
    // Deleted, so forgotten: the router asks all three endpoints, then the service's 404 comes back.
    expect(gone).toMatchObject({ status: 404 });
    expect(missed()).toBe(4);
  });
});

describe("soft affinity", () => {
  const longPrefix = "You are a meticulous assistant. ".repeat(260); // > 1,024 tokens: cacheable

  // Breaks if requests sharing a cache key are spread by the strategy instead of kept together.
  it("keeps requests with one prompt_cache_key on the endpoint that served it; off, they spread", async () => {
    for (const soft of [true, false]) {
      current = await rig(THREE, { strategy: "round-robin", affinity: { soft } });
      let cached = 0;
      for (let i = 0; i < 6; i++) {
        const res = await current.router.responses.create({
          model: MODEL,
          instructions: longPrefix,
          input: `question ${i}`,
          prompt_cache_key: "tenant-42",
          max_output_tokens: 16,
        });
        cached += res.usage?.input_tokens_details.cached_tokens ?? 0;
      }
      const used = Object.values(served(current)).filter((s) => s.requests > 0).length;
      // The metrics count the cached input tokens each endpoint reported.
      expect(current.router.snapshot().endpoints.reduce((n, e) => n + e.cachedTokens, 0)).toBe(cached);
      if (soft) {
        expect(used).toBe(1);
        expect(cached).toBeGreaterThan(0); // the sim's prompt cache paid on every repeat
      } else expect(used).toBe(3);
      await current.close();
      current = undefined;
    }
  });

  // Breaks if soft affinity makes a request wait for (or queue behind) its preferred endpoint.
  it("never waits for the preferred endpoint: when it is full, the strategy decides", async () => {
    current = await rig(
      {
        seed: 43,
        endpoints: [
          { name: "a", type: "openai", models: [MODEL], latency: { ttftMs: 300 } },
          { name: "b", type: "openai", models: [MODEL] },
        ],
      },
      { strategy: "round-robin", extras: { a: { limits: { concurrency: 1 } } } },
    );
    const chatBody = (content: string) => ({
      model: MODEL,
      messages: [{ role: "user" as const, content }],
      max_tokens: 8,
      user: "alice",
    });
    await current.router.chat.completions.create(chatBody("first")); // round-robin: a, and alice → a
    const slow = current.router.chat.completions.create(chatBody("holds a")); // preferred a, free: a
    const outcomes = outcomesOf(current);
    await current.router.chat.completions.create(chatBody("a is full")); // a busy: strategy → b
    expect(outcomes[0]).toMatchObject({ ok: true, endpoint: "b", latencyMs: expect.any(Number) });
    await slow;
    expect(current.fleet.stats("a").requests).toBe(2);
  });
});

describe("rate-limit headers of -1", () => {
  // Breaks if Azure's `x-ratelimit-limit-tokens: -1` (sent by its Responses API) is learned as a limit.
  it("ignores them: nothing is learned and the lane keeps admitting", async () => {
    const body = JSON.stringify({
      id: "resp_minus_one",
      object: "response",
      created_at: 0,
      status: "completed",
      model: MODEL,
      output: [
        {
          type: "message",
          id: "msg_1",
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: "ok", annotations: [] }],
        },
      ],
      usage: {
        input_tokens: 5,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 1,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 6,
      },
    });
    const fetch: typeof globalThis.fetch = async () =>
      new Response(body, {
        status: 200,
        headers: {
          "content-type": "application/json",
          "x-ratelimit-limit-tokens": "-1",
          "x-ratelimit-remaining-tokens": "-1",
          "x-ratelimit-limit-requests": "-1",
          "x-ratelimit-remaining-requests": "-1",
        },
      });
    const router = createRouter({
      endpoints: [
        {
          name: "az",
          type: "azure",
          endpoint: "http://127.0.0.1:9",
          apiKey: "k-az-0000",
          deployments: { [MODEL]: "d" },
        },
      ],
      fetch,
    });
    extra.push(router);
    const learned: unknown[] = [];
    router.events$.subscribe((e) => e.type === "limits-learned" && learned.push(e));
    for (let i = 0; i < 5; i++)
      expect((await router.responses.create({ model: MODEL, input: "x" })).id).toBe("resp_minus_one");
    expect(learned).toEqual([]);
    const lane = router.snapshot().endpoints[0];
    expect(lane?.tpm.limit).toBeNull();
    expect(lane?.rpm.limit).toBeNull();
  });
});

describe("item references", () => {
  // Breaks if a request that refers to stored items (as the AI SDK sends earlier turns) is balanced
  // away from the endpoint that stored them: the service answers 404 elsewhere.
  it("sends a request with an item_reference to the endpoint that stored the item", async () => {
    current = await rig(THREE, { strategy: "round-robin" });
    const first = await current.router.responses.create({
      model: MODEL,
      input: "remember this",
      max_output_tokens: 16,
    });
    const item = first.output[0];
    expect(item?.id).toBeTruthy();
    for (let i = 0; i < 3; i++) {
      const next = await current.router.responses.create({
        model: MODEL,
        input: [
          { role: "user", content: "remember this" },
          { type: "item_reference", id: item?.id as string },
          { role: "user", content: `and now ${i}?` },
        ],
        max_output_tokens: 16,
      });
      expect(["completed", "incomplete"]).toContain(next.status);
    }
    for (const s of Object.values(served(current))) expect(s.byStatus[404] ?? 0).toBe(0);
  });
});
