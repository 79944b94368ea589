import { createOpenAI } from "@ai-sdk/openai";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { embed, generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { APIUserAbortError, BadRequestError, NotFoundError, OpenAI, RateLimitError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { chat, type Rig, rig } from "../helpers/setup.js";

const FLEET = {
  seed: 11,
  endpoints: [
    {
      name: "east",
      type: "azure" as const,
      deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
      limits: { rpm: 6_000, tpm: 1_000_000 },
    },
    {
      name: "oai",
      type: "openai" as const,
      models: ["gpt-4o", "text-embedding-3-small"],
      limits: { rpm: 6_000, tpm: 1_000_000 },
    },
  ],
};

let current: Rig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** An SDK client whose every request goes through `router.fetch`; its base URL is never dialled. */
function clientOf(r: Rig, maxRetries = 0): OpenAI {
  return new OpenAI({
    apiKey: "unused-client-key",
    baseURL: "http://router.invalid/v1",
    fetch: r.router.fetch,
    maxRetries,
  });
}

describe("router.fetch with the official SDK", () => {
  // Breaks if router.fetch does not route chat completions or drops the SDK's response shape.
  it("answers chat completions with the upstream's JSON and says which endpoint served it", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const { data, response } = await clientOf(current)
      .chat.completions.create(chat("through fetch"))
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(["east", "oai"]).toContain(response.headers.get("x-openai-router-endpoint"));
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(response.headers.get("x-ratelimit-remaining-requests")).not.toBeNull();
    const served = current.fleet.stats("east").requests + current.fleet.stats("oai").requests;
    expect(served).toBe(1);
  });

  // Breaks if the client's API key reaches an endpoint or an endpoint's key reaches the client.
  it("never sends the client's key upstream nor an endpoint's key back", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const client = clientOf(current);
    const keys = current.fleet.endpoints.map((e) => e.apiKey);
    for (let i = 0; i < 4; i++) {
      const { response } = await client.chat.completions.create(chat(`k${i}`)).withResponse();
      let all = "";
      response.headers.forEach((v, k) => {
        all += `${k}: ${v}\n`;
      });
      for (const key of keys) expect(all).not.toContain(key);
    }
    // Every attempt was accepted by the sim, which checks each endpoint's own key.
    expect(current.fleet.stats("east").byStatus[200]).toBe(2);
    expect(current.fleet.stats("oai").byStatus[200]).toBe(2);
  });

  // Breaks if streams are buffered, lose chunks, or end without the [DONE] the SDK waits for.
  it("streams chat completions chunk by chunk, with usage when asked", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const stream = await clientOf(current).chat.completions.create({
      ...chat("stream through fetch", 40),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage.completion_tokens;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage).toBeGreaterThan(0);
  });

  // Breaks if embeddings are not routed or come back in another shape.
  it("answers embeddings", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const res = await clientOf(current).embeddings.create({
      model: "text-embedding-3-small",
      input: ["a", "b"],
    });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  // Breaks if GET /models lists anything but the router's models.
  it("lists the models the router serves", async () => {
    current = await rig(FLEET);
    const client = clientOf(current);
    const ids = (await client.models.list()).data.map((m) => m.id).sort();
    expect(ids).toEqual(["gpt-4o", "text-embedding-3-small"]);
    expect((await client.models.retrieve("gpt-4o")).id).toBe("gpt-4o");
    await expect(client.models.retrieve("gpt-9")).rejects.toBeInstanceOf(BadRequestError);
  });

  // Breaks if router errors do not become the OpenAI-style errors the SDK maps to its classes.
  it("turns router errors into OpenAI error bodies with fitting statuses", async () => {
    current = await rig(FLEET);
    const client = clientOf(current);
    const invalid = await client.chat.completions
      .create({ model: "gpt-4o", messages: "not a list" } as never)
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BadRequestError);
    expect((invalid as BadRequestError).code).toBe("invalid_request");
    const unknown = await client.chat.completions.create(chat("x", 4, "gpt-9")).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as NotFoundError).code).toBe("model_not_found");
    expect((unknown as NotFoundError).headers.get("x-openai-router-code")).toBe("NO_ENDPOINT_FOR_MODEL");
    const badUrl = await client.completions
      .create({ model: "gpt-4o", prompt: "legacy" })
      .catch((e: unknown) => e);
    expect(badUrl).toBeInstanceOf(NotFoundError);
    expect((badUrl as NotFoundError).code).toBe("unknown_url");
  });

  // Breaks if a full queue is not a 429 with retry-after (the SDK's cue to back off and retry).
  it("answers QUEUE_FULL with 429 and retry-after", async () => {
    current = await rig(
      {
        seed: 3,
        endpoints: [{ name: "slow", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 200 } }],
      },
      { queue: { maxSize: 1 }, extras: { slow: { limits: { concurrency: 1 } } } },
    );
    const client = clientOf(current);
    const running = client.chat.completions.create(chat("one"));
    const queued = client.chat.completions.create(chat("two"));
    const refused = await client.chat.completions.create(chat("three")).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).headers.get("retry-after")).toBe("1");
    await Promise.all([running, queued]);
  });

  // Breaks if the caller's signal does not cancel a routed request the way fetch does.
  it("rejects like fetch when the caller's signal aborts, and frees the lane", async () => {
    current = await rig({
      seed: 5,
      endpoints: [{ name: "slow", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 5_000 } }],
    });
    const controller = new AbortController();
    const pending = clientOf(current).chat.completions.create(chat("abort me"), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    expect(current.router.snapshot().totals.inflight).toBe(0);
  });

  // Breaks if per-request hints sent as headers (priority, timeout) are not honoured or not validated.
  it("takes priority and timeout from request headers", async () => {
    current = await rig(FLEET);
    const client = clientOf(current);
    const bad = await client.chat.completions
      .create(chat("x"), { headers: { "x-openai-router-priority": "high" } })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    const ok = await client.chat.completions.create(chat("y"), {
      headers: { "x-openai-router-priority": "-1", "x-openai-router-timeout-ms": "10000" },
    });
    expect(ok.object).toBe("chat.completion");
  });
});

describe("router.fetch with frameworks", () => {
  // Breaks if the AI SDK cannot use the router as its fetch for chat, streams and embeddings.
  it("serves the Vercel AI SDK: generateText, streamText, embed", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const openai = createOpenAI({ apiKey: "unused", fetch: current.router.fetch });
    const generated = await generateText({
      model: openai.chat("gpt-4o"),
      prompt: "Hello",
      maxOutputTokens: 20,
    });
    expect(generated.text.length).toBeGreaterThan(0);
    expect(generated.usage.outputTokens).toBeGreaterThan(0);
    const streamed = streamText({ model: openai.chat("gpt-4o"), prompt: "Stream", maxOutputTokens: 20 });
    let text = "";
    for await (const part of streamed.textStream) text += part;
    expect(text.length).toBeGreaterThan(0);
    const { embedding } = await embed({ model: openai.embedding("text-embedding-3-small"), value: "hi" });
    expect(embedding.length).toBeGreaterThan(0);
  });

  // Breaks if the AI SDK's default model (the Responses API since v5) cannot go through router.fetch.
  it("serves the AI SDK's default Responses model, JSON and streamed", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const openai = createOpenAI({ apiKey: "unused", fetch: current.router.fetch });
    const generated = await generateText({ model: openai("gpt-4o"), prompt: "Hello", maxOutputTokens: 20 });
    expect(generated.text.length).toBeGreaterThan(0);
    expect(generated.response.id).toMatch(/^resp_/);
    const streamed = streamText({ model: openai("gpt-4o"), prompt: "Stream", maxOutputTokens: 20 });
    let text = "";
    for await (const part of streamed.textStream) text += part;
    expect(text.length).toBeGreaterThan(0);
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
  });

  // Breaks if tool calls (and the follow-up carrying their results) do not survive routing.
  it("runs an AI SDK tool-calling loop over chat and over the Responses API", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const openai = createOpenAI({ apiKey: "unused", fetch: current.router.fetch });
    for (const model of [openai.chat("gpt-4o"), openai("gpt-4o")]) {
      const calls: string[] = [];
      const result = await generateText({
        model,
        prompt: "What is the weather in Paris? Use get_weather.",
        tools: {
          get_weather: tool({
            description: "The weather in a city",
            inputSchema: jsonSchema<{ city: string }>({
              type: "object",
              properties: { city: { type: "string" } },
              required: ["city"],
              additionalProperties: false,
            }),
            execute: async ({ city }) => {
              calls.push(city);
              return { city, celsius: 21 };
            },
          }),
        },
        toolChoice: "required",
        stopWhen: stepCountIs(2),
        prepareStep: ({ stepNumber }) => (stepNumber > 0 ? { toolChoice: "none" } : {}),
      });
      expect(calls).toHaveLength(1);
      expect(typeof calls[0]).toBe("string");
      expect(result.steps).toHaveLength(2);
      expect(result.text.length).toBeGreaterThan(0);
    }
  });

  // Breaks if LangChain's ChatOpenAI cannot use the router as its fetch.
  it("serves LangChain: invoke, stream and embeddings", async () => {
    current = await rig(FLEET, { strategy: "round-robin" });
    const configuration = { fetch: current.router.fetch, baseURL: "http://router.invalid/v1" };
    const model = new ChatOpenAI({
      model: "gpt-4o",
      apiKey: "unused",
      maxTokens: 20,
      maxRetries: 0,
      configuration,
    });
    const reply = await model.invoke("Hello");
    expect(String(reply.content).length).toBeGreaterThan(0);
    let streamed = "";
    for await (const chunk of await model.stream("Stream")) streamed += String(chunk.content);
    expect(streamed.length).toBeGreaterThan(0);
    const embeddings = new OpenAIEmbeddings({
      model: "text-embedding-3-small",
      apiKey: "unused",
      configuration,
    });
    expect((await embeddings.embedQuery("hi")).length).toBeGreaterThan(0);
    expect(current.fleet.stats("east").requests + current.fleet.stats("oai").requests).toBe(3);
  });
});
