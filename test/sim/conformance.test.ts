/**
 * Conformance: the sim's chat completions, stream chunks, embeddings and error bodies, validated
 * with ajv against the published OpenAI spec (a trimmed copy in test/sim/schemas, its source and
 * date in the file's $comment). Where the real services and the spec disagree, the sim follows the
 * services; those cases are asserted here as the exact, documented exceptions (docs/wire.md).
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { API_VERSION, asAzure, asOpenAI, user } from "./helpers.js";

const SPEC = JSON.parse(
  readFileSync(new URL("./schemas/openai-chat-embeddings.json", import.meta.url), "utf8"),
) as object;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ ...SPEC, $id: "openai" });
const schema = (name: string): ValidateFunction => ajv.compile({ $ref: `openai#/$defs/${name}` });
const completion = schema("CreateChatCompletionResponse");
const chunk = schema("CreateChatCompletionStreamResponse");
const embeddings = schema("CreateEmbeddingResponse");
const error = schema("ErrorResponse");

// Azure's additions (content filters, its error shape), from its 2024-10-21 inference spec.
const AZURE = JSON.parse(
  readFileSync(new URL("./schemas/azure-2024-10-21-content-filters.json", import.meta.url), "utf8"),
) as object;
ajv.addSchema({ ...AZURE, $id: "azure" });
const azureExtras = ajv.compile({ $ref: "azure#/$defs/AzureChatExtras" });
const azureError = ajv.compile({ $ref: "azure#/$defs/errorResponse" });

function valid(validate: ValidateFunction, value: unknown): void {
  expect(validate(value), `${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 400)}`).toBe(
    true,
  );
}

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({
    seed: 11,
    endpoints: [
      {
        name: "oai",
        type: "openai",
        models: ["gpt-4o", "text-embedding-3-small"],
        limits: { rpm: 1_000_000 },
      },
      {
        name: "east",
        type: "azure",
        deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
      },
      { name: "full", type: "openai", models: ["gpt-4o"], limits: { rpm: 1 } },
      { name: "azfull", type: "azure", deployments: { "gpt-4o": "gpt4o-full" }, limits: { rpm: 1 } },
    ],
  });
});
afterAll(() => fleet.close());

interface Target {
  readonly url: (op: "chat/completions" | "embeddings", model: string) => string;
  readonly headers: Record<string, string>;
  readonly chat: string;
  readonly emb: string;
}

function target(name: "oai" | "east"): Target {
  if (name === "oai") {
    const e = asOpenAI(fleet.endpoint("oai"));
    return {
      url: (op) => `${e.baseURL}/${op}`,
      headers: { authorization: `Bearer ${e.apiKey}` },
      chat: "gpt-4o",
      emb: "text-embedding-3-small",
    };
  }
  const e = asAzure(fleet.endpoint("east"));
  return {
    url: (op, model) => `${e.endpoint}/openai/deployments/${model}/${op}?api-version=${API_VERSION}`,
    headers: { "api-key": e.apiKey },
    chat: "gpt4o-east",
    emb: "emb-east",
  };
}

async function post(t: Target, op: "chat/completions" | "embeddings", body: Record<string, unknown>) {
  const model = op === "embeddings" ? t.emb : t.chat;
  const res = await fetch(t.url(op, model), {
    method: "POST",
    headers: { "content-type": "application/json", ...t.headers },
    body: JSON.stringify({ model, ...body }),
  });
  return { status: res.status, text: await res.text() };
}

const TOOLS = [
  {
    type: "function",
    function: {
      name: "lookup",
      parameters: {
        type: "object",
        properties: { q: { type: "string" } },
        required: ["q"],
        additionalProperties: false,
      },
      strict: true,
    },
  },
];
const VARIANTS: [string, Record<string, unknown>][] = [
  ["plain", { messages: user("hello") }],
  ["n=2, max_tokens", { messages: user("hello"), n: 2, max_tokens: 5 }],
  ["tool calls", { messages: user("use lookup"), tools: TOOLS, tool_choice: "required" }],
  ["logprobs", { messages: user("hello"), logprobs: true, top_logprobs: 2 }],
  [
    "json_schema",
    {
      messages: user("x"),
      response_format: {
        type: "json_schema",
        json_schema: { name: "r", schema: TOOLS[0]!.function.parameters, strict: true },
      },
    },
  ],
  ["stop", { messages: user("hello"), stop: [" "] }],
];

describe.each(["oai", "east"] as const)("conformance to openai/openai-openapi (%s)", (name) => {
  // Breaks if a chat.completion body drifts from CreateChatCompletionResponse.
  it.each(VARIANTS)("chat.completion (%s) matches CreateChatCompletionResponse", async (_label, body) => {
    const r = await post(target(name), "chat/completions", body);
    expect(r.status).toBe(200);
    const parsed = JSON.parse(r.text) as {
      prompt_filter_results?: unknown;
      choices: { content_filter_results?: unknown }[];
    };
    valid(completion, parsed);
    if (name === "east") {
      // Azure's own fields, against Azure's spec; present on every reply.
      valid(azureExtras, parsed);
      expect(parsed.prompt_filter_results).toHaveLength(1);
      for (const c of parsed.choices)
        expect(c.content_filter_results).toHaveProperty("hate.severity", "safe");
    }
  });

  // Breaks if a stream chunk drifts from CreateChatCompletionStreamResponse.
  it.each(VARIANTS)("every chunk (%s) matches CreateChatCompletionStreamResponse", async (_label, body) => {
    const r = await post(target(name), "chat/completions", {
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.status).toBe(200);
    const events = r.text.split("\n\n").filter((e) => e.startsWith("data: "));
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
    if (name === "east") {
      // Service over spec: Azure's first chunk is anonymous (id "", object "", created 0) and
      // carries prompt_filter_results; the spec's enum for `object` rejects it.
      const first = chunks.shift()!;
      expect(first).toMatchObject({ id: "", object: "", created: 0, choices: [] });
      expect(chunk(first)).toBe(false);
      valid(azureExtras, first);
      expect(first.prompt_filter_results).toHaveLength(1);
      for (const c of chunks) valid(azureExtras, c);
    }
    for (const c of chunks) valid(chunk, c);
  });

  // Breaks if an embeddings body drifts from CreateEmbeddingResponse.
  it("embeddings (float) match CreateEmbeddingResponse; base64 differs only in the embedding type", async () => {
    const r = await post(target(name), "embeddings", { input: ["a", "b"], encoding_format: "float" });
    valid(embeddings, JSON.parse(r.text));
    // Service over spec: with encoding_format base64 the service sends the vector as a base64
    // string, while the spec types `embedding` as an array of numbers.
    const b = JSON.parse(
      (await post(target(name), "embeddings", { input: "a", encoding_format: "base64" })).text,
    );
    expect(typeof b.data[0].embedding).toBe("string");
    expect(embeddings(b)).toBe(false);
    expect(embeddings.errors?.every((e) => e.instancePath.endsWith("/embedding"))).toBe(true);
  });

  // Breaks if a validation error body drifts from ErrorResponse.
  it.each([
    ["a bad temperature", "chat/completions", { messages: user("x"), temperature: 9 }],
    ["an unknown field", "chat/completions", { messages: user("x"), bogus: 1 }],
    ["a context overflow", "chat/completions", { messages: user("x"), max_tokens: 999_999 }],
    ["a bad embeddings input", "embeddings", { input: "" }],
  ] as const)("400 for %s matches ErrorResponse", async (_label, op, body) => {
    const r = await post(target(name), op, body);
    expect(r.status).toBe(400);
    valid(error, JSON.parse(r.text));
  });
});

describe("conformance of openai.com-only error bodies", () => {
  // Breaks if the 401, 404 or 429 bodies drift from ErrorResponse.
  it("401, 404 and 429 match ErrorResponse", async () => {
    const oai = asOpenAI(fleet.endpoint("oai"));
    const full = asOpenAI(fleet.endpoint("full"));
    const call = (url: string, key: string, model = "gpt-4o") =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model, messages: user("x") }),
      });
    const unauthorized = await call(`${oai.baseURL}/chat/completions`, "sk-wrong");
    expect(unauthorized.status).toBe(401);
    valid(error, await unauthorized.json());
    const missing = await call(`${oai.baseURL}/chat/completions`, oai.apiKey, "gpt-nope");
    expect(missing.status).toBe(404);
    valid(error, await missing.json());
    await call(`${full.baseURL}/chat/completions`, full.apiKey);
    const limited = await call(`${full.baseURL}/chat/completions`, full.apiKey);
    expect(limited.status).toBe(429);
    valid(error, await limited.json());
  });
});

describe("conformance of Azure gateway error bodies to Azure's spec", () => {
  // Breaks if Azure's 401, 404, api-version 400 or 429 bodies drift from its errorResponse.
  it("401, 404 DeploymentNotFound, 400 API version not supported and 429 match errorResponse", async () => {
    const east = asAzure(fleet.endpoint("east"));
    const full = asAzure(fleet.endpoint("azfull"));
    const call = (endpoint: string, key: string, deployment: string, version = API_VERSION) =>
      fetch(`${endpoint}/openai/deployments/${deployment}/chat/completions?api-version=${version}`, {
        method: "POST",
        headers: { "content-type": "application/json", "api-key": key },
        body: JSON.stringify({ messages: user("x") }),
      });
    const cases = [
      [401, await call(east.endpoint, "wrong", "gpt4o-east")],
      [404, await call(east.endpoint, east.apiKey, "nope")],
      [400, await call(east.endpoint, east.apiKey, "gpt4o-east", "2099-01-01")],
    ] as const;
    await call(full.endpoint, full.apiKey, "gpt4o-full");
    const limited = await call(full.endpoint, full.apiKey, "gpt4o-full");
    for (const [status, res] of [...cases, [429, limited] as const]) {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: unknown; message: unknown } };
      valid(azureError, body);
      expect(typeof body.error.code).toBe("string");
      expect(typeof body.error.message).toBe("string");
    }
  });
});
