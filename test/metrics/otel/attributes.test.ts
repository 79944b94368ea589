import { describe, expect, it } from "vitest";
import { AbortedError } from "../../../src/errors.js";
import { AttributeCache } from "../../../src/metrics/otel/attribute-cache.js";
import { endpointInfo } from "../../../src/metrics/otel/describe.js";
import type { Completion } from "../../../src/types.js";

/**
 * The attribute sets the instrument reuses across requests (built once per combination, frozen):
 * they must never carry one request's outcome into another's, and their number stays bounded.
 */

const endpoints = new Map([
  ["oai", endpointInfo({ type: "openai", baseURL: "https://api.example.test/v1" })],
  ["east", endpointInfo({ type: "azure", endpoint: "https://east.example.test" })],
]);

const ok = (model: string, endpoint = "oai"): Completion => ({
  id: "req_1",
  ok: true,
  kind: "chat",
  endpoint,
  requestedModel: model,
  model,
  attempts: [{ endpoint, model, status: 200, durationMs: 3, startedAt: 1 }],
  latencyMs: 3,
  response: { id: "chatcmpl-1", model: `${model}-2024`, choices: [] } as never,
  usage: undefined,
});

const failed = (model: string): Completion => ({
  id: "req_2",
  ok: false,
  kind: "chat",
  endpoint: "oai",
  requestedModel: model,
  model,
  attempts: [],
  latencyMs: 3,
  error: new AbortedError(),
});

describe("AttributeCache", () => {
  // Breaks if the cache ignored the outcome, endpoint or response model in its key (a failure's
  // error.type would appear on successes, or one endpoint's address on another's requests), or if
  // the sets were not reused and frozen.
  it("reuses one frozen set per combination and keeps outcomes apart", () => {
    const cache = new AttributeCache(endpoints);
    const a = cache.request(ok("gpt-4o"));
    expect(cache.request(ok("gpt-4o"))).toBe(a);
    expect(Object.isFrozen(a.metric)).toBe(true);
    expect(a.metric).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "server.address": "api.example.test",
      "server.port": 443,
      "gen_ai.response.model": "gpt-4o-2024",
    });
    expect(a.metric["error.type"]).toBeUndefined();
    expect(a.input["gen_ai.token.type"]).toBe("input");
    expect(a.output["gen_ai.token.type"]).toBe("output");
    expect(a.wait).toEqual({ "gen_ai.request.model": "gpt-4o" });

    const f = cache.request(failed("gpt-4o"));
    expect(f).not.toBe(a);
    expect(f.metric["error.type"]).toBe(new AbortedError().code);
    expect(f.metric["gen_ai.response.model"]).toBeUndefined();
    expect(cache.request(ok("gpt-4o")).metric["error.type"]).toBeUndefined();

    const east = cache.request(ok("gpt-4o", "east"));
    expect(east.metric).toMatchObject({
      "gen_ai.provider.name": "azure.ai.openai",
      "server.address": "east.example.test",
      "openai_router.endpoint": "east",
    });
  });

  // Breaks if attempt sets were shared across statuses or attempt numbers (a retry's 503 would show
  // on the attempt that succeeded), if their name or error status were wrong, or if they were not reused.
  it("keeps one attempt set per endpoint, model, attempt number and status", () => {
    const cache = new AttributeCache(endpoints);
    const failedAttempt = { endpoint: "oai", model: "gpt-4o", status: 503, durationMs: 1 };
    const okAttempt = { endpoint: "oai", model: "gpt-4o", status: 200, durationMs: 1 };
    const first = cache.attempt("chat", failedAttempt, 0);
    expect(first.attributes).toMatchObject({
      "http.response.status_code": 503,
      "error.type": "503",
      "openai_router.attempt": 1,
    });
    expect(first.name).toBe("chat gpt-4o via oai");
    expect(first.status).toEqual({ code: 2, message: "503" });
    expect(Object.isFrozen(first.attributes)).toBe(true);
    expect(cache.attempt("chat", failedAttempt, 0)).toBe(first);
    const second = cache.attempt("chat", okAttempt, 1);
    expect(second.attributes).toMatchObject({ "http.response.status_code": 200, "openai_router.attempt": 2 });
    expect(second.attributes["error.type"]).toBeUndefined();
    expect(second.status).toBeUndefined();
    const timedOut = cache.attempt(
      "chat",
      { endpoint: "oai", model: "gpt-4o", errorCode: "timeout", durationMs: 1 },
      0,
    );
    expect(timedOut.attributes["error.type"]).toBe("timeout");
    expect(timedOut.attributes["http.response.status_code"]).toBeUndefined();
    expect(cache.attempt("embeddings", okAttempt, 1).name).toBe("embeddings gpt-4o via oai");
  });

  // Breaks if the last-combination shortcut answered for a request that differs from the previous
  // one in any key (kind, model used, outcome), or if the span's start set lacked the router's own
  // low-cardinality attributes or carried the openai provider's on Azure.
  it("answers each combination with its own sets, the same one twice in a row included", () => {
    const cache = new AttributeCache(endpoints);
    const chat = cache.request(ok("gpt-4o"));
    expect(cache.request(ok("gpt-4o"))).toBe(chat);
    expect(chat.spanName).toBe("chat gpt-4o");
    expect(chat.span).toMatchObject({
      ...chat.metric,
      "openai_router.model": "gpt-4o",
      "openai_router.fallback.used": false,
      "openai.api.type": "chat_completions",
    });
    expect(chat.span["gen_ai.request.stream"]).toBeUndefined();
    const stream = cache.request({ ...ok("gpt-4o"), kind: "stream" });
    expect(stream).not.toBe(chat);
    expect(stream.span["gen_ai.request.stream"]).toBe(true);
    const fellBack = cache.request({ ...ok("gpt-4o"), model: "gpt-4o-mini" });
    expect(fellBack.span).toMatchObject({
      "openai_router.model": "gpt-4o-mini",
      "openai_router.fallback.used": true,
    });
    expect(cache.request(failed("gpt-4o")).metric["error.type"]).toBe(new AbortedError().code);
    expect(cache.request(ok("gpt-4o"))).toBe(chat);
    const azure = cache.request(ok("gpt-4o", "east"));
    expect(azure.openai).toBe(false);
    expect(azure.span["openai.api.type"]).toBeUndefined();
    expect(chat.openai).toBe(true);
  });

  // Breaks if the retry and fallback counters' sets mixed endpoints, error types or models.
  it("keeps retry and fallback sets per endpoint and error, per model pair", () => {
    const cache = new AttributeCache(endpoints);
    const r503 = cache.retry({ endpoint: "oai", model: "gpt-4o", status: 503, durationMs: 1 });
    expect(r503).toEqual({ "openai_router.endpoint": "oai", "error.type": "503" });
    expect(cache.retry({ endpoint: "oai", model: "gpt-4o", status: 503, durationMs: 2 })).toBe(r503);
    expect(cache.retry({ endpoint: "east", model: "gpt-4o", errorCode: "timeout", durationMs: 1 })).toEqual({
      "openai_router.endpoint": "east",
      "error.type": "timeout",
    });
    const fallback = cache.fallback({ ...ok("gpt-4o"), model: "gpt-4o-mini" });
    expect(fallback).toEqual({ "gen_ai.request.model": "gpt-4o", "openai_router.model": "gpt-4o-mini" });
    expect(cache.fallback({ ...ok("gpt-4o"), model: "gpt-4o-mini" })).toBe(fallback);
    expect(cache.fallback({ ...ok("gpt-4o"), model: "gpt-35" })).not.toEqual(fallback);
  });

  // Breaks if callers inventing model names could grow the cache without bound, or if past the
  // bound the sets were wrong instead of merely rebuilt.
  it("stops keeping new combinations past its bound, still describing them right", () => {
    const cache = new AttributeCache(endpoints, 2);
    const a = cache.request(ok("m-1"));
    cache.request(ok("m-2"));
    const third = cache.request(ok("m-3"));
    expect(third.metric["gen_ai.request.model"]).toBe("m-3");
    expect(cache.request(ok("m-3"))).not.toBe(third);
    expect(cache.request(ok("m-3")).metric).toEqual(third.metric);
    expect(cache.request(ok("m-1"))).toBe(a);
  });
});
