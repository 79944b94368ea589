import { Ajv2020 } from "ajv/dist/2020.js";
import { countTokens } from "gpt-tokenizer";
import OpenAI, { AzureOpenAI } from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { asAzure, openaiClient, rejection } from "./helpers.js";

const ajv = new Ajv2020({ strict: false });

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    seed: 7,
    endpoints: [
      { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"] },
      { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
      { name: "tight", type: "openai", models: ["gpt-4o"], limits: { rpm: 6, tpm: 100_000 } },
    ],
  });
});
afterAll(() => fleet.close());

/** AzureOpenAI on Azure's v1 surface: `{endpoint}/openai/v1`, model = deployment name. */
function azureV1(name: string): AzureOpenAI {
  const a = asAzure(fleet.endpoint(name));
  return new AzureOpenAI({
    baseURL: `${a.endpoint}/openai/v1`,
    apiKey: a.apiKey,
    apiVersion: "preview",
    maxRetries: 0,
  });
}

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather in a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
    additionalProperties: false,
  },
  strict: true,
};
const clock = {
  type: "function" as const,
  name: "get_time",
  parameters: {
    type: "object",
    properties: { zone: { type: "string" } },
    required: ["zone"],
    additionalProperties: false,
  },
  strict: true,
};

async function events(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const out: ResponseStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe("POST /v1/responses (openai.com)", () => {
  // Breaks if the response object misses a field of the SDK's Response type or the usage is not counted.
  it("returns a complete response object with a message of output_text and honest usage", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const res = await client.responses.create({
      model: "gpt-4o",
      instructions: "Be terse.",
      input: "Hello there",
      metadata: { run: "1" },
    });
    expect(res).toMatchObject({
      id: expect.stringMatching(/^resp_[0-9a-f]{48}$/),
      object: "response",
      status: "completed",
      model: "gpt-4o",
      error: null,
      incomplete_details: null,
      instructions: "Be terse.",
      max_output_tokens: null,
      metadata: { run: "1" },
      parallel_tool_calls: true,
      previous_response_id: null,
      store: true,
      temperature: 1,
      top_p: 1,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
    });
    expect(Math.abs(res.created_at - Date.now() / 1000)).toBeLessThan(5);
    expect(res.output).toHaveLength(1);
    const [message] = res.output;
    expect(message).toEqual({
      id: expect.stringMatching(/^msg_[0-9a-f]{48}$/),
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: expect.any(String), annotations: [], logprobs: [] }],
    });
    const text = res.output_text;
    expect(text.length).toBeGreaterThan(0);
    // 3 per message + role + text for the instructions (developer) and the input, + 3 priming.
    const input =
      3 +
      countTokens("developer") +
      countTokens("Be terse.") +
      3 +
      countTokens("user") +
      countTokens("Hello there") +
      3;
    expect(res.usage).toEqual({
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: countTokens(text),
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + countTokens(text),
    });
  });

  // Breaks if input items (messages with parts, function_call + function_call_output) are not read.
  it("takes input items and answers a function_call_output in text", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const res = await client.responses.create({
      model: "gpt-4o",
      tools: [weather],
      input: [
        { role: "user", content: [{ type: "input_text", text: "Weather in Paris?" }] },
        {
          type: "function_call",
          call_id: "call_1",
          name: "get_weather",
          arguments: '{"city":"Paris","unit":"c"}',
        },
        { type: "function_call_output", call_id: "call_1", output: '{"temp":21}' },
      ],
    });
    expect(res.status).toBe("completed");
    expect(res.output.map((o) => o.type)).toEqual(["message"]);
    // Breaks if an output without its call is accepted.
    const error = await rejection(
      client.responses.create({
        model: "gpt-4o",
        input: [{ type: "function_call_output", call_id: "call_nope", output: "x" }],
      }),
    );
    expect(error).toMatchObject({
      status: 400,
      error: {
        message: "No tool call found for function call output with call_id call_nope.",
        param: "input",
      },
    });
  });

  // Breaks if max_output_tokens does not cut the reply and mark it incomplete.
  it("stops at max_output_tokens with status incomplete and incomplete_details", async () => {
    const res = await openaiClient(fleet.endpoint("oai")).responses.create({
      model: "gpt-4o",
      input: "Tell me a long story",
      max_output_tokens: 16,
    });
    expect(res.status).toBe("incomplete");
    expect(res.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(res.usage?.output_tokens).toBe(16);
    expect(res.output[0]).toMatchObject({ type: "message", status: "incomplete" });
  });

  // Breaks if tool_choice "required" / a named function is ignored or arguments miss the schema.
  it("calls the named or required function with arguments valid against its schema", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const named = await client.responses.create({
      model: "gpt-4o",
      input: "What time is it?",
      tools: [weather, clock],
      tool_choice: { type: "function", name: "get_weather" },
    });
    expect(named.output).toHaveLength(1);
    const call = named.output[0]!;
    if (call.type !== "function_call") throw new Error(`expected a function_call, got ${call.type}`);
    expect(call).toMatchObject({
      id: expect.stringMatching(/^fc_[0-9a-f]{48}$/),
      call_id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/),
      name: "get_weather",
      status: "completed",
    });
    expect(ajv.validate(weather.parameters, JSON.parse(call.arguments))).toBe(true);
    expect(named.usage?.output_tokens).toBeGreaterThan(0);

    for (let i = 0; i < 5; i++) {
      const required = await client.responses.create({
        model: "gpt-4o",
        input: `anything ${i}`,
        tools: [weather, clock],
        tool_choice: "required",
      });
      expect(required.output.length).toBeGreaterThan(0);
      for (const o of required.output) {
        if (o.type !== "function_call") throw new Error(`expected function_call, got ${o.type}`);
        const tool = o.name === "get_weather" ? weather : clock;
        expect(ajv.validate(tool.parameters, JSON.parse(o.arguments))).toBe(true);
      }
    }
    // Breaks if parallel_tool_calls: false still makes several calls.
    for (let i = 0; i < 5; i++) {
      const single = await client.responses.create({
        model: "gpt-4o",
        input: `one call ${i}`,
        tools: [weather, clock],
        tool_choice: "required",
        parallel_tool_calls: false,
      });
      expect(single.output).toHaveLength(1);
    }
  });

  // Breaks if the same request does not make the same calls (seeded) or tool_choice none still calls.
  it("is deterministic by seed and honours tool_choice none", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const body = { model: "gpt-4o", input: "weather?", tools: [weather], tool_choice: "required" as const };
    const a = await client.responses.create(body);
    const b = await client.responses.create(body);
    expect(a.output.map((o) => (o.type === "function_call" ? o.arguments : ""))).toEqual(
      b.output.map((o) => (o.type === "function_call" ? o.arguments : "")),
    );
    const none = await client.responses.create({ ...body, tool_choice: "none" });
    expect(none.output.map((o) => o.type)).toEqual(["message"]);
  });

  // Breaks if text.format json_schema / json_object is answered with prose.
  it("answers text.format json_schema with JSON valid against the schema, json_object with an object", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const schema = {
      type: "object",
      properties: {
        name: { type: "string" },
        age: { type: "integer", minimum: 0, maximum: 120 },
        tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
        address: {
          type: "object",
          properties: { city: { type: "string" }, zip: { type: "string" } },
          required: ["city", "zip"],
          additionalProperties: false,
        },
      },
      required: ["name", "age", "tags", "address"],
      additionalProperties: false,
    };
    for (let i = 0; i < 5; i++) {
      const res = await client.responses.create({
        model: "gpt-4o",
        input: `person ${i}`,
        text: { format: { type: "json_schema", name: "person", schema, strict: true } },
      });
      expect(ajv.validate(schema, JSON.parse(res.output_text))).toBe(true);
      expect(res.text?.format).toMatchObject({ type: "json_schema", name: "person", strict: true });
      expect(res.usage?.output_tokens).toBe(countTokens(res.output_text));
    }
    const obj = await client.responses.create({
      model: "gpt-4o",
      input: "Answer in JSON",
      text: { format: { type: "json_object" } },
    });
    const value: unknown = JSON.parse(obj.output_text);
    expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
    // The service refuses json_object when the input never says "json".
    const error = await rejection(
      client.responses.create({ model: "gpt-4o", input: "hi", text: { format: { type: "json_object" } } }),
    );
    expect(error).toMatchObject({ status: 400, error: { param: "input" } });
  });

  // Breaks if include "message.output_text.logprobs" does not return per-token logprobs.
  it("returns per-token logprobs with include message.output_text.logprobs", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const res = await client.responses.create({
      model: "gpt-4o",
      input: "odds",
      include: ["message.output_text.logprobs"],
      top_logprobs: 3,
    });
    const message = res.output[0]!;
    if (message.type !== "message") throw new Error("expected a message");
    const part = message.content[0]!;
    if (part.type !== "output_text") throw new Error("expected output_text");
    expect(part.logprobs).toHaveLength(res.usage!.output_tokens);
    expect(part.logprobs!.map((l) => l.token).join("")).toBe(part.text);
    for (const l of part.logprobs!) {
      expect(l.logprob).toBeLessThanOrEqual(0);
      expect(l.top_logprobs).toHaveLength(3);
    }
    const plain = await client.responses.create({ model: "gpt-4o", input: "odds" });
    const plainPart = plain.output[0]!.type === "message" ? plain.output[0]!.content[0]! : undefined;
    expect(plainPart).toMatchObject({ logprobs: [] });
    const bad = await rejection(
      client.responses.create({ model: "gpt-4o", input: "x", include: ["nope" as never] }),
    );
    expect(bad).toMatchObject({ status: 400, error: { param: "include[0]" } });
  });

  // Breaks if the body is not validated like the service (unknown fields, required fields, ranges).
  it("refuses invalid bodies with the service's error bodies", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const cases: [Record<string, unknown>, number, Record<string, unknown>][] = [
      [
        { model: "gpt-4o", input: "x", foo: 1 },
        400,
        { param: "foo", code: "unknown_parameter", message: "Unknown parameter: 'foo'." },
      ],
      [{ input: "x" }, 400, { param: "model", code: "missing_required_parameter" }],
      [{ model: "gpt-4o" }, 400, { param: "input", code: "missing_required_parameter" }],
      [
        { model: "gpt-4o", input: "x", temperature: 3 },
        400,
        { param: "temperature", code: "decimal_above_max_value" },
      ],
      [{ model: "gpt-4o", input: "x", top_p: -1 }, 400, { param: "top_p", code: "decimal_below_min_value" }],
      [
        { model: "gpt-4o", input: "x", max_output_tokens: 5 },
        400,
        { param: "max_output_tokens", code: "integer_below_min_value" },
      ],
      [{ model: "gpt-4o", input: [{ role: "bot", content: "x" }] }, 400, { param: "input[0].role" }],
      [
        { model: "gpt-4o", input: "x", tools: [{ type: "function", function: { name: "f" } }] },
        400,
        { param: "tools[0].name" },
      ],
      [
        { model: "gpt-4o", input: "x", tools: [weather], tool_choice: { type: "function", name: "nope" } },
        400,
        { param: "tool_choice" },
      ],
      [
        { model: "gpt-4o", input: "x", text: { format: { type: "json_schema", schema: {} } } },
        400,
        { param: "text.format.name" },
      ],
      [
        {
          model: "gpt-4o",
          input: "x",
          metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])),
        },
        400,
        { param: "metadata" },
      ],
      [
        { model: "gpt-4o", input: "x", stream_options: { include_obfuscation: false } },
        400,
        { param: "stream_options" },
      ],
      [{ model: "gpt-5-nope", input: "x" }, 404, { code: "model_not_found" }],
      [
        { model: "gpt-4o", input: "word ".repeat(130_000) },
        400,
        { param: "input", code: "context_length_exceeded" },
      ],
      [{ model: "text-embedding-3-small", input: "x" }, 404, { param: "model" }],
    ];
    for (const [body, status, error] of cases) {
      const e = await rejection(client.responses.create(body as never));
      expect(e, JSON.stringify(body)).toBeInstanceOf(OpenAI.APIError);
      expect(e, JSON.stringify(body)).toMatchObject({
        status,
        error: { type: "invalid_request_error", ...error },
      });
    }
  });

  // Breaks if truncation "auto" does not drop the oldest items of an input above the context window.
  it("drops the oldest items with truncation auto, refuses with the default", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const input = [
      { role: "user" as const, content: "word ".repeat(130_000) },
      { role: "user" as const, content: "Hi" },
    ];
    const refused = await rejection(client.responses.create({ model: "gpt-4o", input }));
    expect(refused).toMatchObject({
      status: 400,
      error: { code: "context_length_exceeded", param: "input" },
    });
    const res = await client.responses.create({ model: "gpt-4o", input, truncation: "auto" });
    expect(res.truncation).toBe("auto");
    expect(res.usage?.input_tokens).toBe(3 + countTokens("user") + countTokens("Hi") + 3);
  });

  // Breaks if responses are not charged against the endpoint's RPM like chat, or lack rate-limit headers.
  it("counts into the endpoint's limits and sends rate-limit headers", async () => {
    const client = openaiClient(fleet.endpoint("tight"));
    const { response } = await client.responses.create({ model: "gpt-4o", input: "hi" }).withResponse();
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("6");
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe("5");
    const error = await rejection(client.responses.create({ model: "gpt-4o", input: "again" }));
    expect(error).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    // Breaks if Responses tokens are missing from the endpoint's stats.
    const stats = fleet.stats("tight");
    expect(stats.byStatus[429]).toBe(1);
    expect(stats.promptTokens).toBeGreaterThan(0);
    expect(stats.completionTokens).toBeGreaterThan(0);
  });
});

describe("Responses on Azure's v1 surface", () => {
  // Breaks if /openai/v1/responses is not routed, or the deployment name is not the model.
  it("answers AzureOpenAI at {endpoint}/openai/v1 with the deployment as model, api-key or Bearer", async () => {
    const res = await azureV1("east").responses.create({ model: "gpt4o-east", input: "Hi" });
    expect(res).toMatchObject({ object: "response", status: "completed", model: "gpt-4o" });
    const a = asAzure(fleet.endpoint("east"));
    const bearer = new OpenAI({ baseURL: `${a.endpoint}/openai/v1`, apiKey: a.apiKey, maxRetries: 0 });
    const streamed = await events(
      await bearer.responses.create({ model: "gpt4o-east", input: "Hi", stream: true }),
    );
    expect(streamed[streamed.length - 1]?.type).toBe("response.completed");
    const unknown = await rejection(azureV1("east").responses.create({ model: "nope", input: "Hi" }));
    expect(unknown).toMatchObject({ status: 404, code: "DeploymentNotFound" });
  });
});
