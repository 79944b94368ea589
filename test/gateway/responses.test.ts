import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";
import { NotFoundError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { flushed, type GatewayRig, gatewayRig } from "./rig.js";

let current: GatewayRig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe("the Responses API through the gateway", () => {
  // Breaks if /v1/responses and its verbs are not passed through to the router (create JSON and streamed,
  // retrieve, input_items, delete) or a follow-up misses its owner.
  it("creates (JSON and streamed), continues, retrieves, lists input items and deletes", async () => {
    current = await gatewayRig();
    const client = current.client();
    const first = await client.responses.create({ model: "gpt-4o", input: "hello", max_output_tokens: 16 });
    expect(first.object).toBe("response");
    expect(first.output_text.length).toBeGreaterThan(0);
    const follow = await client.responses.create({
      model: "gpt-4o",
      input: "and then?",
      previous_response_id: first.id,
      max_output_tokens: 16,
    });
    expect(follow.previous_response_id).toBe(first.id);
    const stream = await client.responses.create({
      model: "gpt-4o",
      input: "stream",
      max_output_tokens: 24,
      stream: true,
    });
    const types = new Set<string>();
    let text = "";
    for await (const event of stream) {
      types.add(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    expect(types.has("response.created")).toBe(true);
    expect(types.has("response.completed") || types.has("response.incomplete")).toBe(true);
    expect(text.length).toBeGreaterThan(0);
    expect((await client.responses.retrieve(first.id)).id).toBe(first.id);
    const items = await client.responses.inputItems.list(follow.id);
    expect(items.data.length).toBeGreaterThan(0);
    await client.responses.delete(first.id);
    await expect(client.responses.retrieve(first.id)).rejects.toBeInstanceOf(NotFoundError);
    await flushed();
    const creates = current.log.filter((l) => l.path === "/v1/responses");
    expect(creates).toHaveLength(3);
    expect(creates.every((l) => l.status === 200 && typeof l.endpoint === "string")).toBe(true);
  });

  // Breaks if the AI SDK's default (the Responses API) does not work against the gateway's base URL.
  it("serves the AI SDK on its default Responses path", async () => {
    current = await gatewayRig();
    const openai = createOpenAI({ apiKey: "unused", baseURL: `${current.url}/v1` });
    const { text } = await generateText({ model: openai("gpt-4o"), prompt: "hi", maxOutputTokens: 16 });
    expect(text.length).toBeGreaterThan(0);
    let streamed = "";
    for await (const part of streamText({ model: openai("gpt-4o"), prompt: "hi", maxOutputTokens: 16 })
      .textStream)
      streamed += part;
    expect(streamed.length).toBeGreaterThan(0);
  });
});

describe("responses belong to the client that created them", () => {
  const A = "client-a-key-0123456789";
  const B = "client-b-key-0123456789";

  // Breaks if one client can read, continue, list, cancel or delete another client's stored response.
  it("answers 404 to another client for every verb, and serves the owner", async () => {
    current = await gatewayRig(
      undefined,
      {},
      {
        clients: [
          { name: "a", key: A },
          { name: "b", key: B },
        ],
      },
    );
    const a = current.client(A);
    const b = current.client(B);
    const json = await a.responses.create({ model: "gpt-4o", input: "mine", max_output_tokens: 16 });
    let streamedId = "";
    for await (const event of await a.responses.create({
      model: "gpt-4o",
      input: "mine too",
      max_output_tokens: 16,
      stream: true,
    }))
      if (event.type === "response.created") streamedId = event.response.id;
    expect(streamedId).toMatch(/^resp_/);
    for (const id of [json.id, streamedId]) {
      await expect(b.responses.retrieve(id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.responses.inputItems.list(id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.responses.cancel(id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.responses.delete(id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        b.responses.create({
          model: "gpt-4o",
          input: "peek",
          previous_response_id: id,
          max_output_tokens: 16,
        }),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect((await a.responses.retrieve(id)).id).toBe(id);
    }
    const background = await a.responses.create({
      model: "gpt-4o",
      input: "later",
      background: true,
      max_output_tokens: 16,
    });
    expect((await a.responses.cancel(background.id)).id).toBe(background.id);
  });
});
