import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { APIError } from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router, type RouterMetrics } from "../../../src/index.js";
import { type Rig, rig } from "../../helpers/setup.js";
import { otelSdk, points, useStackContext } from "./sdk.js";

/**
 * The router's OpenTelemetry output with the real SDK (in-memory span exporter, a metric reader the
 * test collects) after a known workload against the simulated fleet over real HTTP: a plain call, a
 * 503 retried on the other endpoint (retry + failover), a 429 that cools an endpoint, a stream, an
 * embeddings call and a request no endpoint serves.
 */

const FLEET = {
  seed: 7,
  endpoints: [
    {
      name: "east",
      type: "azure" as const,
      deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
      latency: { ttftMs: 5, tokensPerSecond: 5_000 },
    },
    {
      name: "oai",
      type: "openai" as const,
      models: ["gpt-4o", "text-embedding-3-small"],
      latency: { ttftMs: 5, tokensPerSecond: 5_000 },
    },
  ],
};

const body = (content: string) => ({
  model: "gpt-4o",
  messages: [{ role: "user" as const, content }],
  max_tokens: 12,
});

type Sdk = ReturnType<typeof otelSdk>;
let open: { rig: Rig; sdk: Sdk } | undefined;
afterEach(async () => {
  await open?.rig.close();
  await open?.sdk.shutdown();
  open = undefined;
});

async function setup(semconv?: "v1.41" | "latest") {
  const sdk = otelSdk();
  const r = await rig(FLEET, {
    strategy: "priority",
    extras: { east: { priority: 0 }, oai: { priority: 1, limits: { rpm: 600, tpm: 100_000 } } },
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    instrument: { tracer: sdk.tracer, meter: sdk.meter, ...(semconv ? { semconv } : {}) },
  });
  open = { rig: r, sdk };
  return { ...r, sdk };
}

/** The known workload; returns when every request settled. */
async function workload(router: Router, fleet: Rig["fleet"]) {
  await router.chat.completions.create(body("plain"));
  fleet.setFaults("east", { errorRate: 1, errorStatus: 503 });
  await router.chat.completions.create(body("retried"));
  fleet.setFaults("east", { rateLimitStormMs: 60_000 });
  await router.chat.completions.create(body("throttled"));
  const stream = await router.chat.completions.create({ ...body("streamed"), stream: true });
  for await (const _chunk of stream) {
    // drain
  }
  await router.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
  await router.chat.completions.create({ ...body("nobody"), model: "gpt-unknown" }).catch(() => undefined);
  await written();
}

/** Spans and metrics are written in a batch after the outcomes (see RouterInstrument): let it run. */
const written = () => new Promise((resolve) => setImmediate(resolve));

const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
const requestSpan = (spans: ReadableSpan[], content: string, id: Map<string, string>) =>
  spans.find((s) => s.attributes["openai_router.request.id"] === id.get(content));

describe("spans", () => {
  let restoreContext: () => void;
  beforeAll(() => {
    restoreContext = useStackContext();
    return () => restoreContext();
  });

  // Breaks if request spans were missing, misnamed, not CLIENT, lacked the GenAI or router attributes,
  // or if attempts were not children of their request span, in order, with the endpoint each went to.
  it("writes a CLIENT span per request with a child per attempt and GenAI attributes", async () => {
    const { router, fleet, sdk } = await setup();
    const ids = new Map<string, string>();
    router.completions$.subscribe((c) => {
      if (c.kind === "stream") ids.set("streamed", c.id);
      else if (c.kind === "embeddings") ids.set("embeddings", c.id);
      else if (c.requestedModel === "gpt-unknown") ids.set("nobody", c.id);
      else ids.set(["plain", "retried", "throttled"][ids.size] ?? "?", c.id);
    });
    await workload(router, fleet);
    const spans = sdk.finished();
    const requests = spans.filter((s) => s.parentSpanContext === undefined);
    expect(requests).toHaveLength(6);
    expect(byName(requests, "chat gpt-4o")).toHaveLength(4);
    expect(byName(requests, "embeddings text-embedding-3-small")).toHaveLength(1);
    for (const s of requests) expect(s.kind).toBe(SpanKind.CLIENT);

    const plain = requestSpan(spans, "plain", ids);
    expect(plain?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "azure.ai.openai",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.response.model": "gpt-4o",
      "server.address": "127.0.0.1",
      "openai_router.endpoint": "east",
      "openai_router.attempts": 1,
      "openai_router.fallback.used": false,
    });
    expect(plain?.attributes["gen_ai.response.finish_reasons"]).toEqual(["length"]); // max_tokens 12
    const east = fleet.endpoint("east");
    if (east.type !== "azure") throw new Error("east is the Azure endpoint");
    expect(plain?.attributes["server.port"]).toBe(Number(new URL(east.endpoint).port));
    expect(plain?.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
    expect(plain?.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    expect(typeof plain?.attributes["openai_router.queue.wait"]).toBe("number");
    expect(plain?.attributes["gen_ai.response.id"]).toMatch(/^chatcmpl-/);
    expect(plain?.status.code).not.toBe(SpanStatusCode.ERROR);

    // The 503 is retried on the other endpoint: two children, the failed one marked as an error.
    const retried = requestSpan(spans, "retried", ids) as ReadableSpan;
    expect(retried.attributes).toMatchObject({
      "openai_router.attempts": 2,
      "openai_router.endpoint": "oai",
      "gen_ai.provider.name": "openai",
      "openai.api.type": "chat_completions",
    });
    expect(plain?.attributes["openai.api.type"]).toBeUndefined(); // Azure: not the openai provider's
    const retriedAttempts = childrenOf(spans, retried).sort(
      (a, b) => Number(a.attributes["openai_router.attempt"]) - Number(b.attributes["openai_router.attempt"]),
    );
    expect(retriedAttempts.map((s) => s.name)).toEqual(["chat gpt-4o via east", "chat gpt-4o via oai"]);
    expect(retriedAttempts.map((s) => s.attributes["http.response.status_code"])).toEqual([503, 200]);
    expect(retriedAttempts[0]?.attributes["error.type"]).toBe("503");
    expect(retriedAttempts[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(retriedAttempts[1]?.attributes["error.type"]).toBeUndefined();
    expect(retriedAttempts[0]?.attributes["gen_ai.provider.name"]).toBe("azure.ai.openai");
    for (const a of retriedAttempts) {
      expect(a.kind).toBe(SpanKind.CLIENT);
      expect(a.spanContext().traceId).toBe(retried.spanContext().traceId);
    }

    const throttled = requestSpan(spans, "throttled", ids) as ReadableSpan;
    expect(childrenOf(spans, throttled).map((s) => s.attributes["http.response.status_code"])).toEqual(
      expect.arrayContaining([429, 200]),
    );

    const streamed = requestSpan(spans, "streamed", ids) as ReadableSpan;
    expect(streamed.attributes).toMatchObject({
      "gen_ai.request.stream": true,
      "openai_router.endpoint": "oai",
    });
    expect(streamed.attributes["gen_ai.response.time_to_first_chunk"]).toBeGreaterThan(0);
    expect(streamed.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);

    const nobody = requestSpan(spans, "nobody", ids) as ReadableSpan;
    expect(nobody.name).toBe("chat gpt-unknown");
    expect(nobody.status.code).toBe(SpanStatusCode.ERROR);
    expect(nobody.attributes["error.type"]).toBe("NO_ENDPOINT_FOR_MODEL");
    expect(childrenOf(spans, nobody)).toHaveLength(0);
  });

  // Breaks if the request span were not a child of the caller's active span when the request was
  // made (e.g. if the context were read when the request settled, after the caller's scope ended).
  it("hangs request spans from the caller's active span", async () => {
    const { router, sdk } = await setup();
    const parent = sdk.tracer.startSpan("handler");
    const pending = context.with(trace.setSpan(context.active(), parent), () =>
      router.chat.completions.create(body("inside")),
    );
    await pending;
    await written();
    parent.end();
    const spans = sdk.finished();
    const request = spans.find((s) => s.name === "chat gpt-4o");
    expect(request?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(request?.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  // Breaks if the SDK's work ran on the request's path (before the caller had its answer) instead of
  // right after it.
  it("writes spans after the caller has its answer, not before", async () => {
    const { router, sdk } = await setup();
    await router.chat.completions.create(body("first"));
    expect(sdk.finished()).toHaveLength(0);
    await written();
    expect(sdk.finished().map((s) => s.name)).toEqual(["chat gpt-4o via east", "chat gpt-4o"]);
  });

  // Breaks if an upstream that echoes the key in its error got it into a span's status or attributes
  // (the router's error messages are redacted; the spans must use those, not the SDK's).
  it("never puts a key in a span even when the upstream echoes it back", async () => {
    const sdk = otelSdk();
    const key = "sk-echoed-secret-0123456789";
    const echo = (status: number) =>
      APIError.generate(
        status,
        { error: { message: `rejected key ${key}`, type: "invalid_request_error", param: null, code: null } },
        undefined,
        new Headers({ "content-type": "application/json" }),
      );
    let calls = 0;
    const router = createRouter(
      {
        endpoints: [
          { name: "a", type: "openai", apiKey: key, baseURL: "http://a.test.invalid/v1", models: ["gpt-4o"] },
        ],
        retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 1 },
        instrument: { tracer: sdk.tracer, meter: sdk.meter },
      },
      {
        transport: async () => {
          calls += 1;
          throw echo(calls === 1 ? 503 : 400);
        },
      },
    );
    const error = await router.chat.completions.create(body("echo")).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UPSTREAM_ERROR" });
    await written();
    const spans = sdk.finished();
    expect(spans).toHaveLength(3);
    const text = JSON.stringify([
      spans.map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events })),
      [...(await sdk.collect()).values()].map((m) => m.dataPoints.map((p) => p.attributes)),
    ]);
    expect(text).toContain("[redacted]");
    expect(text).not.toContain(key);
    await router.close();
    await sdk.shutdown();
  });

  // Breaks if a key reached a span name, attribute or status message.
  it("never puts a key in a span", async () => {
    const { router, fleet, sdk } = await setup();
    await workload(router, fleet);
    const text = JSON.stringify(
      sdk
        .finished()
        .map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events })),
    );
    expect(text.length).toBeGreaterThan(1000);
    for (const e of fleet.endpoints) expect(text).not.toContain(e.apiKey);
  });
});

describe("metrics", () => {
  // Breaks if the v1.41 GenAI instruments were missing, had other units, did not count the workload's
  // requests, or lacked the histogram boundaries the conventions give.
  it("records GenAI duration, token usage and time to first chunk (v1.41 names by default)", async () => {
    const { router, fleet, sdk } = await setup();
    await workload(router, fleet);
    const m = await sdk.collect();
    const duration = m.get("gen_ai.client.operation.duration");
    expect(duration?.descriptor.unit).toBe("s");
    const chat = points<Histogram>(duration, { "gen_ai.operation.name": "chat" });
    expect(chat.reduce((n, p) => n + p.value.count, 0)).toBe(5);
    expect(points<Histogram>(duration, { "gen_ai.operation.name": "embeddings" })[0]?.value.count).toBe(1);
    const failed = points<Histogram>(duration, { "error.type": "NO_ENDPOINT_FOR_MODEL" });
    expect(failed.map((p) => p.value.count)).toEqual([1]);
    expect(chat[0]?.value.buckets.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);

    const usage = m.get("gen_ai.client.token.usage");
    expect(usage?.descriptor.unit).toBe("{token}");
    const input = points<Histogram>(usage, { "gen_ai.token.type": "input" });
    const output = points<Histogram>(usage, { "gen_ai.token.type": "output" });
    expect(input.reduce((n, p) => n + p.value.count, 0)).toBe(5); // 4 chats + 1 embeddings
    expect(output.reduce((n, p) => n + p.value.count, 0)).toBe(4);
    expect(input[0]?.value.buckets.boundaries.at(-1)).toBe(67108864);
    const snap = router.snapshot();
    const promptTotal = snap.endpoints.reduce((n, e) => n + e.promptTokens, 0);
    expect(input.reduce((n, p) => n + (p.value.sum ?? 0), 0)).toBe(promptTotal);

    const ttfc = m.get("gen_ai.client.operation.time_to_first_chunk");
    expect(ttfc?.descriptor.unit).toBe("s");
    expect(points<Histogram>(ttfc).map((p) => p.value.count)).toEqual([1]);
    expect(m.has("gen_ai.client.inference.duration")).toBe(false);
  });

  // Breaks if the router's own gauges did not read the live snapshot at collection time: east is
  // cooling after its 429 and has no budgets configured (no series), oai is healthy with budgets.
  it("observes queue, in-flight, cooldown, state, circuits, 429s, attempts and retries", async () => {
    const { router, fleet, sdk } = await setup();
    await workload(router, fleet);
    // The snapshot the collection read (budgets refill in real time, so compare with that one).
    const read: RouterMetrics[] = [];
    const snapshot = router.snapshot.bind(router);
    router.snapshot = () => {
      const s = snapshot();
      read.push(s);
      return s;
    };
    const m = await sdk.collect();
    expect(read).toHaveLength(1);
    const oai = read[0]?.endpoints.find((e) => e.name === "oai");
    expect(points(m.get("openai_router.queue.depth"))[0]?.value).toBe(0);
    expect(
      points(m.get("openai_router.endpoint.inflight"), { "openai_router.endpoint": "oai" })[0]?.value,
    ).toBe(0);
    const cooldown = points<number>(m.get("openai_router.endpoint.cooldown"), {
      "openai_router.endpoint": "east",
    });
    expect(cooldown[0]?.value).toBeGreaterThan(0);
    expect(m.get("openai_router.endpoint.cooldown")?.descriptor.unit).toBe("s");
    const states = points<number>(m.get("openai_router.endpoint.state"), {
      "openai_router.endpoint": "east",
    });
    expect(states.find((p) => p.value === 1)?.attributes["openai_router.endpoint.state"]).toBe("cooling");
    expect(states).toHaveLength(5);
    const circuits = points<number>(m.get("openai_router.endpoint.circuit"), {
      "openai_router.endpoint": "oai",
    });
    expect(circuits.map((p) => [p.attributes["openai_router.circuit.scope"], p.value])).toEqual(
      expect.arrayContaining([
        ["endpoint", 0],
        ["streams", 0],
      ]),
    );
    expect(
      points(m.get("openai_router.endpoint.rate_limited"), { "openai_router.endpoint": "east" })[0]?.value,
    ).toBe(fleet.stats("east").byStatus[429]);
    const attempts = points<number>(m.get("openai_router.endpoint.attempts"), {
      "openai_router.endpoint": "east",
    });
    expect(attempts.find((p) => p.attributes["openai_router.status"] === "503")?.value).toBe(1);
    const retries = points<number>(m.get("openai_router.retries"));
    expect(retries.find((p) => p.attributes["error.type"] === "503")?.value).toBe(1);
    expect(retries.find((p) => p.attributes["error.type"] === "429")?.value).toBeGreaterThanOrEqual(1);
    expect(retries.every((p) => p.attributes["openai_router.endpoint"] === "east")).toBe(true);
    const wait = points<Histogram>(m.get("openai_router.queue.wait"));
    expect(wait.reduce((n, p) => n + p.value.count, 0)).toBe(5);
    // Budgets: only oai has limits configured; unlimited budgets have no series.
    const tpm = points<number>(m.get("openai_router.endpoint.tpm.remaining"));
    expect(tpm.map((p) => p.attributes["openai_router.endpoint"])).toEqual(["oai"]);
    expect(tpm[0]?.value).toBe(oai?.tpm.remaining);
    expect(points<number>(m.get("openai_router.endpoint.rpm.remaining"))[0]?.value).toBe(oai?.rpm.remaining);
  });

  // Breaks if the opt-in did not switch to the renamed instruments (inference duration, per-kind token
  // counters, embeddings apart) or still emitted the v1.41 ones.
  it("emits the latest names under the gen_ai_latest_experimental opt-in", async () => {
    const { router, fleet, sdk } = await setup("latest");
    await workload(router, fleet);
    const m = await sdk.collect();
    expect(m.has("gen_ai.client.operation.duration")).toBe(false);
    expect(m.has("gen_ai.client.token.usage")).toBe(false);
    const inference = points<Histogram>(m.get("gen_ai.client.inference.duration"));
    expect(inference.reduce((n, p) => n + p.value.count, 0)).toBe(5);
    expect(points<Histogram>(m.get("gen_ai.client.embeddings.duration"))[0]?.value.count).toBe(1);
    expect(points<Histogram>(m.get("gen_ai.client.inference.time_to_first_chunk"))[0]?.value.count).toBe(1);
    const input = points<number>(m.get("gen_ai.client.inference.usage.input_tokens"));
    expect(m.get("gen_ai.client.inference.usage.input_tokens")?.descriptor.unit).toBe("{token}");
    expect(input.every((p) => p.attributes["gen_ai.token.modality"] === "unknown")).toBe(true);
    const chatPrompt = router.snapshot().endpoints.reduce((n, e) => n + e.promptTokens, 0);
    const embeddingsIn = points<Histogram>(m.get("gen_ai.client.embeddings.operation.input_tokens"));
    const embeddingsTokens = embeddingsIn.reduce((n, p) => n + (p.value.sum ?? 0), 0);
    expect(embeddingsTokens).toBeGreaterThan(0);
    expect(input.reduce((n, p) => n + p.value, 0)).toBe(chatPrompt - embeddingsTokens);
    expect(
      points<Histogram>(m.get("gen_ai.client.inference.operation.output_tokens")).length,
    ).toBeGreaterThan(0);
  });

  // Breaks if a Responses call were not an inference ("chat" with its usage tokens), or if reading a
  // stored response were reported as inference (it is fetch_response, without tokens, and under the
  // latest conventions on gen_ai.client.operation.duration, not the inference histogram).
  it("reports Responses create as chat and reading a stored response as fetch_response", async () => {
    const { router, sdk } = await setup("latest");
    const created = await router.responses.create({ model: "gpt-4o", input: "hello", max_output_tokens: 16 });
    await router.responses.retrieve(created.id);
    await written();
    const spans = sdk.finished().filter((s) => s.parentSpanContext === undefined);
    const create = spans.find((s) => s.name === "chat gpt-4o");
    expect(create?.attributes["gen_ai.usage.input_tokens"]).toBe(created.usage?.input_tokens);
    expect(create?.attributes["gen_ai.usage.output_tokens"]).toBe(created.usage?.output_tokens);
    const fetched = spans.find((s) => s.attributes["gen_ai.operation.name"] === "fetch_response");
    expect(fetched).toBeDefined();
    expect(fetched?.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    const m = await sdk.collect();
    expect(points<Histogram>(m.get("gen_ai.client.inference.duration"))[0]?.value.count).toBe(1);
    const other = points<Histogram>(m.get("gen_ai.client.operation.duration"), {
      "gen_ai.operation.name": "fetch_response",
    });
    expect(other[0]?.value.count).toBe(1);
    const input = points<number>(m.get("gen_ai.client.inference.usage.input_tokens"));
    expect(input.reduce((n, p) => n + p.value, 0)).toBe(created.usage?.input_tokens);
  });

  // Breaks if a key reached a metric attribute.
  it("never puts a key in a metric attribute", async () => {
    const { router, fleet, sdk } = await setup();
    await workload(router, fleet);
    const m = await sdk.collect();
    const text = JSON.stringify([...m.values()].map((x) => x.dataPoints.map((p) => p.attributes)));
    expect(text).toContain("east");
    for (const e of fleet.endpoints) expect(text).not.toContain(e.apiKey);
  });
});
