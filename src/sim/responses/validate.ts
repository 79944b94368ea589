import { apiError, invalidParam, missingParam, type WireError } from "../errors.js";
import type { Rng } from "../prng.js";
import type { PromptCacheRetention } from "../prompt-cache.js";
import type { FunctionTool, ToolChoice } from "../tools.js";
import {
  invalidEnum,
  isError,
  isObject,
  type Json,
  readBoolean,
  readNumber,
  readString,
  wrongType,
} from "../validation/checks.js";
import { parseMetadata, parseText, parseToolChoice, parseTools, type TextFormat } from "./fields.js";
import { type InputEntry, parseInput } from "./items.js";

export type { TextFormat } from "./fields.js";

/** The spec's `IncludeEnum`: what `include` may ask for. */
const INCLUDABLE = [
  "file_search_call.results",
  "web_search_call.results",
  "web_search_call.action.sources",
  "message.input_image.image_url",
  "computer_call_output.output.image_url",
  "code_interpreter_call.outputs",
  "reasoning.encrypted_content",
  "message.output_text.logprobs",
];

function parseInclude(v: unknown): readonly string[] | WireError {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return wrongType("include", "an array", v);
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (typeof item !== "string" || !INCLUDABLE.includes(item))
      return invalidEnum(`include[${i}]`, item, INCLUDABLE);
  }
  return v as string[];
}

// Hand-written checks of a `POST /v1/responses` body, in the service's words. Field list and ranges
// from the `CreateResponse` schema of openai/openai-openapi.

/** The parts of a Responses request the sim acts on or echoes back. */
export interface ResponsesRequest {
  readonly model: string;
  /** This request's input items (what `input_items` lists). */
  readonly input: readonly InputEntry[];
  readonly instructions: string | null;
  readonly maxOutputTokens: number | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly parallelToolCalls: boolean;
  readonly previousResponseId: string | null;
  readonly store: boolean;
  readonly stream: boolean;
  readonly background: boolean;
  readonly obfuscation: boolean;
  readonly promptCacheKey: string | null;
  /** `include` has "message.output_text.logprobs": per-token logprobs with this many alternatives. */
  readonly logprobs: number | undefined;
  /** `prompt_cache_retention`: "24h" keeps this prompt's prefixes cached up to a day. */
  readonly promptCacheRetention: PromptCacheRetention | undefined;
  readonly format: TextFormat;
  /** Function tools, flavour-neutral, for the tool-call chooser. */
  readonly functions: readonly FunctionTool[];
  readonly toolChoice: ToolChoice;
  /** Fields echoed in the response object as the service fills them in. */
  readonly echo: Readonly<Record<string, unknown>>;
}

const KNOWN = new Set([
  "background",
  "context_management",
  "conversation",
  "include",
  "input",
  "instructions",
  "max_output_tokens",
  "max_tool_calls",
  "metadata",
  "model",
  "moderation",
  "parallel_tool_calls",
  "previous_response_id",
  "prompt",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "reasoning",
  "safety_identifier",
  "service_tier",
  "store",
  "stream",
  "stream_options",
  "temperature",
  "text",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "truncation",
  "user",
]);

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function parseStreamOptions(body: Json, stream: boolean): boolean | WireError {
  const o = body.stream_options;
  if (!present(o)) return true;
  if (!stream) {
    return invalidParam(
      "stream_options",
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      "invalid_value",
    );
  }
  if (!isObject(o)) return wrongType("stream_options", "an object", o);
  const v = o.include_obfuscation;
  if (present(v) && typeof v !== "boolean")
    return wrongType("stream_options.include_obfuscation", "a boolean", v);
  return v !== false;
}

/**
 * Validates a parsed Responses body. Unknown top-level fields are refused as the service does
 * ("Unknown parameter: 'x'."), `model` and `input` are required, ranges follow the spec.
 */
export function parseResponsesBody(body: unknown, ids: Rng): ResponsesRequest | WireError {
  if (!isObject(body)) return wrongType("body", "an object", body);
  for (const k of Object.keys(body)) {
    if (!KNOWN.has(k))
      return apiError(400, `Unknown parameter: '${k}'.`, "invalid_request_error", k, "unknown_parameter");
  }
  if (body.model === undefined) return missingParam("model");
  if (typeof body.model !== "string") return wrongType("model", "a string", body.model);
  if (present(body.conversation)) {
    return apiError(
      404,
      "Conversation not found (the simulator holds no conversations).",
      "invalid_request_error",
      "conversation",
    );
  }
  if (present(body.prompt)) {
    return apiError(
      404,
      "Prompt not found (the simulator holds no prompt templates).",
      "invalid_request_error",
      "prompt",
    );
  }
  // `input` may be left out only when an earlier response supplies the conversation.
  const noInput = body.input === undefined || body.input === null;
  if (noInput && typeof body.previous_response_id !== "string") return missingParam("input");
  const input = noInput ? [] : parseInput(body.input, ids);
  if (isError(input)) return input;

  const instructions = readString(body, "instructions");
  if (isError(instructions)) return instructions;
  const maxOutputTokens = readNumber(body, "max_output_tokens", 16, Number.MAX_SAFE_INTEGER, true);
  if (isError(maxOutputTokens)) return maxOutputTokens;
  const temperature = readNumber(body, "temperature", 0, 2);
  if (isError(temperature)) return temperature;
  const topP = readNumber(body, "top_p", 0, 1);
  if (isError(topP)) return topP;
  const topLogprobs = readNumber(body, "top_logprobs", 0, 20, true);
  if (isError(topLogprobs)) return topLogprobs;
  const include = parseInclude(body.include);
  if (isError(include)) return include;
  const maxToolCalls = readNumber(body, "max_tool_calls", 1, Number.MAX_SAFE_INTEGER, true);
  if (isError(maxToolCalls)) return maxToolCalls;
  const metadata = parseMetadata(body.metadata);
  if (isError(metadata)) return metadata;
  const parallel = readBoolean(body, "parallel_tool_calls");
  if (isError(parallel)) return parallel;
  const store = readBoolean(body, "store");
  if (isError(store)) return store;
  const stream = readBoolean(body, "stream");
  if (isError(stream)) return stream;
  const background = readBoolean(body, "background");
  if (isError(background)) return background;
  if (background === true && store === false) {
    return invalidParam("background", "Background mode requires 'store' to be true.", "invalid_value");
  }
  const obfuscation = parseStreamOptions(body, stream === true);
  if (isError(obfuscation)) return obfuscation;
  const previous = readString(body, "previous_response_id");
  if (isError(previous)) return previous;
  if (previous !== undefined && !/^[A-Za-z0-9_-]+$/.test(previous)) {
    return invalidParam(
      "previous_response_id",
      `Invalid 'previous_response_id': '${previous}'. Expected an ID that contains letters, numbers, underscores, or dashes, but this value contained additional characters.`,
      "invalid_value",
    );
  }
  const cacheKey = readString(body, "prompt_cache_key");
  if (isError(cacheKey)) return cacheKey;
  const retention = readString(body, "prompt_cache_retention", ["in_memory", "24h"]);
  if (isError(retention)) return retention;
  const user = readString(body, "user");
  if (isError(user)) return user;
  const safety = readString(body, "safety_identifier");
  if (isError(safety)) return safety;
  const truncation = body.truncation ?? "disabled";
  if (truncation !== "auto" && truncation !== "disabled") {
    return invalidEnum("truncation", truncation, ["auto", "disabled"]);
  }
  const tier = body.service_tier ?? "auto";
  if (tier !== "auto" && tier !== "default" && tier !== "flex" && tier !== "scale" && tier !== "priority") {
    return invalidEnum("service_tier", tier, ["auto", "default", "flex", "scale", "priority"]);
  }
  const tools = parseTools(body.tools);
  if (isError(tools)) return tools;
  const toolChoice = parseToolChoice(body.tool_choice, tools.functions);
  if (isError(toolChoice)) return toolChoice;
  const text = parseText(body.text);
  if (isError(text)) return text;
  const reasoning = body.reasoning;
  if (present(reasoning) && !isObject(reasoning)) return wrongType("reasoning", "an object", reasoning);

  const echo: Record<string, unknown> = {
    background: background === true,
    instructions: instructions ?? null,
    max_output_tokens: maxOutputTokens ?? null,
    max_tool_calls: maxToolCalls ?? null,
    parallel_tool_calls: parallel !== false,
    previous_response_id: previous ?? null,
    prompt_cache_key: cacheKey ?? null,
    prompt_cache_retention: retention ?? null,
    reasoning: isObject(reasoning)
      ? { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null }
      : { effort: null, summary: null },
    safety_identifier: safety ?? null,
    service_tier: tier === "auto" ? "default" : tier,
    store: store !== false,
    temperature: temperature ?? 1,
    text: text.echo,
    tool_choice: typeof toolChoice === "string" ? toolChoice : { type: "function", name: toolChoice.name },
    tools: tools.echo,
    top_logprobs: topLogprobs ?? 0,
    top_p: topP ?? 1,
    truncation,
    user: user ?? null,
    metadata,
  };
  return {
    model: body.model,
    input,
    instructions: instructions ?? null,
    maxOutputTokens: maxOutputTokens ?? null,
    metadata,
    parallelToolCalls: parallel !== false,
    previousResponseId: previous ?? null,
    store: store !== false,
    stream: stream === true,
    background: background === true,
    obfuscation,
    promptCacheKey: cacheKey ?? null,
    logprobs: include.includes("message.output_text.logprobs") ? (topLogprobs ?? 0) : undefined,
    promptCacheRetention: retention as PromptCacheRetention | undefined,
    format: text.format,
    functions: tools.functions,
    toolChoice,
    echo,
  };
}
