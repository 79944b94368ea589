import { apiError, invalidParam, missingParam, type WireError } from "../errors.js";
import type { JsonSchema } from "../json-schema.js";
import type { Rng } from "../prng.js";
import type { FunctionTool, ToolChoice } from "../tools.js";
import { type Item, parseInput } from "./items.js";

// Hand-written checks of a `POST /v1/responses` body, in the service's words. Field list and ranges
// from the `CreateResponse` schema of openai/openai-openapi.

/** `text.format` as the sim acts on it. */
export type TextFormat =
  | { readonly type: "text" }
  | { readonly type: "json_object" }
  | { readonly type: "json_schema"; readonly name: string; readonly schema: JsonSchema };

/** The parts of a Responses request the sim acts on or echoes back. */
export interface ResponsesRequest {
  readonly model: string;
  /** This request's input items (what `input_items` lists). */
  readonly input: readonly Item[];
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

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (Number.isInteger(v)) return "an integer";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function wrongType(param: string, expected: string, got: unknown): WireError {
  return invalidParam(
    param,
    `Invalid type for '${param}': expected ${expected}, but got ${typeName(got)} instead.`,
    "invalid_type",
  );
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function optBool(body: Json, field: string): boolean | undefined | WireError {
  const v = body[field];
  if (!present(v)) return undefined;
  if (typeof v !== "boolean") return wrongType(field, "a boolean", v);
  return v;
}

function optString(body: Json, field: string, path = field): string | undefined | WireError {
  const v = body[field];
  if (!present(v)) return undefined;
  if (typeof v !== "string") return wrongType(path, "a string", v);
  return v;
}

/** A number within [min, max], worded as the service words range errors. */
function optNumber(
  body: Json,
  field: string,
  min: number,
  max: number,
  integer: boolean,
): number | undefined | WireError {
  const v = body[field];
  if (!present(v)) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    return wrongType(field, integer ? "an integer" : "a number", v);
  }
  const kind = integer ? "integer" : "decimal";
  if (v < min) {
    return invalidParam(
      field,
      `Invalid '${field}': ${kind} below minimum value. Expected a value >= ${min}, but got ${v} instead.`,
      `${kind}_below_min_value`,
    );
  }
  if (v > max) {
    return invalidParam(
      field,
      `Invalid '${field}': ${kind} above maximum value. Expected a value <= ${max}, but got ${v} instead.`,
      `${kind}_above_max_value`,
    );
  }
  return v;
}

function isError(v: unknown): v is WireError {
  return isObject(v) && typeof v.status === "number" && typeof v.body === "string";
}

function parseMetadata(v: unknown): Record<string, string> | WireError {
  if (!present(v)) return {};
  if (!isObject(v)) return wrongType("metadata", "an object", v);
  const keys = Object.keys(v);
  if (keys.length > 16) {
    return invalidParam(
      "metadata",
      `Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with ${keys.length} properties instead.`,
      "object_above_max_properties",
    );
  }
  const out: Record<string, string> = {};
  for (const k of keys) {
    const value = v[k];
    if (k.length > 64) {
      return invalidParam(
        "metadata",
        `Invalid 'metadata': string too long. Expected a string with maximum length 64, but got a string with length ${k.length} instead.`,
        "string_above_max_length",
      );
    }
    if (typeof value !== "string") return wrongType(`metadata.${k}`, "a string", value);
    if (value.length > 512) {
      return invalidParam(
        `metadata.${k}`,
        `Invalid 'metadata.${k}': string too long. Expected a string with maximum length 512, but got a string with length ${value.length} instead.`,
        "string_above_max_length",
      );
    }
    out[k] = value;
  }
  return out;
}

interface Tools {
  readonly functions: FunctionTool[];
  readonly echo: unknown[];
}

function parseTools(v: unknown): Tools | WireError {
  if (!present(v)) return { functions: [], echo: [] };
  if (!Array.isArray(v)) return wrongType("tools", "an array", v);
  const functions: FunctionTool[] = [];
  const echo: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i];
    const path = `tools[${i}]`;
    if (!isObject(t)) return wrongType(path, "an object", t);
    if (typeof t.type !== "string") return missingParam(`${path}.type`);
    if (t.type !== "function") {
      echo.push(t); // built-in tools are accepted and echoed; the sim never calls them
      continue;
    }
    // Chat's nested `{type, function: {name}}` is the usual mistake: the service asks for the flat name.
    if (t.name === undefined) return missingParam(`${path}.name`);
    if (typeof t.name !== "string") return wrongType(`${path}.name`, "a string", t.name);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(t.name)) {
      return invalidParam(
        `${path}.name`,
        `Invalid '${path}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        "invalid_value",
      );
    }
    const parameters = t.parameters;
    if (present(parameters) && !isObject(parameters)) {
      return wrongType(`${path}.parameters`, "an object", parameters);
    }
    const strict = t.strict;
    if (present(strict) && typeof strict !== "boolean")
      return wrongType(`${path}.strict`, "a boolean", strict);
    const description = typeof t.description === "string" ? t.description : undefined;
    functions.push({
      name: t.name,
      description,
      parameters: isObject(parameters) ? parameters : undefined,
      strict: strict !== false,
    });
    echo.push({
      type: "function",
      description: description ?? null,
      name: t.name,
      parameters: isObject(parameters) ? parameters : null,
      strict: strict !== false,
    });
  }
  return { functions, echo };
}

function parseToolChoice(v: unknown, functions: readonly FunctionTool[]): ToolChoice | WireError {
  if (!present(v)) return "auto";
  if (typeof v === "string") {
    if (v === "none" || v === "auto" || v === "required") return v;
    return invalidParam(
      "tool_choice",
      `Invalid value: '${v}'. Supported values are: 'none', 'auto', and 'required'.`,
    );
  }
  if (!isObject(v)) return wrongType("tool_choice", "a string or an object", v);
  if (v.type !== "function")
    return invalidParam("tool_choice", "The sim supports function tool choices only.");
  if (typeof v.name !== "string") return missingParam("tool_choice.name");
  const name = v.name;
  if (!functions.some((f) => f.name === name)) {
    return invalidParam("tool_choice", "Tool choice 'function' not found in 'tools' parameter.");
  }
  return { name };
}

function parseText(v: unknown): { format: TextFormat; echo: unknown } | WireError {
  if (!present(v))
    return { format: { type: "text" }, echo: { format: { type: "text" }, verbosity: "medium" } };
  if (!isObject(v)) return wrongType("text", "an object", v);
  const verbosity = v.verbosity ?? "medium";
  if (verbosity !== "low" && verbosity !== "medium" && verbosity !== "high") {
    return invalidParam(
      "text.verbosity",
      `Invalid value: '${String(verbosity)}'. Supported values are: 'low', 'medium', and 'high'.`,
    );
  }
  const f = v.format;
  if (!present(f)) return { format: { type: "text" }, echo: { format: { type: "text" }, verbosity } };
  if (!isObject(f)) return wrongType("text.format", "an object", f);
  let format: TextFormat;
  if (f.type === "text" || f.type === "json_object") format = { type: f.type };
  else if (f.type === "json_schema") {
    if (f.name === undefined) return missingParam("text.format.name");
    if (typeof f.name !== "string") return wrongType("text.format.name", "a string", f.name);
    if (f.schema === undefined) return missingParam("text.format.schema");
    if (!isObject(f.schema)) return wrongType("text.format.schema", "an object", f.schema);
    format = { type: "json_schema", name: f.name, schema: f.schema };
  } else if (f.type === undefined) return missingParam("text.format.type");
  else {
    return invalidParam(
      "text.format.type",
      `Invalid value: '${String(f.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
    );
  }
  const echoFormat =
    format.type === "json_schema"
      ? {
          type: "json_schema",
          ...(typeof f.description === "string" ? { description: f.description } : {}),
          name: format.name,
          schema: format.schema,
          strict: f.strict === true,
        }
      : format;
  return { format, echo: { format: echoFormat, verbosity } };
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
  if (body.input === undefined || body.input === null) return missingParam("input");
  const input = parseInput(body.input, ids);
  if (isError(input)) return input;

  const instructions = optString(body, "instructions");
  if (isError(instructions)) return instructions;
  const maxOutputTokens = optNumber(body, "max_output_tokens", 16, Number.MAX_SAFE_INTEGER, true);
  if (isError(maxOutputTokens)) return maxOutputTokens;
  const temperature = optNumber(body, "temperature", 0, 2, false);
  if (isError(temperature)) return temperature;
  const topP = optNumber(body, "top_p", 0, 1, false);
  if (isError(topP)) return topP;
  const topLogprobs = optNumber(body, "top_logprobs", 0, 20, true);
  if (isError(topLogprobs)) return topLogprobs;
  const maxToolCalls = optNumber(body, "max_tool_calls", 1, Number.MAX_SAFE_INTEGER, true);
  if (isError(maxToolCalls)) return maxToolCalls;
  const metadata = parseMetadata(body.metadata);
  if (isError(metadata)) return metadata;
  const parallel = optBool(body, "parallel_tool_calls");
  if (isError(parallel)) return parallel;
  const store = optBool(body, "store");
  if (isError(store)) return store;
  const stream = optBool(body, "stream");
  if (isError(stream)) return stream;
  const background = optBool(body, "background");
  if (isError(background)) return background;
  if (background === true && store === false) {
    return invalidParam("background", "Background mode requires 'store' to be true.", "invalid_value");
  }
  const obfuscation = parseStreamOptions(body, stream === true);
  if (isError(obfuscation)) return obfuscation;
  const previous = optString(body, "previous_response_id");
  if (isError(previous)) return previous;
  if (previous !== undefined && !/^[A-Za-z0-9_-]+$/.test(previous)) {
    return invalidParam(
      "previous_response_id",
      `Invalid 'previous_response_id': '${previous}'. Expected an ID that contains letters, numbers, underscores, or dashes, but this value contained additional characters.`,
      "invalid_value",
    );
  }
  const cacheKey = optString(body, "prompt_cache_key");
  if (isError(cacheKey)) return cacheKey;
  const user = optString(body, "user");
  if (isError(user)) return user;
  const safety = optString(body, "safety_identifier");
  if (isError(safety)) return safety;
  const truncation = body.truncation ?? "disabled";
  if (truncation !== "auto" && truncation !== "disabled") {
    return invalidParam(
      "truncation",
      `Invalid value: '${String(truncation)}'. Supported values are: 'auto' and 'disabled'.`,
    );
  }
  const tier = body.service_tier ?? "auto";
  if (tier !== "auto" && tier !== "default" && tier !== "flex" && tier !== "scale" && tier !== "priority") {
    return invalidParam(
      "service_tier",
      `Invalid value: '${String(tier)}'. Supported values are: 'auto', 'default', 'flex', 'scale', and 'priority'.`,
    );
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
    format: text.format,
    functions: tools.functions,
    toolChoice,
    echo,
  };
}
