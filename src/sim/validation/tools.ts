import { apiError, invalidParam, missingParam, type WireError } from "../errors.js";
import type { JsonSchema } from "../json-schema.js";
import type { FunctionTool, ToolChoice } from "../tools.js";
import { arrayTooLong, invalidEnum, isObject, type Json, wrongType } from "./checks.js";

/**
 * `tools`, `tool_choice`, `parallel_tool_calls` and `response_format` of a chat request, checked
 * against openai/openai-openapi (`ChatCompletionTool`, `FunctionObject`, `ChatCompletionToolChoiceOption`,
 * `ResponseFormatJsonSchema`) and the structured-outputs rules of platform.openai.com/docs/guides/
 * structured-outputs ("Supported schemas": with `strict`, the root is an object, every object sets
 * `additionalProperties: false` and lists every property in `required`).
 */

/** How the reply is formatted. */
export type ResponseFormat =
  | { readonly type: "text" }
  | { readonly type: "json_object" }
  | {
      readonly type: "json_schema";
      readonly name: string;
      readonly schema: JsonSchema;
      readonly strict: boolean;
    };

/** The tool part of a chat request. */
export interface ParsedTools {
  readonly tools: readonly FunctionTool[];
  readonly toolChoice: ToolChoice | undefined;
  readonly parallelToolCalls: boolean | undefined;
}

const MAX_TOOLS = 128;
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const CHOICES = ["none", "auto", "required"] as const;

function onlyWithTools(param: string): WireError {
  return apiError(
    400,
    `Invalid value for '${param}': '${param}' is only allowed when 'tools' are specified.`,
    "invalid_request_error",
    param,
  );
}

/**
 * The strict-mode rules, walked through nested objects, `items`, `anyOf` and `$defs`; the message
 * names the context as the service does ("In context=('properties', 'address'), …").
 */
export function strictSchemaProblem(schema: unknown, context: readonly string[] = []): string | undefined {
  if (!isObject(schema)) return undefined;
  const where = `In context=(${context.map((c) => `'${c}'`).join(", ")}${context.length === 1 ? "," : ""})`;
  const isObjectType =
    schema.type === "object" || (Array.isArray(schema.type) && schema.type.includes("object"));
  if (isObjectType || isObject(schema.properties)) {
    if (schema.additionalProperties !== false) {
      return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const props = isObject(schema.properties) ? Object.keys(schema.properties) : [];
    const required = Array.isArray(schema.required) ? schema.required : undefined;
    const missing = props.filter((p) => !required?.includes(p));
    if (required === undefined || missing.length > 0) {
      return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0] ?? props[0] ?? ""}'.`;
    }
    for (const p of props) {
      const problem = strictSchemaProblem((schema.properties as Json)[p], [...context, "properties", p]);
      if (problem !== undefined) return problem;
    }
  }
  if (isObject(schema.items)) {
    const problem = strictSchemaProblem(schema.items, [...context, "items"]);
    if (problem !== undefined) return problem;
  }
  for (const key of ["anyOf", "$defs", "definitions"] as const) {
    const group = schema[key];
    const entries = Array.isArray(group)
      ? group.map((g, i) => [String(i), g] as const)
      : isObject(group)
        ? Object.entries(group)
        : [];
    for (const [k, sub] of entries) {
      const problem = strictSchemaProblem(sub, [...context, key, k]);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function readTool(t: unknown, i: number): FunctionTool | null | WireError {
  const at = `tools[${i}]`;
  if (!isObject(t)) return wrongType(at, "an object", t);
  if (t.type === undefined) return missingParam(`${at}.type`);
  if (t.type === "custom") return null; // accepted; the sim never calls custom tools
  if (t.type !== "function") return invalidEnum(`${at}.type`, t.type, ["function", "custom"]);
  const f = t.function;
  if (f === undefined) return missingParam(`${at}.function`);
  if (!isObject(f)) return wrongType(`${at}.function`, "an object", f);
  if (f.name === undefined) return missingParam(`${at}.function.name`);
  if (typeof f.name !== "string") return wrongType(`${at}.function.name`, "a string", f.name);
  if (!NAME.test(f.name)) {
    return invalidParam(
      `${at}.function.name`,
      `Invalid '${at}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
      "invalid_value",
    );
  }
  if (f.description !== undefined && typeof f.description !== "string") {
    return wrongType(`${at}.function.description`, "a string", f.description);
  }
  const params = f.parameters;
  if (params !== undefined && !isObject(params))
    return wrongType(`${at}.function.parameters`, "an object", params);
  const strict = f.strict;
  if (strict !== undefined && strict !== null && typeof strict !== "boolean") {
    return wrongType(`${at}.function.strict`, "a boolean", strict);
  }
  if (strict === true && params !== undefined) {
    const problem = strictSchemaProblem(params);
    if (problem !== undefined) {
      return invalidParam(
        `${at}.function.parameters`,
        `Invalid schema for function '${f.name}': ${problem}`,
        "invalid_function_parameters",
      );
    }
  }
  return {
    name: f.name,
    description: typeof f.description === "string" ? f.description : undefined,
    parameters: params as JsonSchema | undefined,
    strict: strict === true,
  };
}

function readToolChoice(v: unknown, tools: readonly FunctionTool[]): ToolChoice | undefined | WireError {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") {
    if (!(CHOICES as readonly string[]).includes(v)) return invalidEnum("tool_choice", v, CHOICES);
    return v as ToolChoice;
  }
  if (!isObject(v)) return wrongType("tool_choice", "a string or an object", v);
  if (v.type === "allowed_tools") {
    const mode = isObject(v.allowed_tools) ? v.allowed_tools.mode : undefined;
    return mode === "required" ? "required" : "auto";
  }
  // A named custom tool: accepted; the sim never calls custom tools, so it answers as under `auto`.
  if (v.type === "custom") return "auto";
  if (v.type !== "function")
    return invalidEnum("tool_choice.type", v.type, ["function", "allowed_tools", "custom"]);
  const f = v.function;
  if (!isObject(f) || typeof f.name !== "string") return missingParam("tool_choice.function.name");
  const name = f.name;
  if (!tools.some((t) => t.name === name)) {
    return apiError(
      400,
      `Invalid value for 'tool_choice': function '${name}' is not among the 'tools' of this request.`,
      "invalid_request_error",
      "tool_choice",
    );
  }
  return { name };
}

/** Reads `tools`, `tool_choice` and `parallel_tool_calls`. */
export function parseTools(body: Json): ParsedTools | WireError {
  const raw = body.tools;
  const tools: FunctionTool[] = [];
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw)) return wrongType("tools", "an array", raw);
    if (raw.length > MAX_TOOLS) return arrayTooLong("tools", MAX_TOOLS, raw.length);
    for (let i = 0; i < raw.length; i++) {
      const tool = readTool(raw[i], i);
      if (tool === null) continue;
      if ("status" in tool) return tool;
      tools.push(tool);
    }
  }
  const hasTools = Array.isArray(raw) && raw.length > 0;
  if (body.tool_choice !== undefined && body.tool_choice !== null && !hasTools)
    return onlyWithTools("tool_choice");
  const toolChoice = readToolChoice(body.tool_choice, tools);
  if (typeof toolChoice === "object" && "status" in toolChoice) return toolChoice;
  const parallel = body.parallel_tool_calls;
  // The service rejects null here ("expected a boolean, but got null instead").
  if (parallel !== undefined && typeof parallel !== "boolean")
    return wrongType("parallel_tool_calls", "a boolean", parallel);
  if (parallel !== undefined && !hasTools) return onlyWithTools("parallel_tool_calls");
  return { tools, toolChoice, parallelToolCalls: parallel };
}

/** Reads `response_format`; `allText` is searched for "json" as the service requires in JSON mode. */
export function parseResponseFormat(body: Json, allText: string): ResponseFormat | WireError {
  const v = body.response_format;
  if (v === undefined || v === null) return { type: "text" };
  if (!isObject(v)) return wrongType("response_format", "an object", v);
  if (v.type === undefined) return missingParam("response_format.type");
  if (v.type === "text") return { type: "text" };
  if (v.type === "json_object") {
    if (!/json/i.test(allText)) {
      return apiError(
        400,
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        "invalid_request_error",
        "messages",
      );
    }
    return { type: "json_object" };
  }
  if (v.type !== "json_schema")
    return invalidEnum("response_format.type", v.type, ["text", "json_object", "json_schema"]);
  const js = v.json_schema;
  if (js === undefined) return missingParam("response_format.json_schema");
  if (!isObject(js)) return wrongType("response_format.json_schema", "an object", js);
  if (js.name === undefined) return missingParam("response_format.json_schema.name");
  if (typeof js.name !== "string" || !NAME.test(js.name)) {
    return invalidParam(
      "response_format.json_schema.name",
      "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
    );
  }
  const schema = js.schema ?? {};
  if (!isObject(schema)) return wrongType("response_format.json_schema.schema", "an object", schema);
  const strict = js.strict === true;
  if (strict) {
    if (schema.type !== "object") {
      return invalidParam(
        "response_format",
        `Invalid schema for response_format '${js.name}': schema must be a JSON Schema of 'type: "object"', got 'type: "${String(schema.type)}"'.`,
        "invalid_json_schema",
      );
    }
    const problem = strictSchemaProblem(schema);
    if (problem !== undefined) {
      return invalidParam(
        "response_format",
        `Invalid schema for response_format '${js.name}': ${problem}`,
        "invalid_json_schema",
      );
    }
  }
  return { type: "json_schema", name: js.name, schema, strict };
}
