import { invalidParam, missingParam, type WireError } from "./errors.js";
import { checkKnownFields, isObject, readNumber, wrongType } from "./validation/checks.js";

export { type ChatRequest, parseChatBody } from "./validation/chat-request.js";

// Hand-written checks instead of zod: this runs on every request and must stay cheap. The chat
// body's checks live in validation/; the embeddings body is small enough to stay here.

/** One embeddings input: text, or tokens already encoded. */
export type EmbeddingInput = string | readonly number[];

export interface EmbeddingsRequest {
  readonly model: string | undefined;
  readonly inputs: readonly EmbeddingInput[];
  readonly dimensions: number | undefined;
  readonly encodingFormat: "float" | "base64";
}

const MAX_EMBEDDING_INPUTS = 2048;

/** openai/openai-openapi `CreateEmbeddingRequest` (additionalProperties: false). */
const EMBEDDING_FIELDS: ReadonlySet<string> = new Set([
  "input",
  "model",
  "encoding_format",
  "dimensions",
  "user",
]);
/** Azure's 2024-10-21 `embeddings` request adds `input_type`. */
const AZURE_EMBEDDING_FIELDS: ReadonlySet<string> = new Set([...EMBEDDING_FIELDS, "input_type"]);

/** `body` must be a JSON object; `requireModel` is false on Azure's deployments path (the URL names it). */
function readModel(body: Record<string, unknown>, requireModel: boolean): string | undefined | WireError {
  const model = body.model;
  if (model === undefined) return requireModel ? missingParam("model") : undefined;
  if (typeof model !== "string") return wrongType("model", "a string", model);
  return model;
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
export function parseEmbeddingsBody(
  body: unknown,
  requireModel: boolean,
  azure = false,
): EmbeddingsRequest | WireError {
  if (!isObject(body)) return wrongType("body", "an object", body);
  const unknown = checkKnownFields(body, azure ? AZURE_EMBEDDING_FIELDS : EMBEDDING_FIELDS);
  if (unknown !== undefined) return unknown;
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

  const dimensions = readNumber(body, "dimensions", 1, Number.MAX_SAFE_INTEGER, true);
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
