import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import { isRecord } from "./shape.js";

/**
 * What a valid chat answer looks like, plain or streamed: anything else is an upstream failure, never
 * the caller's result. Pure functions.
 */

/**
 * What is wrong with a non-streamed answer, if anything: it must be an object with a non-empty
 * `choices` array whose entries carry a `message` object. Anything else (a string the SDK returned for
 * an HTML page, `undefined` for an empty body, someone else's JSON) is an upstream failure.
 */
export function chatCompletionProblem(data: unknown): string | undefined {
  if (!isRecord(data)) return data === undefined ? "an empty body" : `not a JSON object (${describe(data)})`;
  const choices = data.choices;
  if (!Array.isArray(choices)) return "no `choices` array";
  if (choices.length === 0) return "an empty `choices` array";
  for (const choice of choices) {
    if (!isRecord(choice) || !isRecord(choice.message)) return "a choice without a `message` object";
  }
  return undefined;
}

/** True when a streamed value is shaped like a chunk: an object with a `choices` array of objects. */
export function isChatChunk(value: unknown): value is ChatCompletionChunk {
  if (!isRecord(value)) return false;
  const choices = value.choices;
  if (!Array.isArray(choices)) return false;
  for (const choice of choices) if (!isRecord(choice)) return false;
  return true;
}

/**
 * Tells when a chat stream is complete: the service says so, and only the service. The SDK hides the
 * `[DONE]` line, so it is a `finish_reason` on every choice the stream started (with `n > 1`, one
 * finished choice is not the whole answer). The Responses API has its own: its final event.
 */
export interface ChatStreamCompletion {
  /** Sees every chunk, in order. */
  observe(chunk: ChatCompletionChunk): void;
  /** True once every choice seen has its finish_reason. */
  readonly complete: boolean;
}

/** A chat stream's completion tracker (one per stream: it keeps state). */
export function chatStreamCompletion(): ChatStreamCompletion {
  let open = 0;
  let seen = 0;
  // Bits per choice index (n ≤ 128 in practice; beyond 31, a Set).
  let started = 0;
  let finished = 0;
  let wide: Map<number, boolean> | undefined;
  return {
    observe(chunk) {
      for (const choice of chunk.choices) {
        const index = typeof choice.index === "number" && choice.index >= 0 ? choice.index : 0;
        const done = choice.finish_reason !== null && choice.finish_reason !== undefined;
        if (index < 31) {
          const bit = 1 << index;
          if ((started & bit) === 0) {
            started |= bit;
            seen += 1;
            open += 1;
          }
          if (done && (finished & bit) === 0) {
            finished |= bit;
            open -= 1;
          }
        } else {
          wide ??= new Map();
          const was = wide.get(index);
          if (was === undefined) {
            seen += 1;
            open += 1;
          }
          if (done && was !== true) open -= 1;
          wide.set(index, done || was === true);
        }
      }
    },
    get complete() {
      return seen > 0 && open === 0;
    },
  };
}

/** Usage the lanes may count: an object of finite numbers, else nothing (a hostile body's garbage is ignored). */
export function usageOf(value: unknown): CompletionUsage | undefined {
  if (!isRecord(value)) return undefined;
  const { prompt_tokens, total_tokens, completion_tokens } = value;
  if (!isCount(prompt_tokens) || !isCount(total_tokens)) return undefined;
  if (completion_tokens !== undefined && !isCount(completion_tokens)) return undefined;
  return value as unknown as CompletionUsage;
}

function isCount(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** A few words about a value that is not what was expected (never its content: it may hold a prompt). */
export function describe(value: unknown): string {
  if (typeof value === "string")
    return value.length === 0 ? "an empty string" : `a string of ${value.length} characters`;
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : typeof value;
}
