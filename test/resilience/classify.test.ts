import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from "openai";
import { describe, expect, it } from "vitest";
import { IncompleteStreamError } from "../../src/dispatch/routed-stream.js";
import { ResponseInvalidError } from "../../src/errors.js";
import { classifyFailure } from "../../src/resilience/classify.js";

const NOW = 1_700_000_000_000;

/** A real SDK error, built the way the SDK builds it from a response. */
function sdkError(
  status: number,
  error: Record<string, unknown> | undefined,
  headers: Record<string, string> = {},
): APIError {
  return APIError.generate(
    status,
    error === undefined ? undefined : { error },
    undefined,
    new Headers(headers),
  );
}

const AZURE_TOKENS_429 =
  "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.";
const AZURE_CALLS_429 =
  "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.";
const OPENAI_TPM_429 =
  "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s. Visit https://platform.openai.com/account/rate-limits to learn more.";
const OPENAI_RPM_429 =
  "Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.";

describe("classifyFailure", () => {
  it("builds the SDK subclasses it is tested with", () => {
    expect(sdkError(400, {})).toBeInstanceOf(BadRequestError);
    expect(sdkError(401, {})).toBeInstanceOf(AuthenticationError);
    expect(sdkError(403, {})).toBeInstanceOf(PermissionDeniedError);
    expect(sdkError(404, {})).toBeInstanceOf(NotFoundError);
    expect(sdkError(409, {})).toBeInstanceOf(ConflictError);
    expect(sdkError(422, {})).toBeInstanceOf(UnprocessableEntityError);
    expect(sdkError(429, {})).toBeInstanceOf(RateLimitError);
    expect(sdkError(503, {})).toBeInstanceOf(InternalServerError);
  });

  describe("429 rate limited", () => {
    it("cools the lane and retries, with retry-after-ms (float ms)", () => {
      const error = sdkError(
        429,
        { message: "slow down", code: "rate_limit_exceeded" },
        { "retry-after-ms": "1500.5" },
      );
      const f = classifyFailure(error, NOW);
      expect(f).toMatchObject({
        kind: "rate-limited",
        status: 429,
        code: "rate_limit_exceeded",
        retryable: true,
        failoverOnly: false,
        laneEffect: "cool",
        retryAfterMs: 1500.5,
      });
      expect(f.error).toBe(error);
    });

    it("reads retry-after in seconds", () => {
      const f = classifyFailure(sdkError(429, { message: "x" }, { "retry-after": "3" }), NOW);
      expect(f.retryAfterMs).toBe(3_000);
    });

    it("prefers retry-after-ms to retry-after", () => {
      const f = classifyFailure(
        sdkError(429, { message: "x" }, { "retry-after": "3", "retry-after-ms": "2500" }),
        NOW,
      );
      expect(f.retryAfterMs).toBe(2_500);
    });

    it("reads an HTTP-date retry-after against `now`", () => {
      const at = new Date(NOW + 4_000).toUTCString();
      const f = classifyFailure(sdkError(429, { message: "x" }, { "retry-after": at }), NOW);
      expect(f.retryAfterMs).toBe(4_000);
    });

    it("reads Azure's 'Please retry after N seconds' from the body when no header says", () => {
      const f = classifyFailure(sdkError(429, { code: "429", message: AZURE_TOKENS_429 }), NOW);
      expect(f.kind).toBe("rate-limited");
      expect(f.retryAfterMs).toBe(6_000);
      expect(f.code).toBe("429");
    });

    it("reads openai.com's 'Please try again in 2s' from the body", () => {
      const f = classifyFailure(sdkError(429, { message: OPENAI_TPM_429, code: "rate_limit_exceeded" }), NOW);
      expect(f.retryAfterMs).toBe(2_000);
    });

    it("leaves retryAfterMs undefined when nothing says", () => {
      const f = classifyFailure(sdkError(429, { message: "Too many requests" }), NOW);
      expect(f.retryAfterMs).toBeUndefined();
      expect(f.laneEffect).toBe("cool");
    });

    it("does not cap a long retry-after (the lane caps it)", () => {
      const f = classifyFailure(sdkError(429, { message: "x" }, { "retry-after": "86400" }), NOW);
      expect(f.retryAfterMs).toBe(86_400_000);
    });

    it("is not retried on the same endpoint when x-should-retry is false, but fails over", () => {
      const f = classifyFailure(sdkError(429, { message: "x" }, { "x-should-retry": "false" }), NOW);
      expect(f.retryable).toBe(false);
      expect(f.failoverOnly).toBe(true);
      expect(f.laneEffect).toBe("cool");
    });
  });

  describe("429 exhausted budget", () => {
    it.each([
      ["requests", { "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "5000" }],
      ["tokens", { "x-ratelimit-remaining-requests": "10", "x-ratelimit-remaining-tokens": "0" }],
      ["both", { "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "0" }],
      ["requests", { "x-ratelimit-remaining-requests": "0" }],
      ["tokens", { "x-ratelimit-remaining-tokens": "0" }],
    ] as const)("is %s from the remaining headers %j", (expected, headers) => {
      const f = classifyFailure(sdkError(429, { message: "Rate limit exceeded" }, headers), NOW);
      expect(f.exhausted).toBe(expected);
    });

    it.each([
      ["tokens", AZURE_TOKENS_429],
      ["requests", AZURE_CALLS_429],
      ["tokens", OPENAI_TPM_429],
      ["requests", OPENAI_RPM_429],
      ["tokens", "Token limit exceeded"],
      ["requests", "Too many requests"],
      ["both", "Rate limit exceeded"],
      ["both", "Too many requests for your token"],
    ] as const)("is %s from the message %j", (expected, message) => {
      expect(classifyFailure(sdkError(429, { message }), NOW).exhausted).toBe(expected);
    });

    it("headers win over the message", () => {
      const f = classifyFailure(
        sdkError(429, { message: AZURE_TOKENS_429 }, { "x-ratelimit-remaining-requests": "0" }),
        NOW,
      );
      expect(f.exhausted).toBe("requests");
    });
  });

  describe("429 insufficient_quota", () => {
    it("is quota-exhausted: fail over only, and take the endpoint out", () => {
      const error = sdkError(
        429,
        {
          message: "You exceeded your current quota",
          type: "insufficient_quota",
          code: "insufficient_quota",
        },
        { "retry-after": "1" },
      );
      expect(classifyFailure(error, NOW)).toMatchObject({
        kind: "quota-exhausted",
        status: 429,
        code: "insufficient_quota",
        retryable: false,
        failoverOnly: true,
        laneEffect: "disable",
        retryAfterMs: undefined,
      });
    });

    it("is recognised from the type alone", () => {
      const f = classifyFailure(
        sdkError(429, { message: "quota", type: "insufficient_quota", code: null }),
        NOW,
      );
      expect(f.kind).toBe("quota-exhausted");
      expect(f.code).toBeUndefined();
    });
  });

  it.each([401, 403])("%i is an auth failure: fail over and disable the endpoint", (status) => {
    const f = classifyFailure(sdkError(status, { message: "Access denied", code: "401" }), NOW);
    expect(f).toMatchObject({
      kind: "auth",
      status,
      retryable: false,
      failoverOnly: true,
      laneEffect: "disable",
    });
  });

  it("x-should-retry: true does not make an auth failure retryable on the same lane", () => {
    const f = classifyFailure(sdkError(401, { message: "x" }, { "x-should-retry": "true" }), NOW);
    expect(f.retryable).toBe(false);
    expect(f.failoverOnly).toBe(true);
  });

  it("404 disables the model on that endpoint and fails over", () => {
    const f = classifyFailure(
      sdkError(404, {
        message: "The API deployment for this resource does not exist.",
        code: "DeploymentNotFound",
      }),
      NOW,
    );
    expect(f).toMatchObject({
      kind: "not-found",
      status: 404,
      code: "DeploymentNotFound",
      retryable: false,
      failoverOnly: true,
      laneEffect: "disable-model",
    });
  });

  it.each([400, 422])("%i is final: no retry, no lane effect", (status) => {
    const f = classifyFailure(
      sdkError(status, { message: "bad", code: "invalid_value", param: "messages" }),
      NOW,
    );
    expect(f).toMatchObject({
      kind: "bad-request",
      status,
      code: "invalid_value",
      retryable: false,
      failoverOnly: false,
      laneEffect: "none",
    });
  });

  it("a 400 stays final even with x-should-retry: true (the same body fails again)", () => {
    const f = classifyFailure(sdkError(400, { message: "bad" }, { "x-should-retry": "true" }), NOW);
    expect(f.kind).toBe("bad-request");
    expect(f.retryable).toBe(false);
    expect(f.failoverOnly).toBe(false);
  });

  it("an unlisted 4xx is final too", () => {
    const f = classifyFailure(sdkError(418, { message: "teapot" }), NOW);
    expect(f).toMatchObject({ kind: "bad-request", status: 418, retryable: false, laneEffect: "none" });
  });

  it.each([
    [408, "timeout"],
    [409, "conflict"],
    [500, "server"],
    [502, "server"],
    [503, "server"],
    [504, "server"],
  ] as const)("%i is retryable and counts as a lane failure (%s)", (status, kind) => {
    const f = classifyFailure(sdkError(status, { message: "oops" }), NOW);
    expect(f).toMatchObject({ kind, status, retryable: true, failoverOnly: false, laneEffect: "failure" });
  });

  it("x-should-retry: false makes a 500 not retryable here, but another endpoint may serve it", () => {
    const f = classifyFailure(sdkError(500, { message: "oops" }, { "x-should-retry": "false" }), NOW);
    expect(f.kind).toBe("server");
    expect(f.retryable).toBe(false);
    expect(f.failoverOnly).toBe(true);
    expect(f.laneEffect).toBe("failure");
  });

  it("a 503's retry-after is read (the lane honours it like a 429's)", () => {
    expect(classifyFailure(sdkError(503, { message: "busy" }, { "retry-after": "2" }), NOW)).toMatchObject({
      kind: "server",
      retryable: true,
      retryAfterMs: 2_000,
    });
    expect(classifyFailure(sdkError(503, { message: "busy" }), NOW).retryAfterMs).toBeUndefined();
  });

  it("a 5xx without a body is still a server error", () => {
    const f = classifyFailure(sdkError(502, undefined), NOW);
    expect(f).toMatchObject({ kind: "server", status: 502, code: undefined, retryable: true });
  });

  it("a connection error is retryable and a lane failure", () => {
    const error = new APIConnectionError({ message: "Connection error.", cause: new Error("ECONNRESET") });
    expect(classifyFailure(error, NOW)).toMatchObject({
      kind: "connection",
      status: undefined,
      retryable: true,
      failoverOnly: false,
      laneEffect: "failure",
    });
  });

  it("APIError.generate without a status is a connection error", () => {
    const error = APIError.generate(undefined, new Error("socket hang up"), "Connection error.", undefined);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(classifyFailure(error, NOW).kind).toBe("connection");
  });

  it("a timeout is retryable and a lane failure", () => {
    expect(classifyFailure(new APIConnectionTimeoutError(), NOW)).toMatchObject({
      kind: "timeout",
      status: undefined,
      retryable: true,
      laneEffect: "failure",
    });
  });

  it("a caller's abort is neither retried nor held against the lane", () => {
    expect(classifyFailure(new APIUserAbortError(), NOW)).toMatchObject({
      kind: "aborted",
      retryable: false,
      failoverOnly: false,
      laneEffect: "none",
    });
  });

  it.each([
    ["a plain Error", new Error("boom")],
    ["a string", "boom"],
    ["undefined", undefined],
  ])("%s is unknown: not retried, no lane effect", (_, error) => {
    expect(classifyFailure(error, NOW)).toMatchObject({
      kind: "unknown",
      status: undefined,
      code: undefined,
      retryable: false,
      failoverOnly: false,
      laneEffect: "none",
      retryAfterMs: undefined,
      exhausted: "both",
    });
  });

  it("undici's `terminated` (a body cut by the peer) is a retryable connection failure", () => {
    const cut = new TypeError("terminated", {
      cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }),
    });
    expect(classifyFailure(cut, NOW)).toMatchObject({
      kind: "connection",
      retryable: true,
      laneEffect: "failure",
    });
    const reset = new Error("read", {
      cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
    });
    expect(classifyFailure(reset, NOW)).toMatchObject({ kind: "connection", retryable: true });
  });

  it("any other non-SDK error is final and not held against the lane", () => {
    expect(classifyFailure(new TypeError("x is not a function"), NOW)).toMatchObject({
      kind: "unknown",
      retryable: false,
      laneEffect: "none",
    });
  });

  it("keeps the original error", () => {
    const error = sdkError(500, { message: "oops" });
    expect(classifyFailure(error, NOW).error).toBe(error);
  });
});

describe("answers that are not what the operation expects", () => {
  // Breaks if a bad 200 were final (UPSTREAM_ERROR) or neutral for the lane: it must fail over and
  // count against the endpoint like a 5xx.
  it("RESPONSE_INVALID, a SyntaxError from a stream, and an incomplete stream retry and blame the lane", () => {
    for (const error of [
      new ResponseInvalidError("a", "not JSON (text/html)", { status: 200 }),
      new SyntaxError("Unexpected token '<', \"<html>\" is not valid JSON"),
      new IncompleteStreamError(),
    ]) {
      expect(classifyFailure(error, NOW)).toMatchObject({
        kind: "invalid-response",
        status: undefined,
        retryable: true,
        failoverOnly: false,
        laneEffect: "failure",
      });
    }
  });

  // Breaks if an SSE `error` event (an APIError the SDK throws without a status) ended the request.
  it("an error event inside a stream is the endpoint's failure, retried", () => {
    const event = new APIError(
      undefined,
      { message: "overloaded", type: "server_error", code: "busy" },
      undefined,
      undefined,
    );
    expect(classifyFailure(event, NOW)).toMatchObject({
      kind: "server",
      code: "busy",
      retryable: true,
      laneEffect: "failure",
    });
  });

  // Breaks if an abort of a body read (a DOMException, not the SDK's class) were taken for a failure.
  it("an AbortError of a body read is an abort", () => {
    const abort = new DOMException("This operation was aborted", "AbortError");
    expect(classifyFailure(abort, NOW)).toMatchObject({
      kind: "aborted",
      laneEffect: "none",
      retryable: false,
    });
  });
});
