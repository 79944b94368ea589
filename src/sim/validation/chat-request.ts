import { invalidParam, missingParam, type WireError } from "../errors.js";
import type { PromptMessage } from "../tokens.js";
import type { FunctionTool, ToolChoice } from "../tools.js";
import {
  arrayTooLong,
  checkKnownFields,
  emptyArray,
  isError,
  isObject,
  type Json,
  readBoolean,
  readNumber,
  readString,
  wrongType,
} from "./checks.js";
import { parseMessages } from "./messages.js";
import { type ModelParams, SAMPLING_DEFAULTS, type SamplingParam } from "./models.js";
import { parseResponseFormat, parseTools, type ResponseFormat } from "./tools.js";

/** The parts of a chat request the simulator acts on, after validation. */
export interface ChatRequest {
  readonly model: string | undefined;
  readonly messages: readonly PromptMessage[];
  readonly n: number;
  /** `max_completion_tokens ?? max_tokens`. */
  readonly maxTokens: number | undefined;
  /** Which of the two named `maxTokens` (for the error when it exceeds the model's cap). */
  readonly maxTokensParam: "max_tokens" | "max_completion_tokens";
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly tools: readonly FunctionTool[];
  readonly toolChoice: ToolChoice | undefined;
  readonly parallelToolCalls: boolean | undefined;
  readonly responseFormat: ResponseFormat;
  /** Stop sequences (0–4). */
  readonly stop: readonly string[];
  readonly logprobs: boolean;
  /** 0–20 alternatives per token (0 when `logprobs` is off). */
  readonly topLogprobs: number;
  /** Detail of each image part (they cost prompt tokens). */
  readonly images: readonly ("low" | "high" | "auto")[];
  readonly afterToolResult: boolean;
  readonly lastUserText: string;
  /** What reasoning models constrain (checked once the model is known). */
  readonly modelParams: ModelParams;
}

/**
 * The top-level fields of openai/openai-openapi `CreateChatCompletionRequest` (with the
 * `CreateModelResponseProperties` it includes), as of the spec commit vendored in test/sim/schemas.
 * Anything else is "Unrecognized request argument supplied".
 */
const CHAT_FIELDS = [
  "audio",
  "frequency_penalty",
  "function_call",
  "functions",
  "logit_bias",
  "logprobs",
  "max_completion_tokens",
  "max_tokens",
  "messages",
  "metadata",
  "modalities",
  "model",
  "moderation",
  "n",
  "parallel_tool_calls",
  "prediction",
  "presence_penalty",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "reasoning_effort",
  "response_format",
  "safety_identifier",
  "seed",
  "service_tier",
  "stop",
  "store",
  "stream",
  "stream_options",
  "temperature",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "user",
  "verbosity",
  "web_search_options",
];
const OPENAI_CHAT_FIELDS: ReadonlySet<string> = new Set(CHAT_FIELDS);
/** Azure's 2024-10-21 spec adds On Your Data (`data_sources`) and `user_security_context` (v1). */
const AZURE_CHAT_FIELDS: ReadonlySet<string> = new Set([
  ...CHAT_FIELDS,
  "data_sources",
  "user_security_context",
]);

const MAX_N = 128;
const MAX_STOP = 4;
const MAX_TOP_LOGPROBS = 20;
const SERVICE_TIERS = ["auto", "default", "flex", "scale", "priority", "fast"];
const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];
const VERBOSITY = ["low", "medium", "high"];

function readStop(body: Json): readonly string[] | WireError {
  const v = body.stop;
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return v === "" ? [] : [v];
  if (!Array.isArray(v)) return wrongType("stop", "a string or an array of strings", v);
  if (v.length === 0) return emptyArray("stop");
  if (v.length > MAX_STOP) return arrayTooLong("stop", MAX_STOP, v.length);
  for (let i = 0; i < v.length; i++)
    if (typeof v[i] !== "string") return wrongType(`stop[${i}]`, "a string", v[i]);
  return (v as string[]).filter((s) => s !== "");
}

/** `logit_bias`: token ids (as strings of digits) → integers in [-100, 100]. */
function checkLogitBias(body: Json): WireError | undefined {
  const v = body.logit_bias;
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return wrongType("logit_bias", "an object", v);
  for (const key of Object.keys(v)) {
    if (!/^\d+$/.test(key)) {
      return invalidParam(
        "logit_bias",
        `Invalid key in 'logit_bias': ${key}. You should only be submitting non-negative integers.`,
      );
    }
    const read = readNumber(v, key, -100, 100, true, `logit_bias.${key}`);
    if (isError(read)) return read;
  }
  return undefined;
}

function checkStreamOptions(body: Json, stream: boolean): boolean | WireError {
  const options = body.stream_options;
  if (options === undefined || options === null) return false;
  if (!stream) {
    return invalidParam(
      "stream_options",
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      "invalid_value",
    );
  }
  if (!isObject(options)) return wrongType("stream_options", "an object", options);
  const usage = readBoolean(options, "include_usage", false, "stream_options.include_usage");
  if (isError(usage)) return usage;
  const obfuscation = readBoolean(
    options,
    "include_obfuscation",
    false,
    "stream_options.include_obfuscation",
  );
  if (isError(obfuscation)) return obfuscation;
  return usage === true;
}

/** Ranges and enums of the sampling fields (values are not otherwise used by the sim). */
function checkSampling(body: Json): WireError | undefined {
  const checks = [
    readNumber(body, "temperature", 0, 2),
    readNumber(body, "top_p", 0, 1),
    readNumber(body, "presence_penalty", -2, 2),
    readNumber(body, "frequency_penalty", -2, 2),
    readNumber(body, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
    readString(body, "service_tier", SERVICE_TIERS),
    readString(body, "reasoning_effort", REASONING_EFFORTS),
    readString(body, "verbosity", VERBOSITY),
    readString(body, "user"),
    readString(body, "prompt_cache_key"),
    readBoolean(body, "store"),
  ];
  for (const c of checks) if (isError(c)) return c;
  const safety = readString(body, "safety_identifier");
  if (isError(safety)) return safety;
  if (typeof safety === "string" && safety.length > 64) {
    return invalidParam(
      "safety_identifier",
      `Invalid 'safety_identifier': string too long. Expected a string with maximum length 64, but got a string with length ${safety.length} instead.`,
      "string_above_max_length",
    );
  }
  const metadata = body.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata)) return wrongType("metadata", "an object", metadata);
    for (const [k, value] of Object.entries(metadata)) {
      if (typeof value !== "string") return wrongType(`metadata.${k}`, "a string", value);
    }
  }
  return checkLogitBias(body);
}

/** The sampling parameters as sent (already range-checked). */
function samplingOf(body: Json): Partial<Record<SamplingParam, number>> {
  const out: Partial<Record<SamplingParam, number>> = {};
  for (const param of Object.keys(SAMPLING_DEFAULTS) as SamplingParam[]) {
    const v = body[param];
    if (typeof v === "number") out[param] = v;
  }
  return out;
}

/**
 * Validates a parsed chat completions body as the service does (spec ranges, enums, required
 * fields, message ordering, unknown fields); returns the request or the 400 to send.
 * `requireModel` is false on Azure's deployments path (the URL names it).
 */
export function parseChatBody(body: unknown, requireModel: boolean, azure = false): ChatRequest | WireError {
  if (!isObject(body)) return wrongType("body", "an object", body);
  const unknown = checkKnownFields(body, azure ? AZURE_CHAT_FIELDS : OPENAI_CHAT_FIELDS);
  if (unknown !== undefined) return unknown;

  const model = body.model;
  if (model === undefined && requireModel) return missingParam("model");
  if (model !== undefined && typeof model !== "string") return wrongType("model", "a string", model);

  const parsed = parseMessages(body.messages);
  if ("status" in parsed) return parsed;

  const n = readNumber(body, "n", 1, MAX_N, true);
  if (isError(n)) return n;
  const maxCompletion = readNumber(body, "max_completion_tokens", 1, Number.MAX_SAFE_INTEGER, true);
  if (isError(maxCompletion)) return maxCompletion;
  const maxTokens = readNumber(body, "max_tokens", 1, Number.MAX_SAFE_INTEGER, true);
  if (isError(maxTokens)) return maxTokens;

  const stream = readBoolean(body, "stream");
  if (isError(stream)) return stream;
  const includeUsage = checkStreamOptions(body, stream === true);
  if (typeof includeUsage !== "boolean") return includeUsage;

  const sampling = checkSampling(body);
  if (sampling !== undefined) return sampling;
  const stop = readStop(body);
  if (isError(stop)) return stop;

  const logprobs = readBoolean(body, "logprobs");
  if (isError(logprobs)) return logprobs;
  const topLogprobs = readNumber(body, "top_logprobs", 0, MAX_TOP_LOGPROBS, true);
  if (isError(topLogprobs)) return topLogprobs;
  if (topLogprobs !== undefined && logprobs !== true) {
    return invalidParam(
      "top_logprobs",
      "The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled.",
      null, // openai.com sends code null here
    );
  }

  const tools = parseTools(body);
  if ("status" in tools) return tools;
  const responseFormat = parseResponseFormat(body, parsed.allText);
  if ("status" in responseFormat) return responseFormat;

  return {
    model: model as string | undefined,
    messages: parsed.messages,
    n: n ?? 1,
    maxTokens: maxCompletion ?? maxTokens,
    maxTokensParam: maxCompletion !== undefined ? "max_completion_tokens" : "max_tokens",
    stream: stream === true,
    includeUsage,
    tools: tools.tools,
    toolChoice: tools.toolChoice,
    parallelToolCalls: tools.parallelToolCalls,
    responseFormat,
    stop,
    logprobs: logprobs === true,
    topLogprobs: logprobs === true ? (topLogprobs ?? 0) : 0,
    images: parsed.images,
    afterToolResult: parsed.afterToolResult,
    lastUserText: parsed.lastUserText,
    modelParams: {
      legacyMaxTokens: maxTokens !== undefined,
      logprobs: logprobs === true,
      sampling: samplingOf(body),
    },
  };
}
