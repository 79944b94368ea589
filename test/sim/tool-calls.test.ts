import { Ajv2020 } from "ajv/dist/2020.js";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { azureClient, openaiClient, user } from "./helpers.js";

const ajv = new Ajv2020({ strict: false });

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({
    seed: 3,
    endpoints: [
      { name: "oai", type: "openai", models: ["gpt-4o"] },
      { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
    ],
  });
});
afterAll(() => fleet.close());

const weatherParams = {
  type: "object",
  properties: {
    city: { type: "string", minLength: 2 },
    unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    days: { type: "integer", minimum: 1, maximum: 14 },
    hourly: { type: "boolean" },
  },
  required: ["city", "unit", "days", "hourly"],
  additionalProperties: false,
} as const;

const TOOLS: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Forecast for a city",
      parameters: weatherParams,
      strict: true,
    },
  },
  {
    type: "function",
    function: {
      name: "search_flights",
      parameters: {
        type: "object",
        properties: {
          from: { type: "string" },
          to: { type: "string" },
          passengers: {
            type: "array",
            items: {
              type: "object",
              properties: { age: { type: "integer", minimum: 0 } },
              required: ["age"],
            },
            minItems: 1,
          },
        },
        required: ["from", "to", "passengers"],
      },
    },
  },
  { type: "function", function: { name: "now" } },
];
const validators = new Map(
  TOOLS.map((t) => [
    t.type === "function" ? t.function.name : "",
    ajv.compile((t.type === "function" && t.function.parameters) || {}),
  ]),
);

function expectValidCalls(
  calls: readonly { id: string; function: { name: string; arguments: string } }[],
): void {
  for (const c of calls) {
    expect(c.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    const validate = validators.get(c.function.name);
    expect(validate, c.function.name).toBeDefined();
    const args: unknown = JSON.parse(c.function.arguments);
    expect(validate!(args), JSON.stringify(validate!.errors)).toBe(true);
  }
}

describe("tool calls (chat completions)", () => {
  // Breaks if tool_choice "required" may answer in text, or arguments are not valid against the schema.
  it("required: answers with tool_calls whose arguments are valid against each function's schema", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    for (let i = 0; i < 12; i++) {
      const r = await client.chat.completions.create({
        model: "gpt-4o",
        messages: user(`plan trip ${i}`),
        tools: TOOLS,
        tool_choice: "required",
      });
      const choice = r.choices[0]!;
      expect(choice.finish_reason).toBe("tool_calls");
      expect(choice.message.content).toBeNull();
      expect(choice.message.tool_calls?.length).toBeGreaterThanOrEqual(1);
      expectValidCalls(choice.message.tool_calls as never);
      expect(r.usage?.completion_tokens).toBeGreaterThan(0);
    }
  });

  // Breaks if a named tool_choice is ignored or parallel_tool_calls: false still yields several calls.
  it("a named function is the one called; parallel_tool_calls false gives one call; several otherwise", async () => {
    const client = azureClient(fleet.endpoint("east"));
    let most = 0;
    for (let i = 0; i < 12; i++) {
      const named = await client.chat.completions.create({
        model: "gpt4o-east",
        messages: user(`weather ${i}`),
        tools: TOOLS,
        tool_choice: { type: "function", function: { name: "search_flights" } },
      });
      expect(
        named.choices[0]!.message.tool_calls?.map((c) => (c.type === "function" ? c.function.name : "")),
      ).toEqual(["search_flights"]);
      const single = await client.chat.completions.create({
        model: "gpt4o-east",
        messages: user(`weather ${i}`),
        tools: TOOLS,
        tool_choice: "required",
        parallel_tool_calls: false,
      });
      expect(single.choices[0]!.message.tool_calls).toHaveLength(1);
      const parallel = await client.chat.completions.create({
        model: "gpt4o-east",
        messages: user(`weather ${i}`),
        tools: TOOLS,
        tool_choice: "required",
      });
      most = Math.max(most, parallel.choices[0]!.message.tool_calls!.length);
    }
    expect(most).toBeGreaterThan(1);
  });

  // Breaks if tool_choice "none" or no tools still produce calls, or auto ignores a named tool.
  it("none never calls; auto calls the tool the user names, and answers a tool result in text", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const none = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("x"),
      tools: TOOLS,
      tool_choice: "none",
    });
    expect(none.choices[0]!.finish_reason).toBe("stop");
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();

    const auto = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("Please use get_weather for Paris"),
      tools: TOOLS,
    });
    const call = auto.choices[0]!.message.tool_calls![0]!;
    expect(call.type === "function" && call.function.name).toBe("get_weather");

    const followUp = await client.chat.completions.create({
      model: "gpt-4o",
      tools: TOOLS,
      messages: [
        { role: "user", content: "Please use get_weather for Paris" },
        { role: "assistant", content: null, tool_calls: auto.choices[0]!.message.tool_calls! },
        ...auto.choices[0]!.message.tool_calls!.map((c) => ({
          role: "tool" as const,
          tool_call_id: c.id,
          content: '{"temp":21}',
        })),
      ],
    });
    expect(followUp.choices[0]!.finish_reason).toBe("stop");
    expect(followUp.choices[0]!.message.content?.length).toBeGreaterThan(0);
    expect(followUp.choices[0]!.message.tool_calls).toBeUndefined();
  });

  // Breaks if tool definitions add no prompt tokens.
  it("tool definitions count toward prompt tokens", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const bare = await client.chat.completions.create({ model: "gpt-4o", messages: user("hello") });
    const withTools = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("hello"),
      tools: TOOLS,
      tool_choice: "none",
    });
    expect(withTools.usage!.prompt_tokens - bare.usage!.prompt_tokens).toBeGreaterThan(40);
  });

  // Breaks if image parts add no prompt tokens.
  it("image parts count toward prompt tokens (85 at low detail, 765 otherwise)", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const text = { type: "text" as const, text: "what is this?" };
    const image = (detail: "low" | "high") => ({
      type: "image_url" as const,
      image_url: { url: "https://example.com/a.png", detail },
    });
    const bare = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: [text] }],
    });
    const low = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: [text, image("low")] }],
    });
    const high = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: [text, image("high")] }],
    });
    expect(low.usage!.prompt_tokens - bare.usage!.prompt_tokens).toBe(85);
    expect(high.usage!.prompt_tokens - bare.usage!.prompt_tokens).toBe(765);
  });

  // Breaks if streamed tool calls differ from the service's shape (header delta, then argument fragments).
  it.each(["oai", "east"])("streams tool calls as the services do (%s)", async (name) => {
    const client = name === "oai" ? openaiClient(fleet.endpoint(name)) : azureClient(fleet.endpoint(name));
    const model = name === "oai" ? "gpt-4o" : "gpt4o-east";
    const stream = await client.chat.completions.create({
      model,
      messages: user("stream a plan"),
      tools: TOOLS,
      tool_choice: "required",
      stream: true,
      stream_options: { include_usage: true },
    });
    const calls = new Map<number, { id: string; name: string; arguments: string; chunks: number }>();
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice === undefined) continue;
      if (choice.finish_reason !== null) finish = choice.finish_reason;
      for (const d of choice.delta.tool_calls ?? []) {
        const seen = calls.get(d.index);
        if (seen === undefined) {
          // The first delta of a call carries index, id, type, name and empty arguments.
          expect(d).toMatchObject({ type: "function", function: { arguments: "" } });
          expect(d.id).toMatch(/^call_/);
          calls.set(d.index, { id: d.id!, name: d.function!.name!, arguments: "", chunks: 0 });
        } else {
          expect(d.id).toBeUndefined();
          expect(d.function?.name).toBeUndefined();
          seen.arguments += d.function?.arguments ?? "";
          seen.chunks++;
        }
      }
    }
    expect(finish).toBe("tool_calls");
    expect(calls.size).toBeGreaterThanOrEqual(1);
    for (const c of calls.values()) {
      // "{}" (a function without parameters) is one fragment; real arguments come in several.
      expect(c.chunks).toBeGreaterThanOrEqual(c.arguments.length > 2 ? 2 : 1);
      expectValidCalls([{ id: c.id, function: { name: c.name, arguments: c.arguments } }]);
    }
  });

  // Breaks if the SDK's stream helper cannot assemble the calls (e.g. missing index or id).
  it("the SDK's runTools-style accumulator (stream.finalChatCompletion) rebuilds the same calls", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const body = {
      model: "gpt-4o",
      messages: user("accumulate"),
      tools: TOOLS,
      tool_choice: "required" as const,
    };
    const plain = await client.chat.completions.create(body);
    const final = await client.chat.completions.stream(body).finalChatCompletion();
    expect(
      final.choices[0]!.message.tool_calls?.map(
        (c) => c.type === "function" && [c.function.name, c.function.arguments],
      ),
    ).toEqual(
      plain.choices[0]!.message.tool_calls?.map(
        (c) => c.type === "function" && [c.function.name, c.function.arguments],
      ),
    );
  });
});
