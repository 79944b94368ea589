import OpenAI, { AzureOpenAI, BadRequestError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { asAzure, azureClient, openaiClient, rejection, user } from "./helpers.js";

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({
    seed: 4,
    endpoints: [
      {
        name: "oai",
        type: "openai",
        models: ["gpt-4o", "gpt-4", "gpt-future", "o3", "text-embedding-3-small"],
      },
      {
        name: "east",
        type: "azure",
        deployments: {
          "gpt-4o": "gpt4o-east",
          "gpt-4": "gpt4-east",
          "gpt-future": "future-east",
          o3: "o3-east",
          "text-embedding-3-small": "emb-east",
        },
      },
    ],
  });
});
afterAll(() => fleet.close());

const base = { model: "gpt-4o", messages: user("x") };
const weather = {
  type: "function",
  function: { name: "get_weather", parameters: { type: "object", properties: {} } },
};
const call = { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } };

type Expected = { param: string | null; code?: string | null; message?: RegExp };

// Each row: a request the real API rejects, and what it answers (param, code, message).
const REJECTED: [string, Record<string, unknown>, Expected][] = [
  [
    "temperature above 2",
    { ...base, temperature: 3 },
    {
      param: "temperature",
      code: "decimal_above_max_value",
      message: /Expected a value <= 2, but got 3 instead/,
    },
  ],
  [
    "temperature below 0",
    { ...base, temperature: -0.5 },
    { param: "temperature", code: "decimal_below_min_value" },
  ],
  [
    "temperature as a string",
    { ...base, temperature: "hot" },
    { param: "temperature", code: "invalid_type" },
  ],
  ["top_p above 1", { ...base, top_p: 1.5 }, { param: "top_p", code: "decimal_above_max_value" }],
  [
    "presence_penalty above 2",
    { ...base, presence_penalty: 2.5 },
    { param: "presence_penalty", code: "decimal_above_max_value" },
  ],
  [
    "frequency_penalty below -2",
    { ...base, frequency_penalty: -3 },
    { param: "frequency_penalty", code: "decimal_below_min_value" },
  ],
  ["n above 128", { ...base, n: 129 }, { param: "n", code: "integer_above_max_value" }],
  ["n of 0", { ...base, n: 0 }, { param: "n", code: "integer_below_min_value" }],
  [
    "five stop sequences",
    { ...base, stop: ["a", "b", "c", "d", "e"] },
    { param: "stop", code: "array_above_max_length" },
  ],
  ["a numeric stop", { ...base, stop: 5 }, { param: "stop", code: "invalid_type" }],
  [
    "logit_bias above 100",
    { ...base, logit_bias: { "50256": 101 } },
    { param: "logit_bias.50256", code: "integer_above_max_value" },
  ],
  [
    "logit_bias with a word key",
    { ...base, logit_bias: { hello: 1 } },
    { param: "logit_bias", message: /Invalid key in 'logit_bias'/ },
  ],
  [
    "top_logprobs above 20",
    { ...base, logprobs: true, top_logprobs: 21 },
    { param: "top_logprobs", code: "integer_above_max_value" },
  ],
  [
    "top_logprobs without logprobs",
    { ...base, top_logprobs: 2 },
    { param: "top_logprobs", code: null, message: /only allowed when 'logprobs' is enabled/ },
  ],
  [
    "an unknown service_tier",
    { ...base, service_tier: "gold" },
    { param: "service_tier", code: "invalid_value" },
  ],
  [
    "an unknown reasoning_effort",
    { ...base, reasoning_effort: "extreme" },
    { param: "reasoning_effort", code: "invalid_value" },
  ],
  [
    "an unknown top-level field",
    { ...base, temprature: 1 },
    { param: null, code: null, message: /^Unrecognized request argument supplied: temprature$/ },
  ],
  [
    "metadata with a number value",
    { ...base, metadata: { a: 1 } },
    { param: "metadata.a", code: "invalid_type" },
  ],
  [
    "a user message without content",
    { model: "gpt-4o", messages: [{ role: "user" }] },
    { param: "messages[0].content", code: "missing_required_parameter" },
  ],
  [
    "an unknown content part type",
    { model: "gpt-4o", messages: [{ role: "user", content: [{ type: "video", video: {} }] }] },
    { param: "messages[0].content[0].type", code: "invalid_value" },
  ],
  [
    "an image part in a system message",
    {
      model: "gpt-4o",
      messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }] }],
    },
    { param: "messages[0].content[0].type" },
  ],
  [
    "a tool message without tool_call_id",
    {
      model: "gpt-4o",
      messages: [...user("x"), { role: "assistant", tool_calls: [call] }, { role: "tool", content: "r" }],
    },
    { param: "messages[2].tool_call_id", code: "missing_required_parameter" },
  ],
  [
    "a tool message without a preceding tool_calls",
    { model: "gpt-4o", messages: [...user("x"), { role: "tool", tool_call_id: "call_1", content: "r" }] },
    { param: "messages.[1].role", message: /must be a response to a preceeding message with 'tool_calls'/ },
  ],
  [
    "a tool message answering an unknown id",
    {
      model: "gpt-4o",
      messages: [
        ...user("x"),
        { role: "assistant", tool_calls: [call] },
        { role: "tool", tool_call_id: "call_2", content: "r" },
      ],
    },
    { param: "messages.[2].role" },
  ],
  [
    "an unanswered tool call",
    { model: "gpt-4o", messages: [...user("x"), { role: "assistant", tool_calls: [call] }, ...user("y")] },
    { param: "messages.[1].role", message: /did not have response messages: call_1/ },
  ],
  [
    "tool_choice without tools",
    { ...base, tool_choice: "auto" },
    { param: "tool_choice", message: /only allowed when 'tools' are specified/ },
  ],
  [
    "parallel_tool_calls without tools",
    { ...base, parallel_tool_calls: true },
    { param: "parallel_tool_calls" },
  ],
  [
    "parallel_tool_calls null",
    { ...base, tools: [weather], parallel_tool_calls: null },
    { param: "parallel_tool_calls", code: "invalid_type" },
  ],
  [
    "an unknown tool_choice",
    { ...base, tools: [weather], tool_choice: "always" },
    { param: "tool_choice", code: "invalid_value" },
  ],
  [
    "tool_choice naming a missing function",
    { ...base, tools: [weather], tool_choice: { type: "function", function: { name: "nope" } } },
    { param: "tool_choice" },
  ],
  [
    "a tool without a name",
    { ...base, tools: [{ type: "function", function: {} }] },
    { param: "tools[0].function.name", code: "missing_required_parameter" },
  ],
  [
    "a tool name with spaces",
    { ...base, tools: [{ type: "function", function: { name: "get weather" } }] },
    { param: "tools[0].function.name" },
  ],
  [
    "a strict tool schema without additionalProperties",
    {
      ...base,
      tools: [
        {
          type: "function",
          function: {
            name: "f",
            strict: true,
            parameters: { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
          },
        },
      ],
    },
    {
      param: "tools[0].function.parameters",
      message: /'additionalProperties' is required to be supplied and to be false/,
    },
  ],
  [
    "json_object without the word json",
    { ...base, response_format: { type: "json_object" } },
    { param: "messages", message: /must contain the word 'json'/ },
  ],
  [
    "an unknown response_format type",
    { ...base, response_format: { type: "yaml" } },
    { param: "response_format.type", code: "invalid_value" },
  ],
  [
    "json_schema without a name",
    { ...base, response_format: { type: "json_schema", json_schema: { schema: {} } } },
    { param: "response_format.json_schema.name", code: "missing_required_parameter" },
  ],
  [
    "a strict json_schema with an optional property",
    {
      ...base,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "x",
          strict: true,
          schema: {
            type: "object",
            properties: { a: { type: "string" }, b: { type: "string" } },
            required: ["a"],
            additionalProperties: false,
          },
        },
      },
    },
    { param: "response_format", message: /Missing 'b'/ },
  ],
  [
    "a strict json_schema whose root is an array",
    {
      ...base,
      response_format: {
        type: "json_schema",
        json_schema: { name: "x", strict: true, schema: { type: "array" } },
      },
    },
    { param: "response_format", message: /must be a JSON Schema of 'type: "object"'/ },
  ],
  [
    "max_tokens above the model's output cap",
    { ...base, max_tokens: 20_000 },
    {
      param: "max_tokens",
      message: /^max_tokens is too large: 20000\. This model supports at most 16384 completion tokens/,
    },
  ],
  [
    "max_completion_tokens above the cap",
    { ...base, max_completion_tokens: 16_385 },
    { param: "max_completion_tokens", message: /at most 16384/ },
  ],
  [
    "a prompt above gpt-4's 8192-token window",
    { model: "gpt-4", messages: user("word ".repeat(9000)) },
    { param: "messages", code: "context_length_exceeded", message: /maximum context length is 8192 tokens/ },
  ],
  [
    "prompt + max_tokens above the window",
    { model: "gpt-4", messages: user("word ".repeat(5000)), max_tokens: 4000 },
    { param: "messages", code: "context_length_exceeded", message: /in the completion/ },
  ],
  [
    "max_tokens on a reasoning model",
    { model: "o3", messages: user("x"), max_tokens: 100 },
    { param: "max_tokens", code: "unsupported_parameter", message: /Use 'max_completion_tokens' instead/ },
  ],
  [
    "temperature 0.5 on a reasoning model",
    { model: "o3", messages: user("x"), temperature: 0.5 },
    { param: "temperature", code: "unsupported_value", message: /Only the default \(1\) value is supported/ },
  ],
  [
    "logprobs on a reasoning model",
    { model: "o3", messages: user("x"), logprobs: true },
    { param: "logprobs", code: "unsupported_parameter" },
  ],
  [
    "an unknown model's default window (128k)",
    { model: "gpt-future", messages: user("word ".repeat(130_000)) },
    { param: "messages", code: "context_length_exceeded", message: /128000/ },
  ],
];

/** The Azure deployment serving each model of the table. */
const DEPLOYMENTS: Readonly<Record<string, string>> = {
  "gpt-4o": "gpt4o-east",
  "gpt-4": "gpt4-east",
  "gpt-future": "future-east",
  o3: "o3-east",
};

describe.each(["oai", "east"] as const)("chat validation (%s)", (name) => {
  // Breaks if any of these requests (which the real API rejects) is accepted, or answered with another param/code/message.
  it.each(REJECTED)("400 for %s", async (_label, body, expected) => {
    const client = name === "oai" ? openaiClient(fleet.endpoint(name)) : azureClient(fleet.endpoint(name));
    const sent = name === "oai" ? body : { ...body, model: DEPLOYMENTS[String(body.model)] };
    const e = await rejection(client.post("/chat/completions", { body: sent }));
    expect(e).toBeInstanceOf(BadRequestError);
    const err = e as BadRequestError;
    expect(err.param ?? null).toBe(expected.param);
    expect(err.type).toBe("invalid_request_error");
    if (expected.code !== undefined) expect(err.code ?? null).toBe(expected.code);
    if (expected.message !== undefined)
      expect((err.error as { message: string }).message).toMatch(expected.message);
  });
});

describe("chat validation accepts what the spec allows", () => {
  // Breaks if validation rejects spec-valid requests (nulls for optional fields, every known field, a full tool round trip).
  it("accepts spec-valid requests using the optional fields", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const ok = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "developer", content: "be brief" },
        { role: "system", content: [{ type: "text", text: "really" }] },
        {
          role: "user",
          content: [
            { type: "text", text: "hi" },
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
          ],
          name: "ann",
        },
        { role: "assistant", content: null, tool_calls: [call as never] },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
      tools: [weather as never],
      tool_choice: "auto",
      parallel_tool_calls: false,
      temperature: 0,
      top_p: 1,
      presence_penalty: -2,
      frequency_penalty: 2,
      n: 2,
      stop: ["\n\n", "END"],
      logit_bias: { "50256": -100 },
      logprobs: true,
      top_logprobs: 0,
      seed: 7,
      user: "u-1",
      metadata: { team: "a" },
      store: false,
      service_tier: "auto",
      max_completion_tokens: 16_384,
      response_format: { type: "text" },
      prompt_cache_key: "k",
      safety_identifier: "s",
    });
    expect(ok.choices).toHaveLength(2);
    const nulls = await client.post("/chat/completions", {
      body: {
        ...base,
        temperature: null,
        top_p: null,
        n: null,
        stop: null,
        logprobs: null,
        max_tokens: null,
        stream: null,
        seed: null,
      },
    });
    expect(nulls).toMatchObject({ object: "chat.completion" });
    const reasoning = await client.chat.completions.create({
      model: "o3",
      messages: user("x"),
      max_completion_tokens: 50,
      temperature: 1,
      reasoning_effort: "low",
    });
    expect(reasoning.choices[0]!.message.content?.length).toBeGreaterThan(0);
  });
});

describe("Azure specifics", () => {
  // Breaks if Azure accepts api-versions that do not exist, or refuses the ones that do.
  it("an api-version that does not exist → 400 BadRequest 'API version not supported'", async () => {
    const a = asAzure(fleet.endpoint("east"));
    const bad = new AzureOpenAI({
      endpoint: a.endpoint,
      apiKey: a.apiKey,
      apiVersion: "2024-13-45",
      maxRetries: 0,
    });
    const e = await rejection(bad.chat.completions.create({ model: "gpt4o-east", messages: user("x") }));
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e).toMatchObject({
      status: 400,
      code: "BadRequest",
      message: expect.stringContaining("API version not supported"),
    });
    const emb = await rejection(bad.embeddings.create({ model: "emb-east", input: "x" }));
    expect(emb).toMatchObject({ status: 400, code: "BadRequest" });
    for (const apiVersion of ["2024-10-21", "2024-06-01", "2025-01-01-preview", "2024-02-15-preview"]) {
      const ok = new AzureOpenAI({ endpoint: a.endpoint, apiKey: a.apiKey, apiVersion, maxRetries: 0 });
      await expect(
        ok.chat.completions.create({ model: "gpt4o-east", messages: user("x") }),
      ).resolves.toMatchObject({ object: "chat.completion" });
    }
    const v1 = new OpenAI({
      baseURL: `${a.endpoint}/openai/v1`,
      apiKey: a.apiKey,
      maxRetries: 0,
      defaultQuery: { "api-version": "nonsense" },
    });
    expect(
      await rejection(v1.chat.completions.create({ model: "gpt4o-east", messages: user("x") })),
    ).toMatchObject({ status: 400, code: "BadRequest" });
  });

  // Breaks if Azure's own request fields (On Your Data) are refused as unknown, or unknown ones accepted.
  it("accepts Azure's data_sources field and refuses unknown ones", async () => {
    const client = azureClient(fleet.endpoint("east"));
    await expect(
      client.post("/chat/completions", {
        body: { model: "gpt4o-east", messages: user("x"), data_sources: [] },
      }),
    ).resolves.toBeDefined();
    const e = await rejection(
      client.post("/chat/completions", { body: { model: "gpt4o-east", messages: user("x"), foo: 1 } }),
    );
    expect(e).toMatchObject({
      status: 400,
      message: expect.stringContaining("Unrecognized request argument supplied: foo"),
    });
  });
});

describe("embeddings validation", () => {
  // Breaks if embeddings accept unknown fields or inputs above the 8192-token window.
  it("unknown fields and too-long inputs → 400", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const unknown = await rejection(
      client.post("/embeddings", { body: { model: "text-embedding-3-small", input: "x", dims: 3 } }),
    );
    expect(unknown).toMatchObject({
      status: 400,
      param: null,
      message: expect.stringContaining("Unrecognized request argument supplied: dims"),
    });
    const long = await rejection(
      client.embeddings.create({ model: "text-embedding-3-small", input: ["ok", "word ".repeat(9000)] }),
    );
    expect(long).toMatchObject({ status: 400, param: "input", code: "context_length_exceeded" });
    const e = await rejection(
      azureClient(fleet.endpoint("east")).embeddings.create({
        model: "emb-east",
        input: "word ".repeat(9000),
      }),
    );
    expect(e).toMatchObject({ status: 400, code: "context_length_exceeded" });
  });
});
