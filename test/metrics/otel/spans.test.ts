import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { APIError } from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRouter } from "../../../src/index.js";
import { body, closeAll, setup, workload, written } from "./rig.js";
import { otelSdk, useStackContext } from "./sdk.js";

/** Request and attempt spans with the real SDK after a known workload against the sim (see rig.ts). */

afterEach(closeAll);

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
