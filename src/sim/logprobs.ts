import type { Rng } from "./prng.js";
import { WORDS as REPLY_WORDS } from "./words.js";

/**
 * Plausible per-token log probabilities for `logprobs: true` (openai/openai-openapi
 * `ChatCompletionTokenLogprob`): the chosen token is usually near-certain (logprob close to 0); its
 * `top_logprobs` list holds the chosen token and less likely alternatives, most likely first, their
 * probabilities summing to at most 1. All seeded.
 */

/** One alternative: token text, its log probability (≤ 0) and its UTF-8 bytes. */
export interface TopLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: readonly number[];
}

/** One output token with its alternatives. */
export interface TokenLogprob extends TopLogprob {
  readonly top_logprobs: readonly TopLogprob[];
}

const encoder = new TextEncoder();

function bytesOf(token: string): number[] {
  return Array.from(encoder.encode(token));
}

/** Rounded like the service's float32 figures; `-0` is normalised to 0. */
function round(v: number): number {
  const r = Number(v.toPrecision(8));
  return r === 0 ? 0 : r;
}

/** Alternatives for `token`: other vocabulary words with the same leading space and case. */
function alternative(token: string, rng: Rng, used: Set<string>): string {
  const spaced = token.startsWith(" ");
  const capital = /^ ?[A-Z]/.test(token);
  for (let tries = 0; tries < 16; tries++) {
    let w = REPLY_WORDS[Math.floor(rng() * REPLY_WORDS.length)]!;
    if (capital) w = w[0]!.toUpperCase() + w.slice(1);
    const candidate = spaced ? ` ${w}` : w;
    if (!used.has(candidate)) return candidate;
  }
  return `${token}${used.size}`;
}

/** Log probabilities for each of `tokens`, with `top` alternatives each (0–20). */
export function tokenLogprobs(tokens: readonly string[], top: number, rng: Rng): TokenLogprob[] {
  const out: TokenLogprob[] = new Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const r = rng();
    // Mostly near-certain tokens, with a tail of less sure ones.
    const logprob = round(-(r ** 4) * 4);
    const bytes = bytesOf(token);
    const alternatives: TopLogprob[] = [];
    if (top > 0) {
      alternatives.push({ token, logprob, bytes });
      const used = new Set([token]);
      // The alternatives share what the chosen token leaves, halving each step, so the list is in
      // decreasing order and the probabilities never sum past 1.
      const rest = Math.max(1e-9, 1 - Math.exp(logprob));
      let share = rest / 2;
      for (let k = 1; k < top; k++) {
        const alt = alternative(token, rng, used);
        used.add(alt);
        alternatives.push({
          token: alt,
          logprob: round(Math.log(share * (0.5 + 0.5 * rng()))),
          bytes: bytesOf(alt),
        });
        share /= 2;
      }
      // Most likely first, as the service lists them (a sampled token need not be the top one).
      alternatives.sort((a, b) => b.logprob - a.logprob);
    }
    out[i] = { token, logprob, bytes, top_logprobs: alternatives };
  }
  return out;
}
