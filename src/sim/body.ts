import { invalidParam, missingParam, type WireError } from "./errors.js";
import type { PromptMessage } from "./tokens.js";

// Hand-written checks instead of zod: this runs on every request and must stay cheap.

/** The parts of a chat request the simulator acts on. */
export interface ChatRequest {
  readonly model: string | undefined;
  readonly messages: readonly PromptMessage[];
  readonly n: number;
  /** `max_completion_tokens ?? max_tokens`. */
  readonly maxTokens: number | undefined;
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

/** One embeddings input: text, or tokens already encoded. */
export type EmbeddingInput = string | readonly number[];

export interface EmbeddingsRequest {
  readonly model: string | undefined;
  readonly inputs: readonly EmbeddingInput[];
  readonly dimensions: number | undefined;
  readonly encodingFormat: "float" | "base64";
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);
const MAX_N = 128;
const MAX_EMBEDDING_INPUTS = 2048;

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

/** `body` must be a JSON object; `requireModel` is false on Azure's deployments path (the URL names it). */
function readModel(body: Json, requireModel: boolean): string | undefined | WireError {
  const model = body.model;
  if (model === undefined) return requireModel ? missingParam("model") : undefined;
  if (typeof model !== "string") return wrongType("model", "a string", model);
  return model;
}

function readPositiveInt(
  body: Json,
  param: string,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined | WireError {
  const v = body[param];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) return wrongType(param, "an integer", v);
  if (v < 1 || v > max) {
    return invalidParam(param, `Invalid '${param}': integer ${v} is out of range [1, ${max}].`);
  }
  return v;
}

function messageText(content: unknown, path: string): string | WireError {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return wrongType(path, "a string or an array of content parts", content);
  // Only text parts count towards prompt tokens; images, audio and files are accepted and ignored.
  let text = "";
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    if (!isObject(part) || typeof part.type !== "string") {
      return invalidParam(
        `${path}[${i}]`,
        `Invalid content part at '${path}[${i}]': expected an object with 'type'.`,
      );
    }
    if (part.type === "text") {
      if (typeof part.text !== "string") return wrongType(`${path}[${i}].text`, "a string", part.text);
      text += part.text;
    }
  }
  return text;
}

/** Validates a parsed chat completions body; returns the request or the 400 to send. */
export function parseChatBody(body: unknown, requireModel: boolean): ChatRequest | WireError {
  if (!isObject(body)) return wrongType("body", "an object", body);
  const model = readModel(body, requireModel);
  if (typeof model === "object") return model;

  const raw = body.messages;
  if (raw === undefined) return missingParam("messages");
  if (!Array.isArray(raw)) return wrongType("messages", "an array", raw);
  if (raw.length === 0) {
    return invalidParam(
      "messages",
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "empty_array",
    );
  }
  const messages: PromptMessage[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const m: unknown = raw[i];
    const path = `messages[${i}]`;
    if (!isObject(m)) return wrongType(path, "an object", m);
    const role = m.role;
    if (role === undefined) return missingParam(`${path}.role`);
    if (typeof role !== "string" || !ROLES.has(role)) {
      return invalidParam(
        `${path}.role`,
        `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
      );
    }
    const text = messageText(m.content, `${path}.content`);
    if (typeof text !== "string") return text;
    const name = m.name;
    if (name !== undefined && typeof name !== "string") return wrongType(`${path}.name`, "a string", name);
    messages[i] = name === undefined ? { role, text } : { role, text, name };
  }

  const n = readPositiveInt(body, "n", MAX_N);
  if (typeof n === "object") return n;
  const maxCompletion = readPositiveInt(body, "max_completion_tokens");
  if (typeof maxCompletion === "object") return maxCompletion;
  const maxTokens = readPositiveInt(body, "max_tokens");
  if (typeof maxTokens === "object") return maxTokens;

  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== "boolean") {
    return wrongType("stream", "a boolean", stream);
  }
  const options = body.stream_options;
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (stream !== true) {
      return invalidParam(
        "stream_options",
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "invalid_value",
      );
    }
    if (!isObject(options)) return wrongType("stream_options", "an object", options);
    const usage = options.include_usage;
    if (usage !== undefined && typeof usage !== "boolean") {
      return wrongType("stream_options.include_usage", "a boolean", usage);
    }
    includeUsage = usage === true;
  }

  return {
    model,
    messages,
    n: n ?? 1,
    maxTokens: maxCompletion ?? maxTokens,
    stream: stream === true,
    includeUsage,
  };
}

function isTokenArray(v: unknown): v is number[] {
  if (!Array.isArray(v) || v.length === 0) return false;
  for (const t of v) if (typeof t !== "number" || !Number.isInteger(t) || t < 0) return false;
  return true;
}

function badInput(): WireError {
  return invalidParam(
    "input",
    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
  );
}

/** Validates a parsed embeddings body; returns the request or the 400 to send. */
export function parseEmbeddingsBody(body: unknown, requireModel: boolean): EmbeddingsRequest | WireError {
  if (!isObject(body)) return wrongType("body", "an object", body);
  const model = readModel(body, requireModel);
  if (typeof model === "object") return model;

  const input = body.input;
  if (input === undefined) return missingParam("input");
  let inputs: EmbeddingInput[];
  if (typeof input === "string") {
    if (input.length === 0) return badInput();
    inputs = [input];
  } else if (Array.isArray(input) && input.length > 0 && input.length <= MAX_EMBEDDING_INPUTS) {
    if (typeof input[0] === "string") {
      for (const s of input) if (typeof s !== "string" || s.length === 0) return badInput();
      inputs = input as string[];
    } else if (typeof input[0] === "number") {
      if (!isTokenArray(input)) return badInput();
      inputs = [input];
    } else {
      for (const t of input) if (!isTokenArray(t)) return badInput();
      inputs = input as number[][];
    }
  } else {
    return badInput();
  }

  const dimensions = readPositiveInt(body, "dimensions");
  if (typeof dimensions === "object") return dimensions;
  const format = body.encoding_format;
  if (format !== undefined && format !== null && format !== "float" && format !== "base64") {
    return invalidParam(
      "encoding_format",
      `Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`,
    );
  }
  return { model, inputs, dimensions, encodingFormat: format === "base64" ? "base64" : "float" };
}
