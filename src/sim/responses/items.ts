import { apiError, invalidParam, missingParam, type WireError } from "../errors.js";
import { type Rng, randomHex } from "../prng.js";
import type { PromptPiece } from "../prompt-cache.js";

// Items of the Responses API as the service lists them (`input_items`, `output`): each has an id.

/** A content part of a message item. */
export type ContentPart =
  | { readonly type: "input_text"; readonly text: string }
  | {
      readonly type: "output_text";
      readonly text: string;
      readonly annotations: readonly unknown[];
      readonly logprobs?: readonly unknown[];
    }
  | { readonly type: "refusal"; readonly refusal: string }
  | { readonly type: "input_image" | "input_file" | "input_audio"; readonly [field: string]: unknown };

/** A message item (input: user/system/developer/assistant; output: assistant). */
export interface MessageItem {
  readonly id: string;
  readonly type: "message";
  readonly role: "user" | "system" | "developer" | "assistant";
  readonly status: "completed" | "incomplete" | "in_progress";
  readonly content: readonly ContentPart[];
}

/** A function call the model made (in output) or that the caller replays (in input). */
export interface FunctionCallItem {
  readonly id: string;
  readonly type: "function_call";
  readonly status: "completed" | "incomplete" | "in_progress";
  readonly arguments: string;
  readonly call_id: string;
  readonly name: string;
}

/** The caller's result of a function call. */
export interface FunctionCallOutputItem {
  readonly id: string;
  readonly type: "function_call_output";
  readonly status: "completed";
  readonly call_id: string;
  readonly output: string | readonly unknown[];
}

/** Any item the sim keeps in a conversation. */
export type Item = MessageItem | FunctionCallItem | FunctionCallOutputItem;

/** `{type: "item_reference", id}`: an item stored on this endpoint, resolved before use. */
export interface ItemReference {
  readonly type: "item_reference";
  readonly id: string;
}

/** One entry of `input` as parsed: an item, or a reference to a stored one. */
export type InputEntry = Item | ItemReference;

/** `msg_…`, `fc_…`: a prefix and 48 hex digits, as the service's item ids look. */
export function itemId(prefix: string, rng: Rng): string {
  return `${prefix}_${randomHex(rng, 48)}`;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const INPUT_ROLES = new Set(["user", "system", "developer", "assistant"]);
const INPUT_PART_TYPES = new Set(["input_text", "input_image", "input_file", "input_audio"]);
const ITEM_TYPES = "'message', 'function_call', 'function_call_output' and 'item_reference'";

function stringField(o: Json, field: string, path: string): string | WireError {
  const v = o[field];
  if (v === undefined) return missingParam(`${path}.${field}`);
  if (typeof v !== "string") {
    return invalidParam(
      `${path}.${field}`,
      `Invalid type for '${path}.${field}': expected a string, but got ${v === null ? "null" : typeof v} instead.`,
      "invalid_type",
    );
  }
  return v;
}

function parseParts(
  content: unknown,
  role: MessageItem["role"],
  path: string,
): readonly ContentPart[] | WireError {
  if (typeof content === "string") {
    return role === "assistant"
      ? [{ type: "output_text", text: content, annotations: [] }]
      : [{ type: "input_text", text: content }];
  }
  if (!Array.isArray(content)) {
    return invalidParam(
      `${path}.content`,
      `Invalid type for '${path}.content': expected a string or an array of content parts.`,
      "invalid_type",
    );
  }
  const parts: ContentPart[] = [];
  for (let i = 0; i < content.length; i++) {
    const p: unknown = content[i];
    const at = `${path}.content[${i}]`;
    if (!isObject(p) || typeof p.type !== "string") return missingParam(`${at}.type`);
    const allowed =
      role === "assistant" ? p.type === "output_text" || p.type === "refusal" : INPUT_PART_TYPES.has(p.type);
    if (!allowed) {
      const supported =
        role === "assistant"
          ? "'output_text' and 'refusal'"
          : "'input_text', 'input_image', and 'input_file'";
      return invalidParam(
        `${at}.type`,
        `Invalid value: '${p.type}'. Supported values are: ${supported}.`,
        "invalid_value",
      );
    }
    if (p.type === "input_text" || p.type === "output_text") {
      const text = stringField(p, "text", at);
      if (typeof text !== "string") return text;
      parts.push(
        p.type === "input_text"
          ? { type: "input_text", text }
          : { type: "output_text", text, annotations: [] },
      );
    } else if (p.type === "refusal") {
      const refusal = stringField(p, "refusal", at);
      if (typeof refusal !== "string") return refusal;
      parts.push({ type: "refusal", refusal });
    } else {
      parts.push({ ...p, type: p.type as "input_image" });
    }
  }
  return parts;
}

/**
 * Reads `input` (a string, or a list of items) into items with ids, as the service stores them.
 * Message items may omit `type` ("easy input messages"); their string content becomes one text part.
 */
export function parseInput(input: unknown, ids: Rng): readonly InputEntry[] | WireError {
  if (typeof input === "string") {
    return [
      {
        id: itemId("msg", ids),
        type: "message",
        role: "user",
        status: "completed",
        content: [{ type: "input_text", text: input }],
      },
    ];
  }
  if (!Array.isArray(input)) {
    return invalidParam(
      "input",
      "Invalid type for 'input': expected a string or an array of input items.",
      "invalid_type",
    );
  }
  const items: InputEntry[] = [];
  for (let i = 0; i < input.length; i++) {
    const raw: unknown = input[i];
    const path = `input[${i}]`;
    if (!isObject(raw)) {
      return invalidParam(path, `Invalid type for '${path}': expected an object.`, "invalid_type");
    }
    const type = raw.type ?? "message";
    if (type === "message") {
      const role = raw.role;
      if (role === undefined) return missingParam(`${path}.role`);
      if (typeof role !== "string" || !INPUT_ROLES.has(role)) {
        return invalidParam(
          `${path}.role`,
          `Invalid value: '${String(role)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`,
        );
      }
      if (raw.content === undefined) return missingParam(`${path}.content`);
      const r = role as MessageItem["role"];
      const content = parseParts(raw.content, r, path);
      if (!Array.isArray(content)) return content as WireError;
      const id = typeof raw.id === "string" ? raw.id : itemId("msg", ids);
      items.push({ id, type: "message", role: r, status: "completed", content });
    } else if (type === "function_call") {
      const callId = stringField(raw, "call_id", path);
      if (typeof callId !== "string") return callId;
      const name = stringField(raw, "name", path);
      if (typeof name !== "string") return name;
      const args = stringField(raw, "arguments", path);
      if (typeof args !== "string") return args;
      const id = typeof raw.id === "string" ? raw.id : itemId("fc", ids);
      items.push({ id, type: "function_call", status: "completed", arguments: args, call_id: callId, name });
    } else if (type === "function_call_output") {
      const callId = stringField(raw, "call_id", path);
      if (typeof callId !== "string") return callId;
      const output = raw.output;
      if (output === undefined) return missingParam(`${path}.output`);
      if (typeof output !== "string" && !Array.isArray(output)) {
        return invalidParam(
          `${path}.output`,
          `Invalid type for '${path}.output': expected a string or an array of content parts.`,
          "invalid_type",
        );
      }
      const id = typeof raw.id === "string" ? raw.id : itemId("fco", ids);
      items.push({ id, type: "function_call_output", status: "completed", call_id: callId, output });
    } else if (type === "item_reference") {
      const id = stringField(raw, "id", path);
      if (typeof id !== "string") return id;
      items.push({ type: "item_reference", id });
    } else {
      return invalidParam(
        `${path}.type`,
        `Invalid value: '${String(type)}'. Supported values in this simulator are: ${ITEM_TYPES}.`,
      );
    }
  }
  return items;
}

function partText(p: ContentPart): string {
  if (p.type === "input_text" || p.type === "output_text") return p.text;
  if (p.type === "refusal") return p.refusal;
  return ""; // images, files and audio are accepted and not counted
}

/** The text of an item as the model reads it, with the role it is read under. */
export function pieceOf(item: Item): PromptPiece {
  switch (item.type) {
    case "message": {
      let text = "";
      for (const p of item.content) text += partText(p);
      return { role: item.role, text };
    }
    case "function_call":
      return { role: "assistant", text: `${item.name}${item.arguments}` };
    case "function_call_output": {
      if (typeof item.output === "string") return { role: "tool", text: item.output };
      let text = "";
      for (const p of item.output) {
        if (isObject(p) && typeof p.text === "string") text += p.text;
      }
      return { role: "tool", text };
    }
  }
}

/**
 * A `function_call_output` must answer a `function_call` earlier in the conversation, or the service
 * refuses it: "No tool call found for function call output with call_id …".
 */
export function unansweredOutput(context: readonly Item[]): WireError | undefined {
  const calls = new Set<string>();
  for (const item of context) {
    if (item.type === "function_call") calls.add(item.call_id);
    else if (item.type === "function_call_output" && !calls.has(item.call_id)) {
      return apiError(
        400,
        `No tool call found for function call output with call_id ${item.call_id}.`,
        "invalid_request_error",
        "input",
      );
    }
  }
  return undefined;
}
