import { hashString, mulberry32 } from "./prng.js";

/**
 * Every word here is exactly one o200k token on its own, with a leading space, and capitalised
 * (checked by test/sim/content.test.ts), and "." is one token after any of them. So a reply of N
 * pieces is N tokens and the reported `usage` is honest without running the tokenizer on replies.
 */
const WORDS = [
  "river",
  "garden",
  "silver",
  "window",
  "yellow",
  "simple",
  "common",
  "stone",
  "system",
  "model",
  "data",
  "signal",
  "cloud",
  "graph",
  "light",
  "water",
  "little",
  "very",
  "after",
  "called",
  "just",
  "where",
  "most",
  "know",
  "through",
  "back",
  "much",
  "before",
  "good",
  "new",
  "write",
  "around",
  "another",
  "come",
  "work",
  "three",
  "word",
  "must",
  "because",
  "does",
  "part",
  "even",
  "place",
  "well",
  "such",
  "help",
  "different",
  "away",
  "again",
  "went",
  "old",
  "number",
  "great",
  "tell",
  "small",
  "every",
  "found",
  "still",
  "between",
  "name",
  "should",
  "home",
  "big",
  "give",
] as const;

const CAPITALISED = WORDS.map((w) => w[0]!.toUpperCase() + w.slice(1));
const SPACED = WORDS.map((w) => ` ${w}`);

/** Shortest and longest natural reply, in tokens (before `max_tokens` cuts it). */
export const MIN_REPLY_TOKENS = 8;
export const MAX_REPLY_TOKENS = 120;

/** One choice of a reply: its tokens (each one streamed as one content chunk) and why it ended. */
export interface ReplyChoice {
  readonly tokens: readonly string[];
  readonly finishReason: "stop" | "length";
}

/**
 * The deterministic reply to a prompt: its natural length and words depend only on
 * (seed, promptKey, choice index); `maxTokens` cuts it and turns `stop` into `length`.
 */
export function generateReply(
  seed: number,
  promptKey: string,
  choiceIndex: number,
  maxTokens: number | undefined,
): ReplyChoice {
  const rng = mulberry32(hashString(promptKey, seed + choiceIndex * 0x9e3779b9));
  const natural = MIN_REPLY_TOKENS + Math.floor(rng() * (MAX_REPLY_TOKENS - MIN_REPLY_TOKENS + 1));
  const length = maxTokens === undefined ? natural : Math.min(natural, maxTokens);
  const tokens: string[] = new Array(length);
  const words = natural - 1; // the last natural token is the full stop
  for (let i = 0; i < length; i++) {
    const w = Math.floor(rng() * WORDS.length);
    tokens[i] = i === words ? "." : i === 0 ? CAPITALISED[w]! : SPACED[w]!;
  }
  return { tokens, finishReason: length < natural ? "length" : "stop" };
}

/** Exposed for the tokenizer test only. */
export const REPLY_WORDS: readonly string[] = WORDS;
