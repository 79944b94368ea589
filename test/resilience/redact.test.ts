import { inspect } from "node:util";
import { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { scrubError } from "../../src/resilience/redact.js";

const KEY = "sk-proj-0123456789abcdef0123456789abcdef";
const redact = (text: string) => text.split(KEY).join("[redacted]");

describe("scrubError", () => {
  // Breaks if only messages were scrubbed: an upstream's body (any depth), its headers and the other
  // string fields of an SDK error would still show the key in inspect().
  it("scrubs messages, stacks, bodies at any depth, headers and string fields down the chain", () => {
    const upstream = APIError.generate(
      400,
      {
        error: { message: `bad key ${KEY}`, param: `auth=${KEY}`, details: { seen: [KEY, { again: KEY }] } },
      },
      undefined,
      new Headers({ "x-echo": `Bearer ${KEY}`, "x-request-id": "req_1" }),
    );
    const middle = new Error(`wrapped: ${KEY}`, { cause: upstream });
    const top = new Error("top", { cause: middle });
    scrubError(top, redact);
    const text = inspect(top, { depth: 20, showHidden: true });
    expect(text).not.toContain(KEY);
    expect(text).toContain("[redacted]");
    expect(upstream.headers?.get("x-echo")).toBe("Bearer [redacted]");
    expect(upstream.headers?.get("x-request-id")).toBe("req_1");
    expect((upstream.error as { param: string }).param).toBe("auth=[redacted]");
  });

  // Breaks if a cycle in the cause chain or a body looped forever, or a frozen field threw.
  it("survives cycles and frozen fields", () => {
    const a = new Error(`a ${KEY}`) as Error & { cause?: unknown; body?: unknown };
    const body: Record<string, unknown> = { text: KEY };
    body.self = body;
    a.body = body;
    a.cause = a;
    const frozen = Object.freeze({ text: KEY });
    const b = new Error("b", { cause: Object.assign(new Error("c"), { frozen }) });
    expect(() => scrubError(a, redact)).not.toThrow();
    expect(() => scrubError(b, redact)).not.toThrow();
    expect(a.message).toBe("a [redacted]");
    expect(body.text).toBe("[redacted]");
  });

  // Breaks if clean headers were replaced (a copy per failure for nothing).
  it("leaves headers without a secret as they are", () => {
    const headers = new Headers({ "x-request-id": "req_2" });
    const error = Object.assign(new Error("x"), { headers });
    scrubError(error, redact);
    expect(error.headers).toBe(headers);
  });
});
