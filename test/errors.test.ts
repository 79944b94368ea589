import { APIConnectionError, APIError } from "openai";
import { describe, expect, it } from "vitest";
import {
  AbortedError,
  AllEndpointsFailedError,
  type AttemptRecord,
  ConfigError,
  DeadlineExceededError,
  describeUpstream,
  NoEndpointForModelError,
  QueueFullError,
  RequestInvalidError,
  RequestTooLargeError,
  RouterClosedError,
  RouterError,
  StreamInterruptedError,
  UpstreamError,
} from "../src/errors.js";

function sdkError(
  status: number,
  error: Record<string, unknown>,
  headers: Record<string, string> = {},
): APIError {
  return APIError.generate(status, { error }, undefined, new Headers(headers));
}

describe("error codes", () => {
  it.each<[string, RouterError, string]>([
    ["ConfigError", new ConfigError([{ path: "a", message: "b" }]), "CONFIG_INVALID"],
    ["NoEndpointForModelError", new NoEndpointForModelError("m", []), "NO_ENDPOINT_FOR_MODEL"],
    ["RequestInvalidError", new RequestInvalidError("no model"), "REQUEST_INVALID"],
    ["QueueFullError", new QueueFullError(10), "QUEUE_FULL"],
    ["DeadlineExceededError", new DeadlineExceededError(1_000, "queued"), "DEADLINE_EXCEEDED"],
    ["AbortedError", new AbortedError(), "ABORTED"],
    ["RouterClosedError", new RouterClosedError(), "ROUTER_CLOSED"],
    ["RequestTooLargeError", new RequestTooLargeError("m", 10, 5), "REQUEST_TOO_LARGE"],
    ["UpstreamError", new UpstreamError("east", new Error("x")), "UPSTREAM_ERROR"],
    ["AllEndpointsFailedError", new AllEndpointsFailedError("m", [], undefined), "ALL_ENDPOINTS_FAILED"],
    ["StreamInterruptedError", new StreamInterruptedError("east", 3, new Error("x")), "STREAM_INTERRUPTED"],
  ])("%s has a stable code, its class name, and extends RouterError and Error", (name, error, code) => {
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toBeInstanceOf(Error);
    expect(typeof error.stack).toBe("string");
    expect(error.message.length).toBeGreaterThan(0);
  });

  it("RouterError itself keeps the code it is given", () => {
    const e = new RouterError("QUEUE_FULL", "full");
    expect(e.code).toBe("QUEUE_FULL");
    expect(e.name).toBe("RouterError");
    expect(e.message).toBe("full");
    expect(e.cause).toBeUndefined();
  });
});

describe("cause", () => {
  it("is attached when given", () => {
    const cause = new Error("root");
    expect(new RouterError("ABORTED", "x", { cause }).cause).toBe(cause);
    expect(new AbortedError({ cause }).cause).toBe(cause);
    expect(new DeadlineExceededError(5, "running", { cause }).cause).toBe(cause);
    expect(new AllEndpointsFailedError("m", [], cause).cause).toBe(cause);
    expect(new UpstreamError("east", cause).cause).toBe(cause);
    expect(new StreamInterruptedError("east", 1, cause).cause).toBe(cause);
  });

  it("keeps a non-Error abort reason as it is", () => {
    expect(new AbortedError({ cause: "user pressed stop" }).cause).toBe("user pressed stop");
  });

  it("is absent when not given", () => {
    expect("cause" in new AbortedError()).toBe(false);
    expect("cause" in new QueueFullError(1)).toBe(false);
  });
});

describe("ConfigError", () => {
  it("formats one problem", () => {
    const e = new ConfigError([
      { path: "endpoints.0.apiKey", message: "set apiKey or azureADTokenProvider" },
    ]);
    expect(e.message).toBe(
      "Invalid router config (1 problem):\n  - endpoints.0.apiKey: set apiKey or azureADTokenProvider",
    );
  });

  it("formats several problems, one a line, and names an empty path (root)", () => {
    const issues = [
      { path: "", message: "Unrecognized key" },
      { path: "strategy", message: "must be one of …" },
    ];
    const e = new ConfigError(issues);
    expect(e.message).toBe(
      "Invalid router config (2 problems):\n  - (root): Unrecognized key\n  - strategy: must be one of …",
    );
    expect(e.issues).toEqual(issues);
  });
});

describe("messages", () => {
  it("NoEndpointForModelError names the model and the configured ones", () => {
    const e = new NoEndpointForModelError("gpt-5", ["gpt-4o", "o3"]);
    expect(e.model).toBe("gpt-5");
    expect(e.message).toBe('No endpoint serves model "gpt-5". Configured models: gpt-4o, o3.');
    expect(new NoEndpointForModelError("x", []).message).toContain("(none)");
  });

  it("QueueFullError carries its bound", () => {
    const e = new QueueFullError(10_000);
    expect(e.maxSize).toBe(10_000);
    expect(e.message).toContain("10000");
  });

  it("DeadlineExceededError says where the request was", () => {
    const queued = new DeadlineExceededError(30_000, "queued");
    expect(queued.timeoutMs).toBe(30_000);
    expect(queued.message).toContain("30000 ms");
    expect(queued.message).toContain("waiting for an endpoint");
    expect(new DeadlineExceededError(1, "running").message).toContain("in flight");
  });

  it("RequestTooLargeError carries the estimate and the largest budget", () => {
    const e = new RequestTooLargeError("gpt-4o", 150_000, 100_000);
    expect(e.estimatedTokens).toBe(150_000);
    expect(e.largestBudget).toBe(100_000);
    expect(e.message).toContain('"gpt-4o"');
  });

  it("AllEndpointsFailedError lists each attempt and keeps the last status", () => {
    const attempts: AttemptRecord[] = [
      { endpoint: "east", model: "gpt-4o", status: 429, errorCode: "429", durationMs: 3 },
      { endpoint: "west", model: "gpt-4o", errorCode: "connection_error", durationMs: 5 },
      { endpoint: "oai", model: "gpt-4o", status: 503, durationMs: 7 },
    ];
    const e = new AllEndpointsFailedError("gpt-4o", attempts, undefined);
    expect(e.attempts).toBe(attempts);
    expect(e.status).toBe(503);
    expect(e.message).toBe(
      'All attempts for "gpt-4o" failed (3 attempts: east→429, west→connection_error, oai→503).',
    );
    const one = new AllEndpointsFailedError("m", [{ endpoint: "e", model: "m", durationMs: 1 }], undefined);
    expect(one.message).toContain("(1 attempt: e→error)");
    expect(one.status).toBeUndefined();
  });

  it("StreamInterruptedError counts the chunks already delivered", () => {
    const cause = sdkError(500, { message: "reset" });
    const e = new StreamInterruptedError("east", 12, cause);
    expect(e.received).toBe(12);
    expect(e.endpoint).toBe("east");
    expect(e.status).toBe(500);
    expect(e.message).toBe('The stream from endpoint "east" broke after 12 chunk(s): 500 reset');
  });
});

describe("UpstreamError", () => {
  it("copies status, code and request id from an SDK APIError and keeps it as cause", () => {
    const cause = sdkError(
      400,
      { message: "Invalid value for 'temperature'", code: "invalid_value", type: "invalid_request_error" },
      { "x-request-id": "req_123" },
    );
    const e = new UpstreamError("east", cause);
    expect(e.status).toBe(400);
    expect(e.upstreamCode).toBe("invalid_value");
    expect(e.requestID).toBe("req_123");
    expect(e.endpoint).toBe("east");
    expect(e.cause).toBe(cause);
    expect(e.code).toBe("UPSTREAM_ERROR");
    expect(e.message).toBe(`Endpoint "east" rejected the request: 400 Invalid value for 'temperature'`);
  });

  it("leaves the fields undefined when the SDK has none", () => {
    const cause = new APIConnectionError({ message: "Connection error." });
    const e = new UpstreamError("east", cause);
    expect(e.status).toBeUndefined();
    expect(e.upstreamCode).toBeUndefined();
    expect(e.requestID).toBeUndefined();
    expect(e.message).toContain("Connection error.");
  });

  it("runs its message through the redact function", () => {
    const secret = "sk-live-0123456789abcdef";
    const cause = sdkError(401, {
      message: `Incorrect API key provided: ${secret}.`,
      code: "invalid_api_key",
    });
    const redact = (text: string) => text.replaceAll(secret, "[redacted]");
    const e = new UpstreamError("east", cause, redact);
    expect(e.message).not.toContain(secret);
    expect(e.message).toBe(
      'Endpoint "east" rejected the request: 401 Incorrect API key provided: [redacted].',
    );
    expect(e.upstreamCode).toBe("invalid_api_key");
  });

  it("StreamInterruptedError redacts too", () => {
    const e = new StreamInterruptedError("east", 0, new Error("token abc leaked"), (t) =>
      t.replace("abc", "***"),
    );
    expect(e.message).toContain("token *** leaked");
  });

  it("describes a cause that is not an object", () => {
    const e = new UpstreamError("east", "plain failure");
    expect(e.message).toBe('Endpoint "east" rejected the request: plain failure');
    expect(e.status).toBeUndefined();
  });
});

describe("describeUpstream", () => {
  it("reads the SDK's fields without importing its classes", () => {
    expect(
      describeUpstream({ status: 429, code: "rate_limit_exceeded", requestID: "r1", message: "slow" }),
    ).toEqual({
      status: 429,
      code: "rate_limit_exceeded",
      requestID: "r1",
      summary: "slow",
    });
  });

  it("ignores fields of the wrong type", () => {
    expect(describeUpstream({ status: "429", code: 7, requestID: null, message: 1 })).toEqual({
      status: undefined,
      code: undefined,
      requestID: undefined,
      summary: "unknown error",
    });
  });

  it.each([
    [null, "null"],
    [undefined, "undefined"],
    [42, "42"],
  ])("summarises %s", (value, summary) => {
    expect(describeUpstream(value).summary).toBe(summary);
  });
});
