import { invalidParam, missingParam, type WireError } from "../errors.js";
import type { JsonSchema } from "../json-schema.js";
import type { FunctionTool, ToolChoice } from "../tools.js";
import { invalidEnum, isObject, wrongType } from "../validation/checks.js";

// The structured fields of a Responses body, in the service's words (ranges and shapes from the
// `CreateResponse` schema of openai/openai-openapi).

/** `text.format` as the sim acts on it. */
export type TextFormat =
  | { readonly type: "text" }
  | { readonly type: "json_object" }
  | { readonly type: "json_schema"; readonly name: string; readonly schema: JsonSchema };

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** `metadata`: at most 16 string pairs, keys ≤ 64 and values ≤ 512 characters. */
export function parseMetadata(v: unknown): Record<string, string> | WireError {
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

/** Function tools for the chooser, and every tool as the response echoes it. */
export interface Tools {
  readonly functions: FunctionTool[];
  readonly echo: unknown[];
}

/** `tools`: flat function tools (`{type, name, parameters, strict}`); built-in tools are echoed only. */
export function parseTools(v: unknown): Tools | WireError {
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

/** `tool_choice`: a mode, or `{type: "function", name}` naming one of `tools`. */
export function parseToolChoice(v: unknown, functions: readonly FunctionTool[]): ToolChoice | WireError {
  if (!present(v)) return "auto";
  if (typeof v === "string") {
    if (v === "none" || v === "auto" || v === "required") return v;
    return invalidEnum("tool_choice", v, ["none", "auto", "required"]);
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

/** `text`: `format` (text, json_object, json_schema with name and schema) and `verbosity`. */
export function parseText(v: unknown): { format: TextFormat; echo: unknown } | WireError {
  if (!present(v))
    return { format: { type: "text" }, echo: { format: { type: "text" }, verbosity: "medium" } };
  if (!isObject(v)) return wrongType("text", "an object", v);
  const verbosity = v.verbosity ?? "medium";
  if (verbosity !== "low" && verbosity !== "medium" && verbosity !== "high") {
    return invalidEnum("text.verbosity", verbosity, ["low", "medium", "high"]);
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
    return invalidEnum("text.format.type", f.type, ["text", "json_object", "json_schema"]);
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
