import { apiError, missingParam, type WireError } from "../errors.js";
import type { PromptMessage } from "../tokens.js";
import { emptyArray, invalidEnum, isObject, type Json, wrongType } from "./checks.js";

/**
 * `messages` of a chat request, checked against openai/openai-openapi `ChatCompletionRequestMessage`
 * (roles, content per role, `tool_call_id`, assistant `tool_calls`) and the ordering rules the
 * service enforces beyond the schema: a `tool` message must answer a `tool_calls` entry of the
 * assistant message before it, and every such entry must be answered before the next non-tool
 * message (wording as openai.com sends it, including its "preceeding").
 */

/** What the sim keeps of the messages. */
export interface ParsedMessages {
  readonly messages: readonly PromptMessage[];
  /** Image parts in user messages (each costs prompt tokens, see `IMAGE_TOKENS`). */
  readonly images: readonly ("low" | "high" | "auto")[];
  /** The last message is a tool result (`role: "tool"` or the legacy `function`). */
  readonly afterToolResult: boolean;
  /** Text of the last user message ("" when none). */
  readonly lastUserText: string;
  /** The text the `json_object` rule searches for "json". */
  readonly allText: string;
}

const ROLES = ["system", "assistant", "user", "function", "tool", "developer"] as const;
const USER_PARTS = ["text", "image_url", "input_audio", "file"] as const;
const ASSISTANT_PARTS = ["text", "refusal"] as const;
const TEXT_ONLY = ["text"] as const;
const DETAILS = ["auto", "low", "high"] as const;

interface Content {
  readonly text: string;
  readonly images: ("low" | "high" | "auto")[];
}

function partsOf(
  content: unknown,
  path: string,
  allowed: readonly string[],
  images: ("low" | "high" | "auto")[],
): string | WireError {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return wrongType(path, "a string or an array of content parts", content);
  if (content.length === 0) return emptyArray(path);
  let text = "";
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    const at = `${path}[${i}]`;
    if (!isObject(part)) return wrongType(at, "an object", part);
    if (part.type === undefined) return missingParam(`${at}.type`);
    if (typeof part.type !== "string" || !allowed.includes(part.type)) {
      return invalidEnum(`${at}.type`, part.type, allowed);
    }
    if (part.type === "text" || part.type === "refusal") {
      const key = part.type;
      if (typeof part[key] !== "string") return wrongType(`${at}.${key}`, "a string", part[key]);
      text += part[key];
    } else if (part.type === "image_url") {
      const image = part.image_url;
      if (!isObject(image))
        return image === undefined
          ? missingParam(`${at}.image_url`)
          : wrongType(`${at}.image_url`, "an object", image);
      if (typeof image.url !== "string") return missingParam(`${at}.image_url.url`);
      const detail = image.detail ?? "auto";
      if (typeof detail !== "string" || !(DETAILS as readonly string[]).includes(detail)) {
        return invalidEnum(`${at}.image_url.detail`, detail, DETAILS);
      }
      images.push(detail as "low" | "high" | "auto");
    }
  }
  return text;
}

function readContent(m: Json, role: string, path: string): Content | WireError {
  const images: ("low" | "high" | "auto")[] = [];
  const content = m.content;
  if (content === undefined || content === null) {
    // Assistant content may be omitted or null (a tool-call turn), and the legacy function
    // message's is nullable; every other role requires it.
    if (role === "assistant" || (role === "function" && content === null)) return { text: "", images };
    return missingParam(`${path}.content`);
  }
  const allowed = role === "user" ? USER_PARTS : role === "assistant" ? ASSISTANT_PARTS : TEXT_ONLY;
  const text = partsOf(content, `${path}.content`, allowed, images);
  return typeof text === "string" ? { text, images } : text;
}

/** The ids of an assistant message's `tool_calls`, checked for shape. */
function readToolCalls(m: Json, path: string): string[] | WireError {
  const calls = m.tool_calls;
  if (calls === undefined || calls === null) return [];
  if (!Array.isArray(calls)) return wrongType(`${path}.tool_calls`, "an array", calls);
  const ids: string[] = [];
  for (let i = 0; i < calls.length; i++) {
    const c: unknown = calls[i];
    const at = `${path}.tool_calls[${i}]`;
    if (!isObject(c)) return wrongType(at, "an object", c);
    if (typeof c.id !== "string")
      return c.id === undefined ? missingParam(`${at}.id`) : wrongType(`${at}.id`, "a string", c.id);
    if (c.type !== "function" && c.type !== "custom")
      return invalidEnum(`${at}.type`, c.type, ["function", "custom"]);
    if (c.type === "function") {
      const f = c.function;
      if (!isObject(f)) return missingParam(`${at}.function`);
      if (typeof f.name !== "string") return missingParam(`${at}.function.name`);
      if (typeof f.arguments !== "string") return missingParam(`${at}.function.arguments`);
    }
    ids.push(c.id);
  }
  return ids;
}

function unanswered(index: number, ids: Iterable<string>): WireError {
  return apiError(
    400,
    `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...ids].join(", ")}`,
    "invalid_request_error",
    `messages.[${index}].role`,
  );
}

/** Validates `messages`; returns what the sim needs of them or the 400 to send. */
export function parseMessages(raw: unknown): ParsedMessages | WireError {
  if (raw === undefined) return missingParam("messages");
  if (!Array.isArray(raw)) return wrongType("messages", "an array", raw);
  if (raw.length === 0) return emptyArray("messages");
  const messages: PromptMessage[] = new Array(raw.length);
  const images: ("low" | "high" | "auto")[] = [];
  let lastUserText = "";
  let allText = "";
  // The assistant message whose tool calls are being answered, and the ids still open.
  let pendingFrom = -1;
  let pending = new Set<string>();
  let answered = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const m: unknown = raw[i];
    const path = `messages[${i}]`;
    if (!isObject(m)) return wrongType(path, "an object", m);
    const role = m.role;
    if (role === undefined) return missingParam(`${path}.role`);
    if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
      return invalidEnum(`${path}.role`, role, ROLES);
    }
    const content = readContent(m, role, path);
    if ("status" in content) return content;
    const name = m.name;
    if (name !== undefined && typeof name !== "string") return wrongType(`${path}.name`, "a string", name);

    if (role === "tool") {
      const id = m.tool_call_id;
      if (id === undefined) return missingParam(`${path}.tool_call_id`);
      if (typeof id !== "string") return wrongType(`${path}.tool_call_id`, "a string", id);
      if (pendingFrom === -1 || !(pending.has(id) || answered.has(id))) {
        return apiError(
          400,
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          "invalid_request_error",
          `messages.[${i}].role`,
        );
      }
      pending.delete(id);
      answered.add(id);
    } else {
      if (pending.size > 0) return unanswered(pendingFrom, pending);
      pendingFrom = -1;
      if (role === "assistant") {
        const ids = readToolCalls(m, path);
        if (!Array.isArray(ids)) return ids;
        if (ids.length > 0) {
          pendingFrom = i;
          pending = new Set(ids);
          answered = new Set();
        }
      }
    }
    if (role === "user") lastUserText = content.text;
    allText += content.text;
    images.push(...content.images);
    messages[i] = name === undefined ? { role, text: content.text } : { role, text: content.text, name };
  }
  if (pending.size > 0) return unanswered(pendingFrom, pending);
  const lastRole = messages.at(-1)?.role;
  return {
    messages,
    images,
    afterToolResult: lastRole === "tool" || lastRole === "function",
    lastUserText,
    allText,
  };
}
