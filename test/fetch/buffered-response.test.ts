import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { type BufferedResponse, TextResponse } from "../../src/fetch/buffered-response.js";
import { JsonResponse } from "../../src/fetch/json-response.js";

const VALUE = { id: "chatcmpl-1", object: "chat.completion", choices: [{ index: 0, text: "héllo ✓" }] };
const TEXT = JSON.stringify(VALUE);
const init = () => ({
  status: 200,
  headers: { "content-type": "application/json", "x-request-id": "req_1" },
});

// The two ways a body is held before anyone reads it: router.fetch's answer (a value) and the HTTP
// pool's (the text that arrived). Both must read exactly as a plain Response of the same text does.
describe.each([
  ["JsonResponse", () => new JsonResponse(VALUE, init())],
  ["TextResponse", () => new TextResponse(TEXT, init())],
] as const)("%s", (_name, make: () => BufferedResponse<unknown>) => {
  it("is a Response with the status and headers it was given", () => {
    const response = make();
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get("x-request-id")).toBe("req_1");
    expect(response.bodyUsed).toBe(false);
  });

  it("reads as an equal JSON value", async () => {
    const response = make();
    expect(await response.json()).toEqual(VALUE);
    expect(response.bodyUsed).toBe(true);
  });

  it("reads as the same text, bytes, blob and stream a plain Response holds", async () => {
    expect(await make().text()).toBe(TEXT);
    const bytes = new TextEncoder().encode(TEXT);
    expect(new Uint8Array(await make().arrayBuffer())).toEqual(bytes);
    expect(await (await make().blob()).text()).toBe(TEXT);
    const body = make().body;
    expect(body).not.toBeNull();
    expect(await new Response(body).text()).toBe(TEXT);
  });

  it.each([
    ["json", "text"],
    ["text", "json"],
    ["json", "arrayBuffer"],
    ["arrayBuffer", "json"],
    ["text", "text"],
  ] as const)("a body read by %s cannot be read again by %s", async (first, second) => {
    const response = make();
    await response[first]();
    expect(response.bodyUsed).toBe(true);
    await expect(response[second]()).rejects.toThrow(TypeError);
  });

  it("clones into an independent response, and refuses once read", async () => {
    const response = make();
    const copy = response.clone();
    expect(copy.headers.get("x-request-id")).toBe("req_1");
    expect(await copy.json()).toEqual(VALUE);
    expect(await response.text()).toBe(TEXT);
    expect(() => response.clone()).toThrow(TypeError);
  });

  it("serves the official SDK as a fetch answer, _request_id included", async () => {
    const client = new OpenAI({
      apiKey: "unused",
      baseURL: "http://router.invalid/v1",
      maxRetries: 0,
      fetch: async () => make(),
    });
    const answer = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
    expect(answer).toEqual(VALUE);
    expect(answer._request_id).toBe("req_1");
    expect(Object.hasOwn(VALUE, "_request_id")).toBe(false);
  });
});

describe("JsonResponse", () => {
  it("reads as a copy, not the router's own object", async () => {
    const read = await new JsonResponse(VALUE, init()).json();
    expect(read).not.toBe(VALUE);
  });
});

describe("TextResponse", () => {
  it("rejects json() on a body that is not JSON with the SyntaxError a plain Response gives", async () => {
    const html = "<html>502 Bad Gateway</html>";
    const plain = await new Response(html).json().catch((e: unknown) => e);
    const held = await new TextResponse(html, init()).json().catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(SyntaxError);
    expect(held).toBeInstanceOf(SyntaxError);
  });
});
