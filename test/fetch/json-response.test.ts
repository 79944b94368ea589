import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { JsonResponse } from "../../src/fetch/json-response.js";

const VALUE = { id: "chatcmpl-1", object: "chat.completion", choices: [{ index: 0, text: "héllo ✓" }] };
const TEXT = JSON.stringify(VALUE);
const init = () => ({
  status: 200,
  headers: { "content-type": "application/json", "x-request-id": "req_1" },
});

describe("JsonResponse", () => {
  it("is a Response with the status and headers it was given", () => {
    const response = new JsonResponse(VALUE, init());
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get("x-request-id")).toBe("req_1");
    expect(response.bodyUsed).toBe(false);
  });

  it("reads as JSON: an equal value, not the router's own object", async () => {
    const response = new JsonResponse(VALUE, init());
    const read = await response.json();
    expect(read).toEqual(VALUE);
    expect(read).not.toBe(VALUE);
    expect(response.bodyUsed).toBe(true);
  });

  it("reads as the same text, bytes, blob and stream a plain Response holds", async () => {
    expect(await new JsonResponse(VALUE, init()).text()).toBe(TEXT);
    const bytes = new TextEncoder().encode(TEXT);
    expect(new Uint8Array(await new JsonResponse(VALUE, init()).arrayBuffer())).toEqual(bytes);
    expect(await (await new JsonResponse(VALUE, init()).blob()).text()).toBe(TEXT);
    const body = new JsonResponse(VALUE, init()).body;
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
    const response = new JsonResponse(VALUE, init());
    await response[first]();
    expect(response.bodyUsed).toBe(true);
    await expect(response[second]()).rejects.toThrow(TypeError);
  });

  it("clones into an independent response, and refuses once read", async () => {
    const response = new JsonResponse(VALUE, init());
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
      fetch: async () => new JsonResponse(VALUE, init()),
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
