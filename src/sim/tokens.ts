import { countTokens } from "gpt-tokenizer";

/** Strings longer than this are counted every time: caching them would cost more memory than it saves. */
const MAX_CACHED_LENGTH = 2048;

/**
 * Counts o200k tokens (gpt-4o's encoding) with a bounded FIFO cache: benchmark and test traffic
 * repeats the same prompts, and the tokenizer is the most expensive step of a simulated request.
 */
export class TokenCounter {
  readonly #cache = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  count(text: string): number {
    if (text.length > MAX_CACHED_LENGTH) return countTokens(text);
    let n = this.#cache.get(text);
    if (n === undefined) {
      n = countTokens(text);
      if (this.#cache.size >= this.maxEntries) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== undefined) this.#cache.delete(oldest);
      }
      this.#cache.set(text, n);
    }
    return n;
  }
}

/** The message fields that count towards prompt tokens. */
export interface PromptMessage {
  readonly role: string;
  /** Text of the message (text parts joined); other part kinds are not counted. */
  readonly text: string;
  readonly name?: string | undefined;
}

/** Per-message framing (`<|im_start|>`, `<|im_sep|>`, `<|im_end|>`) as OpenAI counts it. */
export const TOKENS_PER_MESSAGE = 3;
/** Priming of the reply (`<|im_start|>assistant<|im_sep|>`). */
export const REPLY_PRIMING_TOKENS = 3;

/**
 * Prompt tokens of a chat request, counted the way OpenAI bills gpt-4o: 3 per message + role +
 * content (+ name + 1) + 3 for the reply priming. Equals gpt-tokenizer's `encodeChat(…).length`.
 */
export function countChatTokens(counter: TokenCounter, messages: readonly PromptMessage[]): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE + counter.count(m.role) + counter.count(m.text);
    if (m.name !== undefined) total += counter.count(m.name) + 1;
  }
  return total;
}
