import { countTokens } from "gpt-tokenizer";
import type {
  ChatCompletionCreateParams,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { createTokenEstimator, outputCap } from "../../src/limits/token-estimate.js";
import { pngDataUrl } from "../helpers/image-data-urls.js";

const chat = (messages: ChatCompletionMessageParam[], extra: Partial<ChatCompletionCreateParams> = {}) =>
  ({ model: "gpt-4o", messages, ...extra }) as ChatCompletionCreateParams;

describe("estimatePromptTokens", () => {
  const system = "You are a helpful assistant. Answer briefly and cite your sources.";
  const user = "What is the capital of France? Please answer in one word.";

  it("counts plain-text messages exactly as the simulated fleet: 3 per message + role + content + 3", () => {
    const e = createTokenEstimator();
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: system },
      { role: "user", content: user },
      { role: "assistant", content: "Paris." },
      { role: "user", content: "And of Italy?" },
    ];
    const expected =
      (3 + 1) * 4 +
      countTokens(system) +
      countTokens(user) +
      countTokens("Paris.") +
      countTokens("And of Italy?") +
      3;
    expect(e.estimatePromptTokens(chat(messages))).toBe(expected);
    // Again, now from the cache: same answer.
    expect(e.estimatePromptTokens(chat(messages))).toBe(expected);
  });

  it("counts an empty message as its framing only", () => {
    const e = createTokenEstimator();
    expect(e.estimatePromptTokens(chat([{ role: "user", content: "" }]))).toBe(3 + 1 + 3);
    expect(e.estimatePromptTokens(chat([]))).toBe(3);
  });

  it("adds the name's tokens plus one when a message has a name", () => {
    const e = createTokenEstimator();
    const plain = e.estimatePromptTokens(chat([{ role: "user", content: user }]));
    const named = e.estimatePromptTokens(chat([{ role: "user", content: user, name: "alice" }]));
    expect(named - plain).toBe(countTokens("alice") + 1);
  });

  it("counts text parts of array content like strings", () => {
    const e = createTokenEstimator();
    const parts = e.estimatePromptTokens(
      chat([
        {
          role: "user",
          content: [
            { type: "text", text: "Describe" },
            { type: "text", text: " this, please." },
          ],
        },
      ]),
    );
    expect(parts).toBe(3 + 1 + countTokens("Describe") + countTokens(" this, please.") + 3);
  });

  it("counts assistant tool calls: name + arguments + overhead", () => {
    const e = createTokenEstimator();
    const args = '{"city":"Paris","unit":"celsius"}';
    const tokens = e.estimatePromptTokens(
      chat([
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: args } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18°C, sunny" },
      ]),
    );
    expect(tokens).toBe(
      4 + countTokens("get_weather") + countTokens(args) + 3 + (4 + countTokens("18°C, sunny")) + 3,
    );
    const custom = createTokenEstimator({ toolCallOverhead: 10 }).estimatePromptTokens(
      chat([
        {
          role: "assistant",
          tool_calls: [{ id: "c", type: "custom", custom: { name: "run_sql", input: "SELECT 1" } }],
        },
      ]),
    );
    expect(custom).toBe(4 + countTokens("run_sql") + countTokens("SELECT 1") + 10 + 3);
  });

  it("counts a legacy function_call and function message", () => {
    const e = createTokenEstimator();
    const tokens = e.estimatePromptTokens(
      chat([
        { role: "assistant", content: null, function_call: { name: "lookup", arguments: "{}" } },
        { role: "function", name: "lookup", content: "42" },
      ]),
    );
    expect(tokens).toBe(
      4 +
        countTokens("lookup") +
        countTokens("{}") +
        3 +
        (4 + countTokens("42") + countTokens("lookup") + 1) +
        3,
    );
  });

  it("counts tool definitions: name + description + JSON of parameters + overhead each", () => {
    const e = createTokenEstimator();
    const parameters = {
      type: "object",
      properties: { city: { type: "string", description: "City name" } },
      required: ["city"],
    };
    const base = e.estimatePromptTokens(chat([{ role: "user", content: user }]));
    const withTools = e.estimatePromptTokens(
      chat([{ role: "user", content: user }], {
        tools: [
          { type: "function", function: { name: "get_weather", description: "Current weather", parameters } },
          { type: "function", function: { name: "noop" } },
        ],
      }),
    );
    expect(withTools - base).toBe(
      countTokens("get_weather") +
        countTokens("Current weather") +
        countTokens(JSON.stringify(parameters)) +
        8 +
        (countTokens("noop") + 8),
    );
  });

  it("counts a json_schema response format", () => {
    const e = createTokenEstimator();
    const schema = { type: "object", properties: { answer: { type: "string" } } };
    const base = e.estimatePromptTokens(chat([{ role: "user", content: user }]));
    const structured = e.estimatePromptTokens(
      chat([{ role: "user", content: user }], {
        response_format: { type: "json_schema", json_schema: { name: "answer", schema } },
      }),
    );
    expect(structured - base).toBe(countTokens("answer") + countTokens(JSON.stringify(schema)));
  });

  it("counts images by the tile rule", () => {
    const e = createTokenEstimator();
    const withImage = (url: string, detail?: "low" | "high" | "auto") =>
      e.estimatePromptTokens(
        chat([
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image_url", image_url: detail ? { url, detail } : { url } },
            ],
          },
        ]),
      ) -
      (4 + countTokens("What is this?") + 3);
    expect(withImage("https://example.com/cat.jpg", "low")).toBe(85);
    expect(withImage("https://example.com/cat.jpg", "high")).toBe(765);
    expect(withImage("https://example.com/cat.jpg")).toBe(765); // auto → high, unknown size
    expect(withImage(pngDataUrl(512, 512), "high")).toBe(85 + 170);
    expect(withImage(pngDataUrl(4096, 8192), "low")).toBe(85);
  });

  it("leaves audio and file parts unestimated", () => {
    const e = createTokenEstimator();
    const tokens = e.estimatePromptTokens(
      chat([
        {
          role: "user",
          content: [
            { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
            { type: "file", file: { file_id: "file-1" } },
          ],
        },
      ]),
    );
    expect(tokens).toBe(7);
  });

  it("treats special-token text as ordinary text instead of throwing", () => {
    const e = createTokenEstimator();
    expect(e.countText("<|endoftext|>")).toBeGreaterThan(1);
  });
});

describe("outputCap", () => {
  const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "hi" }];
  it("prefers max_completion_tokens, then max_tokens, then the default, times n", () => {
    expect(outputCap(chat(messages, { max_completion_tokens: 100, max_tokens: 50 }), 1024)).toBe(100);
    expect(outputCap(chat(messages, { max_tokens: 50 }), 1024)).toBe(50);
    expect(outputCap(chat(messages), 1024)).toBe(1024);
    expect(outputCap(chat(messages, { max_tokens: null, n: null }), 7)).toBe(7);
    expect(outputCap(chat(messages, { max_tokens: 50, n: 3 }), 1024)).toBe(150);
  });

  it("is what the estimator adds to the prompt for the chat charge", () => {
    const e = createTokenEstimator({ defaultOutputTokens: 256 });
    const body = chat(messages);
    expect(e.outputCap(body)).toBe(256);
    expect(e.estimateChatTokens(body)).toBe(e.estimatePromptTokens(body) + 256);
  });
});

describe("estimateEmbeddingTokens", () => {
  const e = createTokenEstimator();
  const embed = (input: string | string[] | number[] | number[][]) =>
    e.estimateEmbeddingTokens({ model: "text-embedding-3-small", input });

  it("counts a string, a batch of strings, token ids, and batches of token ids", () => {
    expect(embed("Hello, world!")).toBe(countTokens("Hello, world!"));
    expect(embed(["Hello, world!", "You are a helpful assistant."])).toBe(
      countTokens("Hello, world!") + countTokens("You are a helpful assistant."),
    );
    expect(embed([9906, 11, 1917, 0])).toBe(4);
    expect(embed([[1, 2, 3], [4, 5], []])).toBe(5);
    expect(embed([])).toBe(0);
  });

  it("does not let embedding batches fill the cache", () => {
    const fresh = createTokenEstimator();
    fresh.estimateEmbeddingTokens({ model: "m", input: ["a b c", "d e f"] });
    expect(fresh.cacheEntries).toBe(0);
  });
});

describe("cache", () => {
  it("remembers counts and never holds more than cacheSize entries, evicting the least recently used", () => {
    const e = createTokenEstimator({ cacheSize: 3 });
    e.countText("one");
    e.countText("two");
    e.countText("three");
    expect(e.cacheEntries).toBe(3);
    e.countText("one"); // refreshes "one": "two" is now the oldest
    e.countText("four");
    expect(e.cacheEntries).toBe(3);
    for (let i = 0; i < 100; i++) e.countText(`text number ${i}`);
    expect(e.cacheEntries).toBe(3);
  });

  it("evicts the least recently used, not the oldest inserted", () => {
    // Entries of different lengths under a length budget make the evicted one observable.
    const e = createTokenEstimator({ maxCachedChars: 30 });
    const a = "aaaaaaaaaa"; // 10
    const b = "bbbbbbbbbbbbbbb"; // 15
    e.countText(a);
    e.countText(b);
    e.countText(a); // a is now more recent than b
    e.countText("cccccccccc"); // 35 > 30: evicts b (LRU), not a → 20
    e.countText("dddddddddd"); // 30: fits, so nothing else was evicted
    expect(e.cacheEntries).toBe(3);
  });

  it("keeps counts right while entries churn", () => {
    const e = createTokenEstimator({ cacheSize: 2 });
    const prompt = "You are a careful assistant.";
    for (let i = 0; i < 50; i++) {
      expect(e.countText(prompt)).toBe(countTokens(prompt));
      expect(e.countText(`question ${i}`)).toBe(countTokens(`question ${i}`));
    }
    expect(e.cacheEntries).toBe(2);
  });

  it("counts but does not cache strings longer than maxCachedLength", () => {
    const e = createTokenEstimator({ maxCachedLength: 10 });
    const long = "a fairly long sentence that exceeds the threshold";
    expect(e.countText(long)).toBe(countTokens(long));
    expect(e.cacheEntries).toBe(0);
    e.countText("short");
    expect(e.cacheEntries).toBe(1);
  });

  it("bounds the total cached length", () => {
    const e = createTokenEstimator({ maxCachedChars: 20 });
    e.countText("0123456789"); // 10
    e.countText("abcdefghij"); // 20
    expect(e.cacheEntries).toBe(2);
    e.countText("klmno"); // 25 > 20: evict the oldest
    expect(e.cacheEntries).toBe(2);
  });

  it("can be disabled", () => {
    const e = createTokenEstimator({ cacheSize: 0 });
    expect(e.countText("hello there")).toBe(countTokens("hello there"));
    expect(e.cacheEntries).toBe(0);
  });

  it("keeps no state between estimators", () => {
    const a = createTokenEstimator();
    const b = createTokenEstimator();
    a.countText("only in a");
    expect(a.cacheEntries).toBe(1);
    expect(b.cacheEntries).toBe(0);
  });

  it("rejects bad options, naming them", () => {
    expect(() => createTokenEstimator({ cacheSize: -1 })).toThrow(/cacheSize/);
    expect(() => createTokenEstimator({ defaultOutputTokens: 1.5 })).toThrow(/defaultOutputTokens/);
  });
});
