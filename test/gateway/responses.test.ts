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
