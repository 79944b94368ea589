import { countTokens } from "gpt-tokenizer";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import {
  CACHE_STEP_TOKENS,
  DEFAULT_PROMPT_CACHE_TTL_MS,
  EXTENDED_PROMPT_CACHE_TTL_MS,
  MIN_CACHED_TOKENS,
  OVERFLOW_PER_MINUTE,
  PREFILL_SHARE_OF_TTFT,
  PromptCache,
  type PromptPiece,
  withCachedPrefix,
} from "../../src/sim/prompt-cache.js";
import { asAzure, azureClient, FakeClock, openaiClient } from "./helpers.js";

/** About 1,400 tokens of system prompt: long enough to be cached. */
const LONG = Array.from({ length: 700 }, (_, i) => `rule ${i % 97}`).join(", ");

function prompt(system: string, user: string): PromptPiece[] {
  return [
    { role: "system", text: system },
    { role: "user", text: user },
  ];
}

function billed(pieces: readonly PromptPiece[]): number {
  let n = 3;
  for (const p of pieces) n += 3 + countTokens(p.role) + countTokens(p.text);
  return n;
}

describe("PromptCache", () => {
  // Breaks if prompts under 1,024 tokens are cached, or a repeated long prompt is not.
  it("caches only prompts of 1,024+ tokens, reporting 1024 + 128·k tokens of the longest seen prefix", () => {
    const clock = new FakeClock();
    const cache = new PromptCache({ now: clock.now });
    const short = prompt("short", "hi");
    expect(cache.use("gpt-4o", short, billed(short), undefined)).toBe(0);
    expect(cache.use("gpt-4o", short, billed(short), undefined)).toBe(0);

    const long = prompt(LONG, "first question");
    const tokens = billed(long);
    expect(tokens).toBeGreaterThan(1300);
    expect(cache.use("gpt-4o", long, tokens, undefined)).toBe(0);
    const hit = cache.use("gpt-4o", long, tokens, undefined);
    expect(hit).toBeGreaterThanOrEqual(MIN_CACHED_TOKENS);
    expect(hit).toBeLessThanOrEqual(tokens);
    expect((hit - MIN_CACHED_TOKENS) % CACHE_STEP_TOKENS).toBe(0);
    expect(tokens - hit).toBeLessThan(CACHE_STEP_TOKENS + 10);

    // Same system prompt, another question: the shared prefix is cached, not the new tail.
    const other = prompt(LONG, "a second, rather different question about something else entirely");
    const partial = cache.use("gpt-4o", other, billed(other), undefined);
    expect(partial).toBeGreaterThanOrEqual(MIN_CACHED_TOKENS);
    expect(partial).toBeLessThanOrEqual(hit);
    // Another model has its own cache.
    expect(cache.use("gpt-4o-mini", long, tokens, undefined)).toBe(0);
  });

  // Breaks if cached prefixes never expire, or a use does not refresh them.
  it("forgets a prefix after the TTL of inactivity; each use refreshes it", () => {
    const clock = new FakeClock();
    const cache = new PromptCache({ now: clock.now });
    const long = prompt(LONG, "q");
    const tokens = billed(long);
    cache.use("gpt-4o", long, tokens, undefined);
    clock.advance(DEFAULT_PROMPT_CACHE_TTL_MS - 1);
    expect(cache.use("gpt-4o", long, tokens, undefined)).toBeGreaterThan(0);
    clock.advance(DEFAULT_PROMPT_CACHE_TTL_MS - 1);
    expect(cache.use("gpt-4o", long, tokens, undefined)).toBeGreaterThan(0);
    clock.advance(DEFAULT_PROMPT_CACHE_TTL_MS + 1);
    expect(cache.use("gpt-4o", long, tokens, undefined)).toBe(0);
  });

  // Breaks if prompt_cache_retention "24h" does not keep a prefix past the in-memory TTL.
  it("keeps a prefix up to 24 h with prompt_cache_retention 24h", () => {
    const clock = new FakeClock();
    const cache = new PromptCache({ now: clock.now });
    const long = prompt(LONG, "q");
    const tokens = billed(long);
    cache.use("gpt-4o", long, tokens, undefined, "24h");
    clock.advance(EXTENDED_PROMPT_CACHE_TTL_MS - 1);
    // An in-memory use refreshes, but never shortens, the 24 h expiry.
    expect(cache.use("gpt-4o", long, tokens, undefined)).toBeGreaterThan(0);
    clock.advance(DEFAULT_PROMPT_CACHE_TTL_MS + 1);
    expect(cache.use("gpt-4o", long, tokens, undefined)).toBe(0);
  });

  // Breaks if prompt_cache_key is not combined with the prefix when choosing the cache machine.
  it("routes by prefix + prompt_cache_key: the same key hits, other keys may land on a cold machine", () => {
    const clock = new FakeClock();
    const cache = new PromptCache({ now: clock.now });
    const long = prompt(LONG, "q");
    const tokens = billed(long);
    cache.use("gpt-4o", long, tokens, "user-1");
    expect(cache.use("gpt-4o", long, tokens, "user-1")).toBeGreaterThan(0);
    const misses = Array.from({ length: 16 }, (_, i) => cache.use("gpt-4o", long, tokens, `key-${i}`)).filter(
      (n) => n === 0,
    ).length;
    expect(misses).toBeGreaterThan(0);
  });

  // Breaks if one (prefix, key) above ~15 requests a minute never overflows to colder machines.
  it("overflows a hot prefix to other machines past ~15 requests a minute, lowering the hit rate", () => {
    const clock = new FakeClock();
    const cache = new PromptCache({ now: clock.now, machines: 4 });
    const long = prompt(LONG, "q");
    const tokens = billed(long);
    const hits: number[] = [];
    for (let i = 0; i < 30; i++) {
      hits.push(cache.use("gpt-4o", long, tokens, undefined));
      clock.advance(1_000);
    }
    // The first request is cold, the next 14 hit on the home machine.
    expect(hits.slice(1, OVERFLOW_PER_MINUTE).every((n) => n > 0)).toBe(true);
    // Then overflow: the first visit to each other machine misses.
    expect(hits.slice(OVERFLOW_PER_MINUTE).filter((n) => n === 0).length).toBe(3);
  });

  // Breaks if memory grows without bound.
  it("keeps at most maxEntries prefixes", () => {
    const clock = new FakeClock();
    const cache = new PromptCache({ now: clock.now, maxEntries: 40, machines: 1 });
    for (let i = 0; i < 50; i++) {
      const p = prompt(`${i} ${LONG}`, "q");
      cache.use("gpt-4o", p, billed(p), undefined);
    }
    expect(cache.size).toBeLessThanOrEqual(40);
  });

  // Breaks if a cached prefix does not shorten the time to first token, or shortens it without a hit.
  it("shortens time to first token by the prefill of the cached share", () => {
    const t = { startMs: 0, ttftMs: 1_000, perTokenMs: 10 };
    expect(withCachedPrefix(t, 0, 2_000)).toBe(t);
    expect(withCachedPrefix(t, 1_024, 2_048)).toEqual({ startMs: 0, ttftMs: 600, perTokenMs: 10 });
    expect(withCachedPrefix(t, 2_048, 2_048).ttftMs).toBeCloseTo(200);
  });
});

const PACED_TTFT_MS = 120;

describe("prompt caching over the wire", () => {
  let fleet: Fleet;
  const clock = new FakeClock();

  beforeAll(async () => {
    fleet = await startFleet({
      seed: 5,
      now: clock.now,
      endpoints: [
        { name: "a", type: "openai", models: ["gpt-4o"] },
        { name: "b", type: "openai", models: ["gpt-4o"] },
        { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
        // No tokensPerSecond: a JSON reply is due exactly ttft after the request, so the delay the
        // sim sets is the ttft it computed.
        { name: "paced", type: "openai", models: ["gpt-4o"], latency: { ttftMs: PACED_TTFT_MS } },
        { name: "paced-other", type: "openai", models: ["gpt-4o"], latency: { ttftMs: PACED_TTFT_MS } },
      ],
    });
  });
  afterAll(() => fleet.close());
  afterEach(() => vi.restoreAllMocks());

  const messages = (q: string) => [
    { role: "system" as const, content: LONG },
    { role: "user" as const, content: q },
  ];

  // Breaks if chat does not report cached_tokens for a repeated long prefix on the same endpoint only.
  it("chat: same endpoint reports cached_tokens, another endpoint does not, nor after the TTL", async () => {
    const a = openaiClient(fleet.endpoint("a"));
    const first = await a.chat.completions.create({ model: "gpt-4o", messages: messages("one") });
    expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    const second = await a.chat.completions.create({ model: "gpt-4o", messages: messages("two") });
    const cached = second.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThanOrEqual(MIN_CACHED_TOKENS);
    expect((cached - MIN_CACHED_TOKENS) % CACHE_STEP_TOKENS).toBe(0);
    expect(cached).toBeLessThanOrEqual(second.usage?.prompt_tokens ?? 0);

    const b = openaiClient(fleet.endpoint("b"));
    const elsewhere = await b.chat.completions.create({ model: "gpt-4o", messages: messages("two") });
    expect(elsewhere.usage?.prompt_tokens_details?.cached_tokens).toBe(0);

    clock.advance(DEFAULT_PROMPT_CACHE_TTL_MS + 1);
    const later = await a.chat.completions.create({ model: "gpt-4o", messages: messages("three") });
    expect(later.usage?.prompt_tokens_details?.cached_tokens).toBe(0);

    // prompt_cache_retention "24h" keeps it for the next hour too.
    const kept = { model: "gpt-4o", messages: messages("kept"), prompt_cache_retention: "24h" as const };
    await a.chat.completions.create(kept);
    clock.advance(60 * 60_000);
    const hour = await a.chat.completions.create(kept);
    expect(hour.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
  });

  // Breaks if the Responses API does not report input_tokens_details.cached_tokens, or shares chat's cache wrongly.
  it("responses: input_tokens_details.cached_tokens on a repeated prefix; Azure too", async () => {
    const a = openaiClient(fleet.endpoint("a"));
    const body = { model: "gpt-4o", instructions: LONG, input: "hello", prompt_cache_key: "tenant-1" };
    const first = await a.responses.create(body);
    // The first sight writes the aligned prefix to the cache; a repeat reads it.
    expect(first.usage?.input_tokens_details).toMatchObject({ cached_tokens: 0 });
    expect(first.usage?.input_tokens_details.cache_write_tokens).toBeGreaterThanOrEqual(MIN_CACHED_TOKENS);
    const again = await a.responses.create({ ...body, input: "hello again" });
    expect(again.prompt_cache_key).toBe("tenant-1");
    expect(again.usage?.input_tokens_details.cached_tokens).toBeGreaterThanOrEqual(MIN_CACHED_TOKENS);
    const b = openaiClient(fleet.endpoint("b"));
    expect((await b.responses.create(body)).usage?.input_tokens_details.cached_tokens).toBe(0);

    // A conversation continued with previous_response_id reads its earlier turns from the cache.
    const turn1 = await a.responses.create({ model: "gpt-4o", input: `${LONG} as a story` });
    const turn2 = await a.responses.create({
      model: "gpt-4o",
      input: "go on",
      previous_response_id: turn1.id,
    });
    expect(turn2.usage?.input_tokens_details.cached_tokens).toBeGreaterThanOrEqual(MIN_CACHED_TOKENS);

    // Extended retention outlives the in-memory TTL.
    const kept = {
      model: "gpt-4o",
      instructions: `${LONG} kept`,
      input: "x",
      prompt_cache_retention: "24h" as const,
    };
    expect((await a.responses.create(kept)).prompt_cache_retention).toBe("24h");
    clock.advance(60 * 60_000);
    expect((await a.responses.create(kept)).usage?.input_tokens_details.cached_tokens).toBeGreaterThan(0);

    const east = asAzure(fleet.endpoint("east"));
    const azure = azureClient(east);
    await azure.chat.completions.create({ model: "gpt4o-east", messages: messages("x") });
    const hit = await azure.chat.completions.create({ model: "gpt4o-east", messages: messages("y") });
    expect(hit.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(MIN_CACHED_TOKENS);
  });

  // Breaks if a chat request whose prefix this endpoint cached is not answered sooner (the prefill
  // of the cached share skipped), or if another endpoint gives the same prompt the shorter delay.
  // Reads the delays the sim hands to setTimeout, never the wall clock.
  it("chat: a cached prefix shortens the reply's delay on its endpoint only", async () => {
    const delays = async (name: string, q: string) => {
      const spy = vi.spyOn(globalThis, "setTimeout");
      const res = await openaiClient(fleet.endpoint(name)).chat.completions.create({
        model: "gpt-4o",
        messages: messages(q),
      });
      // The sim's delay is at most the ttft; the SDK's request timeout (minutes) and undici's
      // 499 ms timer tick are longer.
      const set = spy.mock.calls.map((c) => Number(c[1] ?? 0)).filter((ms) => ms <= PACED_TTFT_MS);
      spy.mockRestore();
      return { set, usage: res.usage! };
    };
    const cold = await delays("paced", "cold");
    expect(cold.usage.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(cold.set).toEqual([PACED_TTFT_MS]);
    const warm = await delays("paced", "warm");
    const cached = warm.usage.prompt_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThanOrEqual(MIN_CACHED_TOKENS);
    expect(warm.set).toHaveLength(1);
    expect(warm.set[0]).toBeCloseTo(
      PACED_TTFT_MS * (1 - PREFILL_SHARE_OF_TTFT * (cached / warm.usage.prompt_tokens)),
      6,
    );
    const elsewhere = await delays("paced-other", "warm");
    expect(elsewhere.usage.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(elsewhere.set).toEqual([PACED_TTFT_MS]);
  });
});
