import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type Completion, createRouter, type Router } from "../../src/index.js";
import { CHAT, codeOf } from "./rig.js";

/**
 * An upstream that breaks a stream after content with an SSE error event echoing the request's key
 * (in its message, `param` and nested fields): the STREAM_INTERRUPTED the caller's loop throws, and the
 * outcome, carry it only redacted, down the whole `cause` chain. The chat fixture's echo modes answer
 * plain errors; this is the one place an echo arrives inside a stream the caller already reads.
 */

const KEY = "sk-proj-echoedinsideastream0123456789abcdef";
let server: Server | undefined;
let router: Router | undefined;
afterEach(async () => {
  await router?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  router = undefined;
});

const chunk = (delta: Record<string, unknown>) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-echo",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
  })}\n\n`;

async function echoingUpstream(): Promise<string> {
  const listening = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const key = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      res.writeHead(200, { "content-type": "text/event-stream" });
      const error = {
        error: {
          message: `stream lost for ${key}`,
          type: "server_error",
          param: `authorization=${key}`,
          code: null,
          details: { seen: [key] },
        },
      };
      res.end(
        chunk({ role: "assistant", content: "" }) +
          chunk({ content: "Hello" }) +
          `data: ${JSON.stringify(error)}\n\n`,
      );
    });
  });
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/v1`;
}

describe("a key echoed in an SSE error event after content", () => {
  // Breaks if the STREAM_INTERRUPTED's cause (the SDK's APIError built from the event) kept the key in
  // its message, its `error` body or its `param`.
  it("STREAM_INTERRUPTED, and no key in the loop's error or the outcome", async () => {
    const baseURL = await echoingUpstream();
    router = createRouter({
      endpoints: [{ name: "echo", type: "openai", apiKey: KEY, baseURL, models: ["gpt-4o"] }],
      retry: { maxAttempts: 1 },
    });
    const outcomes: Completion[] = [];
    router.completions$.subscribe((c) => outcomes.push(c));
    let text = "";
    let thrown: unknown;
    try {
      const stream = await router.chat.completions.create({ ...CHAT, stream: true });
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    } catch (error) {
      thrown = error;
    }
    expect(text).toBe("Hello");
    expect(codeOf(thrown)).toBe("STREAM_INTERRUPTED");
    const shown = inspect(thrown, { depth: 12, showHidden: true });
    // The echo reached the router: what it shows is the redaction, not the absence of an echo.
    expect(shown).toContain("[redacted]");
    expect(shown).not.toContain(KEY);
    let e: unknown = thrown;
    for (let depth = 0; e instanceof Error && depth < 6; depth++, e = e.cause) {
      expect(String(e.stack)).not.toContain(KEY);
      expect(JSON.stringify(e) ?? "").not.toContain(KEY);
    }
    expect(inspect(outcomes, { depth: 12 })).not.toContain(KEY);
  });
});
