import { generateFromSchema, generateJsonObject, type JsonSchema } from "./json-schema.js";
import { type TokenLogprob, tokenLogprobs } from "./logprobs.js";
import { hashString, mulberry32, type Rng } from "./prng.js";
import {
  argumentFragments,
  chooseToolCalls,
  type FunctionTool,
  type ToolCallPlan,
  type ToolChoice,
} from "./tools.js";

import { WORDS } from "./words.js";

const CAPITALISED = WORDS.map((w) => w[0]!.toUpperCase() + w.slice(1));
const SPACED = WORDS.map((w) => ` ${w}`);

/** Shortest and longest natural reply, in tokens (before `max_tokens` cuts it). */
export const MIN_REPLY_TOKENS = 8;
export const MAX_REPLY_TOKENS = 120;

/** One tool call of a reply, with the fragments its arguments stream in. */
export interface ReplyToolCall extends ToolCallPlan {
  /** Joined, the (possibly cut) `arguments`; one streamed chunk each. */
  readonly fragments: readonly string[];
}

/**
 * One choice of a reply: its content tokens (each one streamed as one content chunk), or its tool
 * calls (each argument fragment one chunk), and why it ended.
 */
export interface ReplyChoice {
  readonly tokens: readonly string[];
  readonly finishReason: "stop" | "length" | "tool_calls";
  /** Present (non-empty) when the model calls tools; `tokens` is then empty. */
  readonly toolCalls?: readonly ReplyToolCall[] | undefined;
  /** Per content token, when `logprobs` was asked for. */
  readonly logprobs?: readonly TokenLogprob[] | undefined;
}

/** Completion tokens a choice costs: its content tokens, or per call its fragments plus one for the name. */
export function choiceTokens(choice: ReplyChoice): number {
  if (choice.toolCalls === undefined) return choice.tokens.length;
  let n = 0;
  for (const c of choice.toolCalls) n += 1 + c.fragments.length;
  return n;
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

/**
 * Ends `choice` before the first occurrence of any stop sequence in its text (finish_reason
 * `stop`), cutting the token that contains it; unchanged when none occurs.
 */
export function applyStop(choice: ReplyChoice, stops: readonly string[]): ReplyChoice {
  if (stops.length === 0) return choice;
  const text = choice.tokens.join("");
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i !== -1 && (at === -1 || i < at)) at = i;
  }
  if (at === -1) return choice;
  const tokens: string[] = [];
  let length = 0;
  for (const t of choice.tokens) {
    if (length + t.length <= at) {
      tokens.push(t);
      length += t.length;
      continue;
    }
    if (length < at) tokens.push(t.slice(0, at - length));
    break;
  }
  return { tokens, finishReason: "stop" };
}

/** Cuts a choice to `maxTokens` (finish_reason `length` when that cut something). */
export function capTokens(choice: ReplyChoice, maxTokens: number | undefined): ReplyChoice {
  if (maxTokens === undefined || choice.tokens.length <= maxTokens) return choice;
  return { tokens: choice.tokens.slice(0, maxTokens), finishReason: "length" };
}

/** What shapes a reply besides the prompt. */
export interface ReplyShape {
  readonly tools: readonly FunctionTool[];
  readonly toolChoice: ToolChoice | undefined;
  readonly parallelToolCalls: boolean | undefined;
  readonly afterToolResult: boolean;
  readonly lastUserText: string;
  /** `text` (words), `json_object`, or a JSON Schema the content must satisfy. */
  readonly format:
    | { readonly type: "text" }
    | { readonly type: "json_object" }
    | { readonly type: "json_schema"; readonly schema: JsonSchema };
  readonly stop: readonly string[];
  readonly maxTokens: number | undefined;
  readonly logprobs: boolean;
  readonly topLogprobs: number;
}

function toolCallChoice(calls: readonly ToolCallPlan[], maxTokens: number | undefined): ReplyChoice {
  let budget = maxTokens ?? Number.POSITIVE_INFINITY;
  const out: ReplyToolCall[] = [];
  for (const call of calls) {
    if (budget <= 0) break;
    budget -= 1; // the name
    const all = argumentFragments(call.arguments);
    const fragments = all.slice(0, Math.max(0, budget));
    budget -= fragments.length;
    out.push({ ...call, arguments: fragments.join(""), fragments });
    if (fragments.length < all.length) return { tokens: [], finishReason: "length", toolCalls: out };
  }
  const cut = out.length < calls.length;
  return { tokens: [], finishReason: cut ? "length" : "tool_calls", toolCalls: out };
}

function contentChoice(
  seed: number,
  promptKey: string,
  index: number,
  shape: ReplyShape,
  rng: Rng,
): ReplyChoice {
  const { format } = shape;
  let natural: ReplyChoice;
  if (format.type === "text") natural = generateReply(seed, promptKey, index, undefined);
  else {
    const value =
      format.type === "json_object" ? generateJsonObject(rng) : generateFromSchema(format.schema, rng);
    natural = { tokens: argumentFragments(JSON.stringify(value)), finishReason: "stop" };
  }
  return capTokens(applyStop(natural, shape.stop), shape.maxTokens);
}

/**
 * Choice `index` of the reply to a prompt: tool calls when the tool rule says so (see tools.ts),
 * otherwise words or JSON (for `json_object` / `json_schema`), ended by a stop sequence or
 * `maxTokens`, with log probabilities when asked for. Deterministic in (seed, promptKey, index).
 */
export function planChoice(seed: number, promptKey: string, index: number, shape: ReplyShape): ReplyChoice {
  const rng = mulberry32(hashString(promptKey, (seed ^ 0x5bd1e995) + index * 0x9e3779b9));
  const calls =
    shape.tools.length === 0
      ? []
      : chooseToolCalls({
          tools: shape.tools,
          toolChoice: shape.toolChoice,
          parallelToolCalls: shape.parallelToolCalls,
          afterToolResult: shape.afterToolResult,
          lastUserText: shape.lastUserText,
          rng,
        });
  const choice =
    calls.length > 0
      ? toolCallChoice(calls, shape.maxTokens)
      : contentChoice(seed, promptKey, index, shape, rng);
  if (!shape.logprobs || choice.toolCalls !== undefined) return choice;
  return { ...choice, logprobs: tokenLogprobs(choice.tokens, shape.topLogprobs, rng) };
}

/** Exposed for the tokenizer test only. */
export const REPLY_WORDS: readonly string[] = WORDS;
