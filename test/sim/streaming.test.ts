// Azure's companion types: adds prompt_filter_results / content_filter_results to the openai types.
import type {} from "@azure/openai/types";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { asOpenAI, azureClient, openaiClient, user } from "./helpers.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    seed: 3,
    endpoints: [
      { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
      { name: "oai", type: "openai", models: ["gpt-4o"] },
      { name: "paced", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 60, tokensPerSecond: 200 } },
    ],
  });
});
afterAll(() => fleet.close());

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

function contentOf(chunks: readonly ChatCompletionChunk[], index = 0): string {
  return chunks
    .flatMap((c) => c.choices)
    .filter((c) => c.index === index)
    .map((c) => c.delta.content ?? "")
    .join("");
}

describe("streaming (openai.com)", () => {
  it("sends role first, content deltas, a finish chunk, with one id throughout", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const chunks = await collect(
      await client.chat.completions.create({ model: "gpt-4o", messages: user("stream me"), stream: true }),
    );
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^chatcmpl-/);
    for (const c of chunks) {
      expect(c.object).toBe("chat.completion.chunk");
      expect(c).not.toHaveProperty("usage");
    }
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: "assistant", content: "" });
    const last = chunks.at(-1)!;
    expect(last.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    const middle = chunks.slice(1, -1);
    expect(middle.length).toBeGreaterThanOrEqual(8);
    for (const c of middle) {
      expect(c.choices[0]!.finish_reason).toBeNull();
      expect(typeof c.choices[0]!.delta.content).toBe("string");
    }
    // Streaming and non-streaming agree on the reply.
    const whole = await client.chat.completions.create({ model: "gpt-4o", messages: user("stream me") });
    expect(contentOf(chunks)).toBe(whole.choices[0]!.message.content);
  });

  it("with include_usage: usage null on every chunk, then a choices-less usage chunk", async () => {
    const chunks = await collect(
      await openaiClient(fleet.endpoint("oai")).chat.completions.create({
        model: "gpt-4o",
        messages: user("usage please"),
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 4,
      }),
    );
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({
      completion_tokens: 4,
      total_tokens: usageChunk.usage!.prompt_tokens + 4,
    });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("length");
    expect(chunks.filter((c) => c.choices[0]?.delta.content)).toHaveLength(4);
  });

  it("interleaves n choices, each with its role chunk and finish chunk", async () => {
    const chunks = await collect(
      await openaiClient(fleet.endpoint("oai")).chat.completions.create({
        model: "gpt-4o",
        messages: user("two ways"),
        stream: true,
        n: 2,
      }),
    );
    for (const index of [0, 1]) {
      const mine = chunks.flatMap((c) => c.choices).filter((c) => c.index === index);
      expect(mine[0]!.delta.role).toBe("assistant");
      expect(mine.at(-1)!.finish_reason).toBe("stop");
    }
    expect(contentOf(chunks, 0)).not.toBe(contentOf(chunks, 1));
  });

  it("speaks raw SSE: text/event-stream, data lines, ends with [DONE]", async () => {
    const oai = asOpenAI(fleet.endpoint("oai"));
    const res = await fetch(`${oai.baseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${oai.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", messages: user("raw"), stream: true, max_tokens: 2 }),
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = text.split("\n\n").filter((e) => e !== "");
    for (const e of events) expect(e.startsWith("data: ")).toBe(true);
    expect(events).toHaveLength(1 + 2 + 1 + 1); // role, 2 tokens, finish, [DONE]
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("paces tokens by ttft and tokens per second", async () => {
    const client = openaiClient(fleet.endpoint("paced"));
    const started = performance.now();
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("slowly"),
      stream: true,
      max_tokens: 11,
    });
    const arrivals: number[] = [];
    for await (const c of stream) if (c.choices[0]?.delta.content) arrivals.push(performance.now() - started);
    expect(arrivals).toHaveLength(11);
    // Lower bounds from the start only (timers never fire early): the first token after ttft (60 ms),
    // the last after ttft + 10 × 5 ms. Not the gap between them: the sim keeps an absolute schedule, so
    // a late first timer (a loaded machine) sends the tokens then due in one write, as it should.
    expect(arrivals[0]).toBeGreaterThanOrEqual(55);
    expect(arrivals[10]).toBeGreaterThanOrEqual(105);
  });
});

describe("streaming (Azure)", () => {
  it("opens with a prompt_filter_results chunk and annotates content chunks", async () => {
    const chunks = await collect(
      await azureClient(fleet.endpoint("east")).chat.completions.create({
        model: "gpt4o-east",
        messages: user("azure stream"),
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const first = chunks[0]!;
    expect(first.choices).toEqual([]);
    expect(first.prompt_filter_results).toHaveLength(1);
    expect(chunks[1]!.choices[0]!.delta.role).toBe("assistant");
    const content = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(content.length).toBeGreaterThanOrEqual(8);
    for (const c of content) {
      expect(c.choices[0]!.content_filter_results?.hate).toEqual({ filtered: false, severity: "safe" });
    }
    expect(chunks.at(-1)!.usage?.completion_tokens).toBe(content.length);
    // Every chunk after Azure's anonymous first one shares one id.
    expect(new Set(chunks.slice(1).map((c) => c.id)).size).toBe(1);
  });
});
