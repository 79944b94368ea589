import { encode } from "gpt-tokenizer";
import type { Clock } from "./clock.js";
import type { Timing } from "./latency.js";
import { hashString } from "./prng.js";

/**
 * Prompt caching as OpenAI and Azure OpenAI describe it (platform.openai.com/docs/guides/prompt-caching,
 * learn.microsoft.com/azure/ai-foundry/openai/how-to/prompt-caching):
 * - only prompts of at least {@link MIN_CACHED_TOKENS} tokens are cached;
 * - a hit covers the longest previously seen prefix, in steps of {@link CACHE_STEP_TOKENS}
 *   (1024, 1152, 1280, …), never the whole prompt's unaligned tail;
 * - a prefix stays cached for 5–10 minutes of inactivity ({@link DEFAULT_PROMPT_CACHE_TTL_MS}, each use
 *   refreshes it);
 * - requests are routed to a cache machine by a hash of the prompt's first
 *   {@link ROUTING_PREFIX_TOKENS} tokens combined with `prompt_cache_key`; the same prefix and key
 *   arriving more than {@link OVERFLOW_PER_MINUTE} times a minute overflows to other machines, which
 *   lowers the hit rate. Each cache machine keeps its own prefixes.
 * - caches are per endpoint (organisation / deployment): another endpoint never reports a hit.
 */

/** Shortest prompt that can be cached. */
export const MIN_CACHED_TOKENS = 1024;
/** Cache hits grow in steps of this many tokens past {@link MIN_CACHED_TOKENS}. */
export const CACHE_STEP_TOKENS = 128;
/** Inactivity after which a cached prefix is gone: the low end of the documented 5–10 minutes. */
export const DEFAULT_PROMPT_CACHE_TTL_MS = 5 * 60_000;
/** `prompt_cache_retention: "24h"` (extended retention) keeps a prefix up to a day. */
export const EXTENDED_PROMPT_CACHE_TTL_MS = 24 * 60 * 60_000;
/** `prompt_cache_retention`: `in_memory` (the default, 5–10 minutes) or `24h`. */
export type PromptCacheRetention = "in_memory" | "24h";
/** Tokens of the prompt's start that choose the cache machine (OpenAI: "typically the first 256"). */
export const ROUTING_PREFIX_TOKENS = 256;
/** Above this rate per (prefix, key) and minute some requests overflow to other machines ("~15 RPM"). */
export const OVERFLOW_PER_MINUTE = 15;
/** Cache machines behind one endpoint. */
export const DEFAULT_CACHE_MACHINES = 4;
/** Share of the time to first token that prefilling the whole prompt takes ("up to 80%" faster). */
export const PREFILL_SHARE_OF_TTFT = 0.8;

/** Options of {@link PromptCache}. */
export interface PromptCacheOptions {
  readonly now: Clock;
  /**
   * Inactivity after which a prefix is evicted.
   * @default 300000
   * @unit milliseconds
   */
  readonly ttlMs?: number | undefined;
  /**
   * Most prefix entries kept (all machines together); the least recently used go first.
   * @default 20000
   */
  readonly maxEntries?: number | undefined;
  /** @default 4 */
  readonly machines?: number | undefined;
}

/** One piece of a prompt in the order the model reads it: a role and its text. */
export interface PromptPiece {
  readonly role: string;
  readonly text: string;
}

/** What one request read from and wrote to the cache, in tokens. */
export interface CacheUse {
  readonly cachedTokens: number;
  readonly writtenTokens: number;
}

const NO_USE: CacheUse = { cachedTokens: 0, writtenTokens: 0 };

/** Encodings of long texts, reused: the same system prompt arrives again and again. */
const MAX_ENCODED_TEXTS = 256;

interface Route {
  windowStart: number;
  count: number;
}

/**
 * One endpoint's prompt cache. `use` answers how many leading prompt tokens were cached and records
 * the prompt, so the next request with the same prefix hits. Memory is bounded by `maxEntries`
 * prefix hashes plus a small cache of encoded texts.
 *
 * @example
 * ```ts
 * const cache = new PromptCache({ now: () => Date.now() });
 * cache.use("gpt-4o", [{ role: "system", text: longPrompt }], 1500, undefined); // 0: first sight
 * cache.use("gpt-4o", [{ role: "system", text: longPrompt }], 1500, undefined); // 1408
 * ```
 */
export class PromptCache {
  readonly #now: Clock;
  readonly #ttlMs: number;
  readonly #perMachine: number;
  readonly #machines: Map<number, number>[];
  readonly #routes = new Map<number, Route>();
  readonly #encoded = new Map<string, readonly number[]>();

  constructor(options: PromptCacheOptions) {
    this.#now = options.now;
    this.#ttlMs = options.ttlMs ?? DEFAULT_PROMPT_CACHE_TTL_MS;
    const machines = Math.max(1, options.machines ?? DEFAULT_CACHE_MACHINES);
    this.#perMachine = Math.max(1, Math.floor((options.maxEntries ?? 20_000) / machines));
    this.#machines = Array.from({ length: machines }, () => new Map<number, number>());
  }

  /** Prefix entries held now (for tests of the bound). */
  get size(): number {
    let n = 0;
    for (const m of this.#machines) n += m.size;
    return n;
  }

  /**
   * Cached tokens for this prompt (0 or 1024 + 128·k, at most `promptTokens`), recording its
   * prefixes as seen now. `promptTokens` is the billed count; prompts below 1024 cost nothing here.
   */
  use(
    model: string,
    pieces: readonly PromptPiece[],
    promptTokens: number,
    key: string | undefined,
    retention?: PromptCacheRetention,
  ): number {
    return this.lookup(model, pieces, promptTokens, key, retention).cachedTokens;
  }

  /**
   * {@link use}, also telling how many tokens this request wrote to the cache: the aligned prefix
   * past what was already cached (`input_tokens_details.cache_write_tokens` in Responses usage).
   */
  lookup(
    model: string,
    pieces: readonly PromptPiece[],
    promptTokens: number,
    key: string | undefined,
    retention?: PromptCacheRetention,
  ): CacheUse {
    if (promptTokens < MIN_CACHED_TOKENS) return NO_USE;
    const tokens = this.#tokens(pieces);
    const limit = Math.min(tokens.length, promptTokens);
    if (limit < MIN_CACHED_TOKENS) return NO_USE;
    const now = this.#now();
    const store = this.#machines[this.#machine(model, tokens, key, now)]!;

    // Hash of every aligned prefix, longest last.
    const seed = hashString(model, 0x51ed);
    let h1 = seed ^ 0x811c9dc5;
    let h2 = seed ^ 0x2545f491;
    const boundaries: number[] = [];
    let next = MIN_CACHED_TOKENS;
    for (let i = 0; i < limit; i++) {
      const t = tokens[i]!;
      h1 = Math.imul(h1 ^ t, 16777619);
      h2 = Math.imul(h2 ^ (t + i), 2246822519);
      if (i + 1 === next) {
        boundaries.push((h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff));
        next += CACHE_STEP_TOKENS;
      }
    }
    let cached = 0;
    for (let b = boundaries.length - 1; b >= 0; b--) {
      const expires = store.get(boundaries[b]!);
      if (expires !== undefined && now <= expires) {
        cached = MIN_CACHED_TOKENS + b * CACHE_STEP_TOKENS;
        break;
      }
    }
    const until = now + (retention === "24h" ? EXTENDED_PROMPT_CACHE_TTL_MS : this.#ttlMs);
    for (const h of boundaries) {
      const expires = store.get(h);
      store.delete(h); // re-inserting keeps the Map in least-recently-used order
      store.set(h, expires !== undefined && expires > until ? expires : until);
    }
    while (store.size > this.#perMachine) {
      const oldest = store.keys().next().value;
      if (oldest === undefined) break;
      store.delete(oldest);
    }
    const longest = MIN_CACHED_TOKENS + (boundaries.length - 1) * CACHE_STEP_TOKENS;
    return { cachedTokens: cached, writtenTokens: longest - cached };
  }

  /** The machine this request lands on: prefix hash ⊕ key, overflowing past ~15 requests a minute. */
  #machine(model: string, tokens: readonly number[], key: string | undefined, now: number): number {
    let h = hashString(key ?? "", hashString(model, 0x9e37));
    const n = Math.min(ROUTING_PREFIX_TOKENS, tokens.length);
    for (let i = 0; i < n; i++) h = Math.imul(h ^ tokens[i]!, 16777619);
    h >>>= 0;
    const machines = this.#machines.length;
    const home = h % machines;
    let route = this.#routes.get(h);
    if (route === undefined || now - route.windowStart >= 60_000) {
      if (route === undefined && this.#routes.size >= this.#perMachine) {
        const oldest = this.#routes.keys().next().value;
        if (oldest !== undefined) this.#routes.delete(oldest);
      }
      route = { windowStart: now, count: 0 };
      this.#routes.set(h, route);
    }
    route.count++;
    if (route.count <= OVERFLOW_PER_MINUTE || machines === 1) return home;
    // Overflow spreads over the other machines in turn.
    return (home + 1 + ((route.count - OVERFLOW_PER_MINUTE - 1) % (machines - 1))) % machines;
  }

  /** Token ids in reading order, framed per piece like the billed count (3 + role + text). */
  #tokens(pieces: readonly PromptPiece[]): readonly number[] {
    const out: number[] = [];
    for (const p of pieces) {
      out.push(FRAME_START);
      for (const t of this.#encode(p.role)) out.push(t);
      out.push(FRAME_SEP);
      for (const t of this.#encode(p.text)) out.push(t);
      out.push(FRAME_END);
    }
    return out;
  }

  #encode(text: string): readonly number[] {
    let tokens = this.#encoded.get(text);
    if (tokens === undefined) {
      tokens = encode(text);
      if (this.#encoded.size >= MAX_ENCODED_TEXTS) {
        const oldest = this.#encoded.keys().next().value;
        if (oldest !== undefined) this.#encoded.delete(oldest);
      }
      this.#encoded.set(text, tokens);
    }
    return tokens;
  }
}

// o200k's <|im_start|>, <|im_sep|>, <|im_end|>: only their positions matter for hashing.
const FRAME_START = 200264;
const FRAME_SEP = 200266;
const FRAME_END = 200265;

/**
 * The timing of a request whose first `cached` of `promptTokens` tokens were cached: the prefill of
 * the cached share ({@link PREFILL_SHARE_OF_TTFT} of ttft for the whole prompt) is skipped.
 */
export function withCachedPrefix(timing: Timing, cached: number, promptTokens: number): Timing {
  if (cached <= 0 || timing.ttftMs === 0 || promptTokens <= 0) return timing;
  const saved = PREFILL_SHARE_OF_TTFT * Math.min(1, cached / promptTokens);
  return { ...timing, ttftMs: timing.ttftMs * (1 - saved) };
}

/** A request body's `prompt_cache_key` when it is a string (validation has checked its type). */
export function promptCacheKeyOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const key = (body as { readonly prompt_cache_key?: unknown }).prompt_cache_key;
  return typeof key === "string" ? key : undefined;
}

/** A request body's `prompt_cache_retention` when it is one of the documented values. */
export function promptCacheRetentionOf(body: unknown): PromptCacheRetention | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const r = (body as { readonly prompt_cache_retention?: unknown }).prompt_cache_retention;
  return r === "24h" || r === "in_memory" ? r : undefined;
}
