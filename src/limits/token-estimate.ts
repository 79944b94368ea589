/**
 * Token estimates for budgets. The services' limiters charge a request its prompt estimate plus
 * its output cap at admission, so the router's TPM buckets charge the same amount up front.
 *
 * Counting uses gpt-tokenizer's o200k_base encoding (gpt-4o, gpt-4.1, o-series). Other models'
 * encodings (cl100k_base for gpt-4 / gpt-3.5 and the ada / text-embedding-3 family) give slightly
 * different counts, and the services add formatting tokens we approximate, so every figure here
 * is an estimate. Actual `usage` and the `x-ratelimit-*` headers correct the budgets afterwards.
 */

import { countTokens } from "gpt-tokenizer";
import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import type { EmbeddingCreateParams } from "openai/resources/embeddings";
import { createPromptCounter } from "./prompt-tokens.js";

/** Options of {@link createTokenEstimator}. */
export interface TokenEstimatorOptions {
  /**
   * Most strings whose token counts are remembered (least recently used evicted first), so a
   * system prompt repeated on every request costs a Map lookup instead of a tokenization.
   * `0` disables the cache.
   * @default 2048
   */
  readonly cacheSize?: number;
  /**
   * Strings longer than this are counted but not cached, so one huge document does not pin
   * memory. Counting cost grows with length, so raise it if long system prompts repeat.
   * @unit UTF-16 code units
   * @default 16_384
   */
  readonly maxCachedLength?: number;
  /**
   * Total length of all cached strings; the oldest entries are evicted beyond it. Bounds the
   * cache's memory (about 2 bytes per unit) whatever mix of strings passes through.
   * @unit UTF-16 code units
   * @default 2_000_000
   */
  readonly maxCachedChars?: number;
  /**
   * Strings longer than this are tokenized in slices of at most this many code units, cut at
   * whitespace where there is some. The tokenizer's cost grows faster than linearly with the length of
   * a run without whitespace (a 100k-character run took ~5 s); slices keep it linear. Cutting at
   * whitespace keeps ordinary text within a fraction of a percent of the exact count.
   * @unit UTF-16 code units
   * @default 512
   */
  readonly sliceLength?: number;
  /**
   * Most text one estimate sends to the tokenizer (all the strings of one request together). Beyond
   * it the rest is estimated from its length, at the tokens-per-character ratio of what was tokenized
   * (at least one token per 4 characters), so a 10 MB prompt costs what a 128k-character one does and
   * still counts as the millions of tokens it is: `REQUEST_TOO_LARGE` is decided at once.
   * @unit UTF-16 code units
   * @default 131_072
   */
  readonly maxTokenizedChars?: number;
  /**
   * Output tokens charged for a chat request that sets neither `max_completion_tokens` nor
   * `max_tokens`. The services reserve some output for such requests too; set this to what your
   * traffic typically produces (too low risks 429s, too high wastes token budget).
   * @default 1024
   */
  readonly defaultOutputTokens?: number;
  /**
   * Tokens added per tool call in an assistant message (the call's framing), on top of its
   * function name and arguments.
   * @default 3
   */
  readonly toolCallOverhead?: number;
  /**
   * Tokens added per tool definition in `tools` (the framing of the function signature), on top of
   * its name, description and the JSON of its parameters. The service renders definitions in a
   * terser form than JSON, so the total tends to overestimate slightly, the safe side for a budget.
   * @default 8
   */
  readonly toolDefinitionOverhead?: number;
}

/** Estimates the tokens a request will be charged. Holds a string → count cache; no shared state. */
export interface TokenEstimator {
  /** Tokens of a plain text (o200k_base; special-token text is counted as ordinary text). */
  countText(text: string): number;
  /** Prompt tokens of a chat request: messages, images, tool calls, tool definitions, reply priming. */
  estimatePromptTokens(body: ChatCompletionCreateParams): number;
  /** Output tokens charged for a chat request: the cap it sets (or the default) times `n`. */
  outputCap(body: ChatCompletionCreateParams): number;
  /** What a TPM limiter charges a chat request: prompt estimate + output cap. */
  estimateChatTokens(body: ChatCompletionCreateParams): number;
  /** Input tokens of an embeddings request (token-id inputs count their length). */
  estimateEmbeddingTokens(body: EmbeddingCreateParams): number;
  /**
   * Runs `estimate` as one estimate: every count inside it shares one `maxTokenizedChars` budget (the
   * estimator's own methods do this; a surface estimating a request string by string uses it).
   */
  within<T>(estimate: () => T): T;
  /** Strings currently cached. */
  readonly cacheEntries: number;
}

/** The fewest tokens per character a length estimate assumes (English runs at about 1 per 4). */
export const MIN_TOKENS_PER_CHAR = 0.25;
/** How far back a slice's end looks for whitespace to cut at. @unit UTF-16 code units */
const CUT_WINDOW = 64;

/**
 * Output tokens a TPM limiter charges for a chat request:
 * `(max_completion_tokens ?? max_tokens ?? defaultOutputTokens) × (n ?? 1)`.
 * @example
 * outputCap({ model: "gpt-4o", messages, max_tokens: 200, n: 2 }, 1024); // 400
 */
export function outputCap(body: ChatCompletionCreateParams, defaultOutputTokens: number): number {
  return (body.max_completion_tokens ?? body.max_tokens ?? defaultOutputTokens) * (body.n ?? 1);
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`Expected \`${name}\` to be an integer ≥ 0, got ${String(value)}.`);
  }
}

/** A cached count, in the estimator's least-recently-used list (the list's head is a sentinel). */
interface CacheEntry {
  readonly text: string;
  readonly tokens: number;
  older: CacheEntry | undefined;
  newer: CacheEntry | undefined;
}

/**
 * Creates a token estimator with its own bounded cache.
 *
 * Message rule (plain-text messages give exactly what the simulated fleet counts): 3 per message + role +
 * content tokens (+ the name's tokens + 1 when `name` is set), + 3 to prime the reply. Content
 * arrays add their text and refusal parts, images by `imageTokens` (image-tokens.ts); audio and file parts are
 * not estimated (0), their cost shows up in `usage`. Assistant tool calls add name + arguments +
 * `toolCallOverhead`; `tools` add name + description + JSON of parameters +
 * `toolDefinitionOverhead` each; a `json_schema` response format adds its name and schema JSON.
 *
 * Embedding inputs bypass the cache: batches are mostly unique texts and would evict the system
 * prompts the cache exists for.
 * @example
 * const estimator = createTokenEstimator({ defaultOutputTokens: 512 });
 * estimator.estimateChatTokens({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
 * @throws RangeError when an option is not a non-negative integer.
 */
export function createTokenEstimator(options: TokenEstimatorOptions = {}): TokenEstimator {
  const {
    cacheSize = 2048,
    maxCachedLength = 16_384,
    maxCachedChars = 2_000_000,
    sliceLength = 512,
    maxTokenizedChars = 131_072,
    defaultOutputTokens = 1024,
    toolCallOverhead = 3,
    toolDefinitionOverhead = 8,
  } = options;
  checkCount("cacheSize", cacheSize);
  checkCount("maxCachedLength", maxCachedLength);
  checkCount("maxCachedChars", maxCachedChars);
  checkCount("maxTokenizedChars", maxTokenizedChars);
  if (!Number.isInteger(sliceLength) || sliceLength < CUT_WINDOW * 2)
    throw new RangeError(
      `Expected \`sliceLength\` to be an integer ≥ ${CUT_WINDOW * 2}, got ${String(sliceLength)}.`,
    );
  checkCount("defaultOutputTokens", defaultOutputTokens);
  checkCount("toolCallOverhead", toolCallOverhead);
  checkCount("toolDefinitionOverhead", toolDefinitionOverhead);

  // User text may contain "<|endoftext|>" and the like; the services treat it as plain text, and
  // an empty disallow list also spares the tokenizer a special-token regex scan per call.
  const encodeOptions = { disallowedSpecial: new Set<string>() };

  // The budget of the estimate in progress: characters it may still tokenize, and what the tokenized
  // part weighed (tokens per character, for the length estimate of the rest). `depth` > 0 inside one.
  let depth = 0;
  let budget = maxTokenizedChars;
  let tokenizedChars = 0;
  let tokenizedTokens = 0;
  /** Set when a count used the length estimate (such a count is not cached). */
  let estimated = false;

  /** Starts an estimate (or a count inside one); pair with `depth -= 1` in a `finally`. */
  const enter = (): void => {
    if (depth === 0) {
      budget = maxTokenizedChars;
      tokenizedChars = 0;
      tokenizedTokens = 0;
    }
    depth += 1;
  };

  const within = <T>(estimate: () => T): T => {
    enter();
    try {
      return estimate();
    } finally {
      depth -= 1;
    }
  };

  const tokenize = (piece: string): number => {
    const tokens = countTokens(piece, encodeOptions);
    budget -= piece.length;
    tokenizedChars += piece.length;
    tokenizedTokens += tokens;
    return tokens;
  };

  const byLength = (chars: number): number => {
    estimated = true;
    const ratio = tokenizedChars > 0 ? tokenizedTokens / tokenizedChars : 0;
    return Math.ceil(chars * Math.max(ratio, MIN_TOKENS_PER_CHAR));
  };

  /** Tokens of `text`: tokenized whole when short, in slices when long, by length beyond the budget. */
  const count = (text: string): number => {
    const n = text.length;
    if (n === 0) return 0;
    if (n <= sliceLength && n <= budget) return tokenize(text);
    let tokens = 0;
    let i = 0;
    while (i < n && budget > 0) {
      const end = cutAt(text, i, Math.min(n, i + Math.min(sliceLength, budget)));
      tokens += tokenize(text.slice(i, end));
      i = end;
    }
    if (i < n) tokens += byLength(n - i);
    return tokens;
  };

  // Least recently used first: a list through the entries, so a hit moves its entry to the end with a
  // few pointer writes (a Map's delete + set per hit churned its table: a rehash every few requests).
  const cache = new Map<string, CacheEntry>();
  const lru: CacheEntry = { text: "", tokens: 0, older: undefined, newer: undefined };
  lru.older = lru;
  lru.newer = lru;
  let cachedChars = 0;

  const unlink = (entry: CacheEntry): void => {
    (entry.older as CacheEntry).newer = entry.newer;
    (entry.newer as CacheEntry).older = entry.older;
  };
  const append = (entry: CacheEntry): void => {
    const newest = lru.older as CacheEntry;
    entry.older = newest;
    entry.newer = lru;
    newest.newer = entry;
    lru.older = entry;
  };

  const countCached = (text: string): number => {
    const hit = cache.get(text);
    if (hit !== undefined) {
      if (lru.older !== hit) {
        unlink(hit);
        append(hit);
      }
      return hit.tokens;
    }
    estimated = false;
    const tokens = count(text);
    if (!estimated && cacheSize > 0 && text.length <= maxCachedLength && text.length <= maxCachedChars) {
      const entry: CacheEntry = { text, tokens, older: undefined, newer: undefined };
      cache.set(text, entry);
      append(entry);
      cachedChars += text.length;
      while (cache.size > cacheSize || cachedChars > maxCachedChars) {
        const oldest = lru.newer as CacheEntry;
        if (oldest === lru) break;
        unlink(oldest);
        cache.delete(oldest.text);
        cachedChars -= oldest.text.length;
      }
    }
    return tokens;
  };
  /** Inside an estimate it shares that estimate's budget; on its own it is one. */
  const countText = (text: string): number => {
    if (depth > 0) return countCached(text);
    enter();
    try {
      return countCached(text);
    } finally {
      depth -= 1;
    }
  };

  const promptTokens = createPromptCounter({ countText, count, toolCallOverhead, toolDefinitionOverhead });

  // No closure per estimate (`within` takes one): these run on every request.
  const estimatePromptTokens = (body: ChatCompletionCreateParams): number => {
    enter();
    try {
      return promptTokens(body);
    } finally {
      depth -= 1;
    }
  };

  const estimateEmbeddingTokens = (body: EmbeddingCreateParams): number => {
    enter();
    try {
      return embeddingTokens(body);
    } finally {
      depth -= 1;
    }
  };

  const embeddingTokens = (body: EmbeddingCreateParams): number => {
    const { input } = body;
    if (typeof input === "string") return count(input);
    let tokens = 0;
    for (const item of input as ReadonlyArray<string | number | readonly number[]>) {
      if (typeof item === "string") tokens += count(item);
      else if (typeof item === "number") tokens += 1;
      else tokens += item.length;
    }
    return tokens;
  };

  return {
    countText,
    estimatePromptTokens,
    outputCap: (body) => outputCap(body, defaultOutputTokens),
    estimateChatTokens: (body) => estimatePromptTokens(body) + outputCap(body, defaultOutputTokens),
    estimateEmbeddingTokens,
    within,
    get cacheEntries() {
      return cache.size;
    },
  };
}

/**
 * Where a slice of `text` from `start` should end, at most at `end`: before the last whitespace within
 * the last {@link CUT_WINDOW} characters (the tokenizer starts words with their space, so the cut falls
 * between two of its pieces), else at `end`, never between the halves of a surrogate pair.
 */
function cutAt(text: string, start: number, end: number): number {
  if (end >= text.length) return text.length;
  const floor = Math.max(start + 1, end - CUT_WINDOW);
  for (let i = end; i > floor; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 13) return i;
  }
  const previous = text.charCodeAt(end - 1);
  return previous >= 0xd800 && previous <= 0xdbff && end - 1 > start ? end - 1 : end;
}
