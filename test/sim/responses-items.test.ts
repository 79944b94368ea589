import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, streamText, tool } from "ai";
import { countTokens } from "gpt-tokenizer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { asOpenAI, openaiClient, rejection } from "./helpers.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    seed: 13,
    endpoints: [
      { name: "a", type: "openai", models: ["gpt-4o"] },
      { name: "b", type: "openai", models: ["gpt-4o"] },
    ],
  });
});
afterAll(() => fleet.close());

const notStored = (id: string) => ({
  status: 404,
  error: {
    message: `Item with id '${id}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
    type: "invalid_request_error",
    param: "input",
    code: null,
  },
});

describe("item_reference", () => {
  // Breaks if a stored item cannot be referenced by id, or is not read as the item it names.
  it("reads a stored output item by id on its endpoint", async () => {
    const client = openaiClient(fleet.endpoint("a"));
    const first = await client.responses.create({ model: "gpt-4o", input: "Hi" });
    const message = first.output[0]!;
    const next = await client.responses.create({
      model: "gpt-4o",
      input: [
        { role: "user", content: "Hi" },
        { type: "item_reference", id: message.id! },
        { role: "user", content: "More" },
      ],
    });
    const expected =
      3 +
      (3 + countTokens("user") + countTokens("Hi")) +
      (3 + countTokens("assistant") + countTokens(first.output_text)) +
      (3 + countTokens("user") + countTokens("More"));
    expect(next.usage?.input_tokens).toBe(expected);
    const items = await client.responses.inputItems.list(next.id, { order: "asc" });
    expect(items.data[1]).toMatchObject({ id: message.id, type: "message", role: "assistant" });
  });

  // Breaks if an endpoint resolves items it never stored (another endpoint's, or store: false ones).
  it("answers the service's 404 for an item this endpoint does not hold", async () => {
    const a = openaiClient(fleet.endpoint("a"));
    const first = await a.responses.create({ model: "gpt-4o", input: "Hi" });
    const id = first.output[0]!.id!;
    const elsewhere = await rejection(
      openaiClient(fleet.endpoint("b")).responses.create({
        model: "gpt-4o",
        input: [{ type: "item_reference", id }],
      }),
    );
    expect(elsewhere).toMatchObject(notStored(id));
    const ephemeral = await a.responses.create({ model: "gpt-4o", input: "Hi", store: false });
    const gone = ephemeral.output[0]!.id!;
    expect(
      await rejection(a.responses.create({ model: "gpt-4o", input: [{ type: "item_reference", id: gone }] })),
    ).toMatchObject(notStored(gone));
    await a.responses.delete(first.id);
    expect(
      await rejection(a.responses.create({ model: "gpt-4o", input: [{ type: "item_reference", id }] })),
    ).toMatchObject(notStored(id));
  });
});

describe("the Vercel AI SDK's Responses provider", () => {
  // Breaks if the sim refuses what @ai-sdk/openai sends by default (item_reference with store on).
  it("runs a multi-turn conversation, a stream and a tool call", async () => {
    const e = asOpenAI(fleet.endpoint("a"));
    const provider = createOpenAI({ apiKey: e.apiKey, baseURL: e.baseURL });
    const first = await generateText({ model: provider("gpt-4o"), prompt: "Hello" });
    expect(first.text.length).toBeGreaterThan(0);
    const second = await generateText({
      model: provider("gpt-4o"),
      messages: [
        { role: "user", content: "Hello" },
        ...first.response.messages,
        { role: "user", content: "And then?" },
      ],
    });
    expect(second.text.length).toBeGreaterThan(0);
    expect(second.usage.inputTokens).toBeGreaterThan(first.usage.inputTokens ?? 0);

    const streamed = streamText({ model: provider("gpt-4o"), prompt: "Stream" });
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe(await streamed.text);
    expect(text.length).toBeGreaterThan(0);

    const called = await generateText({
      model: provider("gpt-4o"),
      prompt: "What is the weather in Paris?",
      toolChoice: "required",
      tools: {
        get_weather: tool({
          description: "Weather in a city",
          inputSchema: jsonSchema<{ city: string }>({
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
            additionalProperties: false,
          }),
        }),
      },
    });
    expect(called.toolCalls.length).toBeGreaterThan(0);
    expect(called.toolCalls[0]).toMatchObject({
      toolName: "get_weather",
      input: { city: expect.any(String) },
    });
  });
});
