import { APIError, OpenAI } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { HostileMode } from "../helpers/hostile-upstream.js";
import { CHAT, codeOf, HEALTHY_TEXT, type HostileRig, hostileRig } from "./rig.js";

/**
 * The same hostile upstreams through `router.fetch`, where the caller is an OpenAI client of its own
 * (`new OpenAI({ fetch: router.fetch })`): what the router would not hand a promise caller, it must not
 * hand over the wire either. A bad 200 fails over; a truncated stream ends with an `error` event (which
 * the client raises), never with `[DONE]`; an echoed key is not in the error body. Real router, SDK
 * and HTTP on 127.0.0.1 upstream; router.fetch in process.
 */

let rig: HostileRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** An SDK client whose every request goes through `router.fetch`; its base URL is never dialled. */
const clientOf = (r: HostileRig) =>
  new OpenAI({
    apiKey: "unused-client-key",
    baseURL: "http://router.invalid/v1",
    fetch: r.router.fetch,
    maxRetries: 0,
  });

describe("router.fetch against hostile upstreams", () => {
  // Breaks if router.fetch replied with the hostile endpoint's HTML / foreign JSON as a 200.
  it.each(["html", "wrong-shape", "empty"] as HostileMode[])(
    "%s: fails over; the client gets the healthy completion",
    async (mode) => {
      rig = await hostileRig({ hostile: mode, healthy: "ok" });
      const { data, response } = await clientOf(rig).chat.completions.create(CHAT).withResponse();
      expect(data.object).toBe("chat.completion");
      expect(data.choices[0]?.message.content).toBe(HEALTHY_TEXT);
      expect(response.headers.get("x-openai-router-endpoint")).toBe("healthy");
    },
  );

  // Breaks if the router's SSE encoder closed a truncated stream with `[DONE]`: the client would
  // read a cut answer as a complete one.
  it("sse-no-done: the client's loop throws after the content it got; no [DONE] on the wire", async () => {
    rig = await hostileRig({ hostile: "sse-no-done" });
    const response = await rig.router.fetch("http://router.invalid/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...CHAT, stream: true }),
    });
    expect(response.status).toBe(200);
    const wire = await response.text();
    expect(wire).not.toContain("[DONE]");
    expect(wire).toContain("stream_interrupted");

    let text = "";
    let thrown: unknown;
    try {
      const stream = await clientOf(rig).chat.completions.create({ ...CHAT, stream: true });
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    } catch (error) {
      thrown = error;
    }
    expect(text).toBe("Hello from a");
    expect(thrown).toBeInstanceOf(APIError);
    const outcome = rig.outcomes.at(-1);
    expect(outcome?.ok).toBe(false);
    expect(codeOf(outcome && !outcome.ok ? outcome.error : undefined)).toBe("STREAM_INTERRUPTED");
  });

  // Breaks if a stream broken before content reached the client instead of failing over.
  it("sse-garbage before content: fails over; the client reads the healthy stream to its end", async () => {
    rig = await hostileRig({ hostile: "sse-garbage", healthy: "ok" });
    let text = "";
    const stream = await clientOf(rig).chat.completions.create({ ...CHAT, stream: true });
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe(HEALTHY_TEXT);
  });

  // Breaks if the error body router.fetch writes carried the key an upstream echoed.
  it.each(["echo-key-400", "echo-key-503"] as HostileMode[])(
    "%s: the error reply has no key, in its body or its headers",
    async (mode) => {
      rig = await hostileRig({ hostile: mode });
      const key = rig.upstream.keyOf("hostile");
      const response = await rig.router.fetch("http://router.invalid/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(CHAT),
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      const headers: string[] = [];
      response.headers.forEach((value, name) => {
        headers.push(`${name}: ${value}`);
      });
      const body = await response.text();
      expect(body.length).toBeGreaterThan(0);
      expect(body).not.toContain(key);
      expect(headers.join("\n")).not.toContain(key);
    },
  );
});
