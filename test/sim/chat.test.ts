// Azure's companion types: adds prompt_filter_results / content_filter_results to the openai types.
import type {} from "@azure/openai/types";
import { countTokens } from "gpt-tokenizer";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { API_VERSION, asAzure, asOpenAI, azureClient, openaiClient, user } from "./helpers.js";

let fleet: Fleet;
let other: Fleet;

const ENDPOINTS = [
  {
    name: "east",
    type: "azure",
    deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
  },
  { name: "oai", type: "openai", models: ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small"] },
] as const;

beforeAll(async () => {
  fleet = await startFleet({ seed: 1, endpoints: ENDPOINTS });
  other = await startFleet({ seed: 2, endpoints: ENDPOINTS });
});
afterAll(async () => {
  await fleet.close();
  await other.close();
});

describe("chat completions (openai.com)", () => {
  it("returns a complete chat.completion with honest usage", async () => {
    const messages = [
      { role: "system" as const, content: "You are terse." },
      { role: "user" as const, content: "Hello there" },
    ];
    const res = await openaiClient(fleet.endpoint("oai")).chat.completions.create({
      model: "gpt-4o",
      messages,
    });
    expect(res).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-[A-Za-z0-9]{29}$/),
      object: "chat.completion",
      model: "gpt-4o",
      system_fingerprint: expect.stringMatching(/^fp_[0-9a-f]+$/),
    });
    expect(Math.abs(res.created - Date.now() / 1000)).toBeLessThan(5);
    expect(res.choices).toHaveLength(1);
    const [choice] = res.choices;
    expect(choice).toEqual({
      index: 0,
      message: { role: "assistant", content: expect.any(String), refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: "stop",
    });
    const content = choice!.message.content!;
    // 3 per message + role + content, + 3 priming.
    const prompt = 3 + 1 + countTokens("You are terse.") + 3 + 1 + countTokens("Hello there") + 3;
    expect(res.usage).toEqual({
      prompt_tokens: prompt,
      completion_tokens: countTokens(content),
      total_tokens: prompt + countTokens(content),
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    expect(res.usage!.completion_tokens).toBeGreaterThanOrEqual(8);
    expect(res.usage!.completion_tokens).toBeLessThanOrEqual(120);
  });

  it("gives n choices with their own content", async () => {
    const res = await openaiClient(fleet.endpoint("oai")).chat.completions.create({
      model: "gpt-4o",
      messages: user("Give me options"),
      n: 3,
    });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(res.choices.map((c) => c.message.content)).size).toBe(3);
    const total = res.choices.reduce((sum, c) => sum + countTokens(c.message.content!), 0);
    expect(res.usage!.completion_tokens).toBe(total);
  });

  it("cuts at max_tokens / max_completion_tokens with finish_reason length", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const a = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("Long story"),
      max_tokens: 3,
    });
    expect(a.choices[0]!.finish_reason).toBe("length");
    expect(a.usage!.completion_tokens).toBe(3);
    const b = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("Long story"),
      max_completion_tokens: 5,
      max_tokens: 50,
    });
    expect(b.usage!.completion_tokens).toBe(5);
    expect(b.choices[0]!.message.content!.startsWith(a.choices[0]!.message.content!)).toBe(true);
  });

  it("is deterministic: same seed and prompt → same content; other seed or prompt → different", async () => {
    const ask = (f: Fleet, content: string) =>
      openaiClient(f.endpoint("oai"))
        .chat.completions.create({ model: "gpt-4o", messages: user(content) })
        .then((r) => r.choices[0]!.message.content);
    const first = await ask(fleet, "determinism");
    expect(await ask(fleet, "determinism")).toBe(first);
    expect(await ask(other, "determinism")).not.toBe(first);
    expect(await ask(fleet, "determinism?")).not.toBe(first);
  });

  it("serves every configured model and lists them", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const res = await client.chat.completions.create({ model: "gpt-4o-mini", messages: user("hi") });
    expect(res.model).toBe("gpt-4o-mini");
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toEqual(["gpt-4o", "gpt-4o-mini", "text-embedding-3-small"]);
    expect((await client.models.retrieve("gpt-4o")).id).toBe("gpt-4o");
  });

  it("sends x-request-id and openai-processing-ms, and no rate-limit headers without limits", async () => {
    const { response, request_id } = await openaiClient(fleet.endpoint("oai"))
      .chat.completions.create({ model: "gpt-4o", messages: user("hi") })
      .withResponse();
    expect(request_id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.headers.get("openai-processing-ms")).toMatch(/^\d+$/);
    expect(response.headers.get("x-ratelimit-limit-requests")).toBeNull();
  });
});

describe("chat completions (Azure)", () => {
  it("routes by deployment and adds content-filter results", async () => {
    const { data, response } = await azureClient(fleet.endpoint("east"))
      .chat.completions.create({ model: "gpt4o-east", messages: user("Hello") })
      .withResponse();
    expect(data.model).toBe("gpt-4o");
    expect(data.prompt_filter_results).toEqual([
      {
        prompt_index: 0,
        content_filter_results: expect.objectContaining({
          hate: { filtered: false, severity: "safe" },
          violence: { filtered: false, severity: "safe" },
        }),
      },
    ]);
    expect(data.choices[0]!.content_filter_results?.sexual).toEqual({ filtered: false, severity: "safe" });
    const apim = response.headers.get("apim-request-id");
    expect(apim).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(response.headers.get("x-request-id")).toBe(apim);
  });

  it("gives the same reply for the same prompt as the openai.com endpoint of the same fleet", async () => {
    const a = await azureClient(fleet.endpoint("east")).chat.completions.create({
      model: "gpt4o-east",
      messages: user("same everywhere"),
    });
    const b = await openaiClient(fleet.endpoint("oai")).chat.completions.create({
      model: "gpt-4o",
      messages: user("same everywhere"),
    });
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
  });

  it("serves the v1 surface with the deployment as model, Bearer auth, no api-version", async () => {
    const east = asAzure(fleet.endpoint("east"));
    const client = new OpenAI({ apiKey: east.apiKey, baseURL: `${east.endpoint}/openai/v1`, maxRetries: 0 });
    const res = await client.chat.completions.create({ model: "gpt4o-east", messages: user("v1") });
    expect(res.choices[0]!.message.content).toBeTruthy();
    const emb = await client.embeddings.create({ model: "emb-east", input: "v1" });
    expect(emb.data[0]!.embedding).toHaveLength(1536);
  });

  it("lists the deployments on AzureOpenAI's models.list() (classic surface), as /openai/v1/models does", async () => {
    const east = asAzure(fleet.endpoint("east"));
    const classic = [];
    for await (const m of azureClient(east).models.list()) classic.push(m.id);
    expect(classic).toEqual(["gpt4o-east", "emb-east"]);
    const v1 = new OpenAI({ apiKey: east.apiKey, baseURL: `${east.endpoint}/openai/v1`, maxRetries: 0 });
    const listed = [];
    for await (const m of v1.models.list()) listed.push(m.id);
    expect(listed).toEqual(classic);
    // The classic path needs its api-version, like every classic path.
    const bare = await fetch(`${east.endpoint}/openai/models`, { headers: { "api-key": east.apiKey } });
    expect(bare.status).toBe(404);
  });

  it("accepts Entra-style bearer tokens with the configured prefix", async () => {
    const east = asAzure(fleet.endpoint("east"));
    const { AzureOpenAI } = await import("openai");
    const client = new AzureOpenAI({
      endpoint: east.endpoint,
      apiVersion: API_VERSION,
      azureADTokenProvider: async () => "sim-entra-any-token",
      maxRetries: 0,
    });
    const res = await client.chat.completions.create({ model: "gpt4o-east", messages: user("entra") });
    expect(res.object).toBe("chat.completion");
  });

  it("exposes the openai endpoint's baseURL as url + /v1", () => {
    const oai = asOpenAI(fleet.endpoint("oai"));
    expect(oai.baseURL).toBe(`${oai.url}/v1`);
    expect(oai.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(oai.apiKey).toMatch(/^sk-sim-[A-Za-z0-9]{32}$/);
  });
});
