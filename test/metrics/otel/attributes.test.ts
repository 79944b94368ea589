import { describe, expect, it } from "vitest";
import { AbortedError } from "../../../src/errors.js";
import { AttributeCache, endpointInfo } from "../../../src/metrics/otel/describe.js";
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
  // on the attempt that succeeded), or if they were not reused.
  it("keeps one attempt set per endpoint, model, attempt number and status", () => {
    const cache = new AttributeCache(endpoints);
    const failedAttempt = { endpoint: "oai", model: "gpt-4o", status: 503, durationMs: 1 };
    const okAttempt = { endpoint: "oai", model: "gpt-4o", status: 200, durationMs: 1 };
    const first = cache.attempt("chat", failedAttempt, 0);
    expect(first).toMatchObject({
      "http.response.status_code": 503,
      "error.type": "503",
      "openai_router.attempt": 1,
    });
    expect(cache.attempt("chat", failedAttempt, 0)).toBe(first);
    const second = cache.attempt("chat", okAttempt, 1);
    expect(second).toMatchObject({ "http.response.status_code": 200, "openai_router.attempt": 2 });
    expect(second["error.type"]).toBeUndefined();
    const timedOut = cache.attempt(
      "chat",
      { endpoint: "oai", model: "gpt-4o", errorCode: "timeout", durationMs: 1 },
      0,
    );
    expect(timedOut["error.type"]).toBe("timeout");
    expect(timedOut["http.response.status_code"]).toBeUndefined();
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
