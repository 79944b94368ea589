import { countTokens, encode, encodeChat } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import {
  applyStop,
  capTokens,
  choiceTokens,
  generateReply,
  MAX_REPLY_TOKENS,
  MIN_REPLY_TOKENS,
  planChoice,
  REPLY_WORDS,
  type ReplyShape,
} from "../../src/sim/content.js";
import { countChatTokens, countToolTokens, TokenCounter, toolsPrompt } from "../../src/sim/tokens.js";

describe("reply words", () => {
  it("are each exactly one o200k token, alone, after a space and capitalised", () => {
    for (const w of REPLY_WORDS) {
      expect(encode(w), w).toHaveLength(1);
      expect(encode(` ${w}`), w).toHaveLength(1);
      expect(encode(w[0]!.toUpperCase() + w.slice(1)), w).toHaveLength(1);
    }
  });
});

describe("generateReply", () => {
  it("reports exactly as many tokens as the tokenizer counts in the text", () => {
    for (let i = 0; i < 200; i++) {
      const { tokens } = generateReply(7, `prompt ${i}`, i % 3, undefined);
      expect(countTokens(tokens.join(""))).toBe(tokens.length);
    }
  });

  it("gives natural lengths within bounds, ending with a full stop and finish_reason stop", () => {
    const lengths = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const r = generateReply(1, `p${i}`, 0, undefined);
      expect(r.tokens.length).toBeGreaterThanOrEqual(MIN_REPLY_TOKENS);
      expect(r.tokens.length).toBeLessThanOrEqual(MAX_REPLY_TOKENS);
      expect(r.tokens.at(-1)).toBe(".");
      expect(r.finishReason).toBe("stop");
      lengths.add(r.tokens.length);
    }
    expect(lengths.size).toBeGreaterThan(50);
  });

  it("is a function of seed, prompt and choice index", () => {
    const a = generateReply(1, "hello", 0, undefined);
    expect(generateReply(1, "hello", 0, undefined)).toEqual(a);
    expect(generateReply(2, "hello", 0, undefined).tokens).not.toEqual(a.tokens);
    expect(generateReply(1, "hello!", 0, undefined).tokens).not.toEqual(a.tokens);
    expect(generateReply(1, "hello", 1, undefined).tokens).not.toEqual(a.tokens);
  });

  it("cuts at maxTokens with finish_reason length, keeping the same prefix", () => {
    const full = generateReply(1, "hello", 0, undefined);
    const cut = generateReply(1, "hello", 0, 5);
    expect(cut.tokens).toEqual(full.tokens.slice(0, 5));
    expect(cut.finishReason).toBe("length");
    expect(generateReply(1, "hello", 0, 10_000)).toEqual(full);
  });
});

describe("countChatTokens", () => {
  it("matches gpt-tokenizer's encodeChat for gpt-4o (3 per message + 3 priming)", () => {
    const counter = new TokenCounter();
    const conversations = [
      [{ role: "user", content: "Hi" }],
      [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "Summarise the benefits of a single central queue, please." },
        { role: "assistant", content: "One queue in front of many servers keeps them all busy." },
        { role: "user", content: "Unicode too: naïve café — 東京 🚀" },
      ],
    ] as const;
    for (const messages of conversations) {
      const mine = countChatTokens(
        counter,
        messages.map((m) => ({ role: m.role, text: m.content })),
      );
      expect(mine).toBe(encodeChat(messages, "gpt-4o").length);
    }
  });

  it("counts a name as its tokens + 1, as OpenAI's cookbook does", () => {
    const counter = new TokenCounter();
    const plain = countChatTokens(counter, [{ role: "user", text: "Hi" }]);
    expect(countChatTokens(counter, [{ role: "user", text: "Hi", name: "bob" }])).toBe(plain + 2);
  });

  it("keeps its cache bounded", () => {
    const counter = new TokenCounter(3);
    for (let i = 0; i < 10; i++) expect(counter.count(`word${i}`)).toBe(countTokens(`word${i}`));
    expect(counter.count("word0")).toBe(countTokens("word0"));
  });
});

describe("stop sequences and caps", () => {
  const choice = { tokens: ["Alpha", " beta", " gamma", "."], finishReason: "stop" as const };
  // Breaks if the earliest sequence does not win, or the cut keeps part of the sequence.
  it("applyStop ends before the earliest sequence, mid-token if need be", () => {
    expect(applyStop(choice, [" gamma", " beta"]).tokens).toEqual(["Alpha"]);
    expect(applyStop(choice, ["ta g"]).tokens).toEqual(["Alpha", " be"]);
    expect(applyStop(choice, ["Al"]).tokens).toEqual([]);
    expect(applyStop(choice, ["zeta"])).toBe(choice);
    expect(applyStop({ ...choice, finishReason: "length" }, ["."]).finishReason).toBe("stop");
  });

  // Breaks if capTokens lets more than maxTokens through or mislabels the finish.
  it("capTokens cuts to max_tokens with finish_reason length", () => {
    expect(capTokens(choice, 2)).toEqual({ tokens: ["Alpha", " beta"], finishReason: "length" });
    expect(capTokens(choice, 4)).toBe(choice);
  });
});

describe("planChoice", () => {
  const shape: ReplyShape = {
    tools: [
      { name: "f", parameters: { type: "object", properties: { a: { type: "string" } }, required: ["a"] } },
    ],
    toolChoice: "required",
    parallelToolCalls: undefined,
    afterToolResult: false,
    lastUserText: "",
    format: { type: "text" },
    stop: [],
    maxTokens: undefined,
    logprobs: false,
    topLogprobs: 0,
  };
  // Breaks if max_tokens does not cut tool-call arguments (finish_reason length) or the token count is off.
  it("cuts tool-call arguments at max_tokens", () => {
    const full = planChoice(1, "k", 0, shape);
    expect(full.finishReason).toBe("tool_calls");
    const cut = planChoice(1, "k", 0, { ...shape, maxTokens: 3 });
    expect(cut.finishReason).toBe("length");
    expect(choiceTokens(cut)).toBe(3);
    expect(full.toolCalls![0]!.arguments.startsWith(cut.toolCalls![0]!.arguments)).toBe(true);
  });
});

describe("tool definitions in the prompt", () => {
  // Breaks if the rendering drops names, parameters or optional markers, or costs nothing.
  it("renders the namespace the model sees and counts it", () => {
    const tools = [
      {
        name: "get_weather",
        description: "Weather",
        parameters: {
          type: "object",
          properties: { city: { type: "string", description: "City" }, unit: { enum: ["c", "f"] } },
          required: ["city"],
        },
      },
      { name: "now" },
    ];
    const text = toolsPrompt(tools);
    expect(text).toContain("type get_weather = (_: {");
    expect(text).toContain("// City\ncity: string,");
    expect(text).toContain('unit?: "c" | "f",');
    expect(text).toContain("type now = () => any;");
    expect(countToolTokens(new TokenCounter(), tools)).toBe(countTokens(text) + 4);
    expect(countToolTokens(new TokenCounter(), [])).toBe(0);
  });
});
