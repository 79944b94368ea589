import { countTokens, encode, encodeChat } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { generateReply, MAX_REPLY_TOKENS, MIN_REPLY_TOKENS, REPLY_WORDS } from "../../src/sim/content.js";
import { countChatTokens, TokenCounter } from "../../src/sim/tokens.js";

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
