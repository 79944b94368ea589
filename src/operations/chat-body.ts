import {
  at,
  checkJson,
  isBoolean,
  isFiniteNumber,
  isInteger,
  isPositiveInteger,
  isRecord,
  isString,
  optional,
  Problems,
} from "./shape.js";

/**
 * What a valid chat completions body looks like, checked before anything else reads it. Pure
 * functions; the rest of the surface is in chat.ts.
 */

/** Roles whose message must carry content (a string or parts). */
const CONTENT_REQUIRED = new Set(["system", "developer", "user", "tool"]);

/**
 * Every problem of a chat `create` body, each `path: what is wrong`; empty when the shape is right.
 * Checks the types of everything the router or the services read (model, messages and their parts,
 * tool calls, tools, response format, token caps, sampling numbers…) and that the rest is JSON. Values
 * the services judge (a model name, a temperature's range) are theirs to refuse. May throw if reading
 * the body throws (a getter): the caller reports that as a problem too.
 * @example
 * validateChatBody({ model: "gpt-4o", messages: [{ role: "user", content: 5 }] });
 * // ["messages.0.content: must be a string or an array of content parts"]
 */
export function validateChatBody(body: unknown): readonly string[] {
  if (!isRecord(body)) return ["body: must be an object"];
  const out = new Problems();
  let model = false;
  let messages = false;
  // `for…in` with an own-key check visits what `Object.keys` lists, in its order, without building
  // the array: the body and every message are walked on every request.
  for (const key in body) {
    if (!Object.hasOwn(body, key)) continue;
    const value = body[key];
    switch (key) {
      case "model":
        model = true;
        if (typeof value !== "string" || value.length === 0) out.add("model", "must be a non-empty string");
        break;
      case "messages":
        messages = true;
        checkMessages(out, value);
        break;
      case "max_tokens":
      case "max_completion_tokens":
      case "n":
        optional(out, key, value, isPositiveInteger, "a positive integer");
        break;
      case "stream":
      case "logprobs":
      case "parallel_tool_calls":
      case "store":
        optional(out, key, value, isBoolean, "a boolean");
        break;
      case "stream_options":
        if (value !== undefined && value !== null) {
          if (!isRecord(value)) out.add(key, "must be an object");
          else optional(out, "stream_options.include_usage", value.include_usage, isBoolean, "a boolean");
        }
        break;
      case "temperature":
      case "top_p":
      case "presence_penalty":
      case "frequency_penalty":
        optional(out, key, value, isFiniteNumber, "a number");
        break;
      case "seed":
      case "top_logprobs":
        optional(out, key, value, isInteger, "an integer");
        break;
      case "stop":
        optional(out, key, value, isStop, "a string or an array of strings");
        break;
      case "user":
        optional(out, key, value, isString, "a string");
        break;
      case "tools":
        if (value !== undefined) checkTools(out, value);
        break;
      case "functions":
        if (value !== undefined) checkFunctions(out, value);
        break;
      case "response_format":
        if (value !== undefined && value !== null) checkResponseFormat(out, value);
        break;
      default:
        checkJson(out, key, value);
    }
  }
  if (!model) out.add("model", "is required (a non-empty string)");
  if (!messages) out.add("messages", "is required (an array of messages)");
  return out.result();
}

function isStop(value: unknown): boolean {
  if (typeof value === "string") return true;
  if (!Array.isArray(value)) return false;
  for (const s of value) if (typeof s !== "string") return false;
  return true;
}

function checkMessages(out: Problems, value: unknown): void {
  if (!Array.isArray(value)) {
    out.add("messages", "must be an array of messages");
    return;
  }
  if (value.length === 0) out.add("messages", "must have at least one message");
  for (let i = 0; i < value.length; i++) checkMessage(out, i, value[i]);
}

function checkMessage(out: Problems, i: number, message: unknown): void {
  if (!isRecord(message)) {
    out.add(`messages.${i}`, "must be an object (a message with a `role`)");
    return;
  }
  let role: unknown;
  let content: unknown;
  for (const key in message) {
    if (!Object.hasOwn(message, key)) continue;
    const value = message[key];
    switch (key) {
      case "role":
        role = value;
        if (typeof value !== "string" || value.length === 0)
          out.add(`messages.${i}.role`, "must be a non-empty string");
        break;
      case "content":
        content = value;
        checkContent(out, i, value);
        break;
      case "name":
      case "tool_call_id":
        if (value !== undefined && typeof value !== "string")
          out.add(`messages.${i}.${key}`, "must be a string");
        break;
      case "refusal":
        optional(out, `messages.${i}.refusal`, value, isString, "a string");
        break;
      case "tool_calls":
        if (value !== undefined && value !== null) checkToolCalls(out, i, value);
        break;
      case "function_call":
        if (value !== undefined && value !== null)
          checkNameAnd(out, `messages.${i}.function_call`, value, "arguments");
        break;
      default:
        checkJson(out, `messages.${i}.${key}`, value);
    }
  }
  if (role === undefined) out.add(`messages.${i}.role`, "is required");
  else if (
    typeof role === "string" &&
    CONTENT_REQUIRED.has(role) &&
    (content === undefined || content === null)
  )
    out.add(`messages.${i}.content`, `is required for a ${role} message`);
}

function checkContent(out: Problems, i: number, content: unknown): void {
  if (content === undefined || content === null || typeof content === "string") return;
  if (!Array.isArray(content)) {
    out.add(`messages.${i}.content`, "must be a string or an array of content parts");
    return;
  }
  for (let j = 0; j < content.length; j++) checkPart(out, i, j, content[j]);
}

function checkPart(out: Problems, i: number, j: number, part: unknown): void {
  const path = `messages.${i}.content.${j}`;
  if (!isRecord(part)) {
    out.add(path, "must be an object (a content part with a `type`)");
    return;
  }
  const type = part.type;
  if (typeof type !== "string") {
    out.add(at(path, "type"), "must be a string");
    return;
  }
  for (const key of Object.keys(part)) {
    const value = part[key];
    if (key === "type") continue;
    if (key === "text" && type === "text") {
      if (typeof value !== "string") out.add(at(path, "text"), "must be a string");
    } else if (key === "refusal" && type === "refusal") {
      if (typeof value !== "string") out.add(at(path, "refusal"), "must be a string");
    } else if (key === "image_url" && type === "image_url") {
      if (!isRecord(value)) out.add(at(path, "image_url"), "must be an object with a `url`");
      else {
        if (typeof value.url !== "string") out.add(at(path, "image_url.url"), "must be a string");
        optional(out, at(path, "image_url.detail"), value.detail, isString, "a string");
      }
    } else checkJson(out, at(path, key), value);
  }
  if (type === "text" && !("text" in part)) out.add(at(path, "text"), "is required");
  else if (type === "refusal" && !("refusal" in part)) out.add(at(path, "refusal"), "is required");
  else if (type === "image_url" && !("image_url" in part)) out.add(at(path, "image_url"), "is required");
}

function checkToolCalls(out: Problems, i: number, value: unknown): void {
  const path = `messages.${i}.tool_calls`;
  if (!Array.isArray(value)) {
    out.add(path, "must be an array");
    return;
  }
  for (let j = 0; j < value.length; j++) {
    const call = value[j];
    const p = at(path, j);
    if (!isRecord(call)) {
      out.add(p, "must be an object");
      continue;
    }
    optional(out, at(p, "id"), call.id, isString, "a string");
    if (call.type === "custom") checkNameAnd(out, at(p, "custom"), call.custom, "input");
    else if (call.type === undefined || call.type === "function")
      checkNameAnd(out, at(p, "function"), call.function, "arguments");
    else if (typeof call.type !== "string") out.add(at(p, "type"), "must be a string");
    else checkJson(out, p, call);
  }
}

/** `{ name: string, [field]: string }`: a function call (arguments) or a custom tool call (input). */
function checkNameAnd(out: Problems, path: string, value: unknown, field: string): void {
  if (!isRecord(value)) {
    out.add(path, `must be an object with \`name\` and \`${field}\``);
    return;
  }
  if (typeof value.name !== "string") out.add(at(path, "name"), "must be a string");
  if (typeof value[field] !== "string") out.add(at(path, field), "must be a string");
}

function checkTools(out: Problems, value: unknown): void {
  if (!Array.isArray(value)) {
    out.add("tools", "must be an array of tools");
    return;
  }
  for (let j = 0; j < value.length; j++) {
    const tool = value[j];
    const p = `tools.${j}`;
    if (!isRecord(tool)) {
      out.add(p, "must be an object (a tool with a `type`)");
      continue;
    }
    if (tool.type === "custom") checkDefinition(out, at(p, "custom"), tool.custom, "format");
    else if (tool.type === "function" || tool.type === undefined)
      checkDefinition(out, at(p, "function"), tool.function, "parameters");
    else if (typeof tool.type !== "string") out.add(at(p, "type"), "must be a string");
    else checkJson(out, p, tool);
  }
}

function checkFunctions(out: Problems, value: unknown): void {
  if (!Array.isArray(value)) {
    out.add("functions", "must be an array");
    return;
  }
  for (let j = 0; j < value.length; j++) checkDefinition(out, `functions.${j}`, value[j], "parameters");
}

/** A function (or custom tool) definition: a name, an optional description, a JSON schema (or format). */
function checkDefinition(out: Problems, path: string, value: unknown, schemaKey: string): void {
  if (!isRecord(value)) {
    out.add(path, "must be an object with a `name`");
    return;
  }
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (key === "name") {
      if (typeof v !== "string" || v.length === 0) out.add(at(path, "name"), "must be a non-empty string");
    } else if (key === "description") optional(out, at(path, key), v, isString, "a string");
    else if (key === schemaKey) {
      if (v !== undefined && v !== null && !isRecord(v)) out.add(at(path, key), "must be an object");
      else checkJson(out, at(path, key), v);
    } else checkJson(out, at(path, key), v);
  }
  if (!("name" in value)) out.add(at(path, "name"), "is required");
}

function checkResponseFormat(out: Problems, value: unknown): void {
  if (!isRecord(value)) {
    out.add("response_format", "must be an object with a `type`");
    return;
  }
  if (typeof value.type !== "string") {
    out.add("response_format.type", "must be a string");
    return;
  }
  if (value.type === "json_schema") {
    const schema = value.json_schema;
    if (!isRecord(schema)) out.add("response_format.json_schema", "must be an object with a `name`");
    else checkDefinition(out, "response_format.json_schema", schema, "schema");
  } else checkJson(out, "response_format", value);
}
