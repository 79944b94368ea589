import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { COMPLETION } from "../../bench/lib/fixtures.js";
import { createRouter, createTokenEstimator, type Router, type Transport } from "../../src/index.js";
import { estimateResponsesInput } from "../../src/operations/responses.js";
import { stubEndpoint } from "../helpers/stub-router.js";

/**
 * Token estimation is bounded: linear in the prompt's size with a cap on how much text is tokenized
 * per request, so one huge prompt cannot stall the event loop for everyone (a 100 kB run without a
 * space cost ~5 s in the BPE tokenizer before; 10 MB of text ~1 s). Measured by counting the
 * tokenizer's work, not by a clock: gpt-tokenizer is wrapped to record every text it is given.
 */

const work = vi.hoisted(() => ({ calls: 0, chars: 0, longest: 0 }));
vi.mock("gpt-tokenizer", async (importOriginal) => {
  const real = await importOriginal<typeof import("gpt-tokenizer")>();
  return {
    ...real,
    countTokens: (text: string, options?: Parameters<typeof real.countTokens>[1]) => {
      work.calls += 1;
      work.chars += text.length;
      work.longest = Math.max(work.longest, text.length);
      return real.countTokens(text, options);
    },
  };
});

beforeEach(() => {
  work.calls = 0;
  work.chars = 0;
  work.longest = 0;
});

const transport: Transport = async () => ({ kind: "chat", data: COMPLETION, headers: undefined });
const routers: Router[] = [];
afterAll(() => Promise.all(routers.map((r) => r.close())));
function router(tpm?: number): Router {
  const r = createRouter(
    {
      endpoints: [stubEndpoint("a", tpm ? { limits: { tpm } } : {})],
      fetch: () => Promise.reject(new Error("no HTTP in these tests")),
    },
    { transport },
  );
  routers.push(r);
  return r;
}

const WORDS = "the quick brown fox jumps over the lazy dog while the router counts tokens ";
const words = (length: number) => WORDS.repeat(Math.ceil(length / WORDS.length)).slice(0, length);

describe("a huge prompt", () => {
  // Breaks if a long run without whitespace went to the tokenizer whole: BPE on one 100k-character
  // piece is quadratic (seconds of blocked event loop). Slices keep every call short.
  it("~100 kB without a space: tokenized in short slices, every character once", async () => {
    const content = "a".repeat(100_000);
    const response = await router().chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content }],
    });
    expect(response.object).toBe("chat.completion");
    expect(work.longest).toBeLessThanOrEqual(1_024);
    expect(work.chars).toBeGreaterThanOrEqual(100_000);
    expect(work.chars).toBeLessThanOrEqual(100_100);
  });

  // Breaks if a 10 MB prompt were tokenized whole (linear, but ~1 s of blocked loop) instead of being
  // estimated from its length beyond the cap; and if REQUEST_TOO_LARGE then took that long to decide.
  it("10 MB: at most the cap is tokenized, the rest estimated by length; REQUEST_TOO_LARGE", async () => {
    const content = words(10_000_000);
    const error = await router(200_000)
      .chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ code: "REQUEST_TOO_LARGE" });
    // ~10 MB of English is ~2.2 M tokens: the estimate from length must be of that order.
    expect((error as { estimatedTokens: number }).estimatedTokens).toBeGreaterThan(1_500_000);
    expect(work.chars).toBeGreaterThan(0);
    expect(work.chars).toBeLessThanOrEqual(131_072 + 1_024);
    expect(work.longest).toBeLessThanOrEqual(1_024);
  });

  // Breaks if the cap were per string instead of per request: many large messages add up.
  it("the cap holds across messages, tools, embeddings inputs and Responses items of one request", async () => {
    const estimator = createTokenEstimator();
    const big = words(60_000);
    estimator.estimateChatTokens({
      model: "gpt-4o",
      messages: Array.from({ length: 10 }, (_, i) => ({ role: "user" as const, content: `${i}${big}` })),
    });
    expect(work.chars).toBeLessThanOrEqual(131_072 + 1_024);
    work.chars = 0;
    estimator.estimateEmbeddingTokens({
      model: "text-embedding-3-small",
      input: Array.from({ length: 10 }, (_, i) => `${i}${big}`),
    });
    expect(work.chars).toBeLessThanOrEqual(131_072 + 1_024);
    work.chars = 0;
    estimateResponsesInput(
      {
        instructions: big,
        input: Array.from({ length: 10 }, (_, i) => ({ role: "user", content: `${i}${big}` })),
      },
      estimator,
    );
    expect(work.chars).toBeLessThanOrEqual(131_072 + 1_024);
  });

  // Breaks if slicing changed the count of ordinary text by more than a rounding (it must stay an
  // estimate the budgets can trust).
  it("slicing keeps ordinary text within 1% of the exact count", async () => {
    const real = await vi.importActual<typeof import("gpt-tokenizer")>("gpt-tokenizer");
    const estimator = createTokenEstimator({ cacheSize: 0 });
    for (const text of [words(50_000), `${"word ".repeat(9_000)}`, "日本語のテキスト、".repeat(3_000)]) {
      const exact = real.countTokens(text, { disallowedSpecial: new Set() });
      const estimate = estimator.countText(text);
      expect(estimate).toBeGreaterThanOrEqual(exact);
      expect(estimate / exact).toBeLessThan(1.01);
    }
  });
});
