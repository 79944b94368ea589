import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources/embeddings";
import { describe, usageOf } from "./chat-answer.js";
import { checkJson, isPositiveInteger, isRecord, isString, optional, Problems } from "./shape.js";
import type { Surface } from "./surface.js";

/**
 * The embeddings surface as the router sees it: what a valid body looks like, how many vectors it
 * asks for, and what a valid answer looks like. Pure functions; no HTTP.
 */

const INPUT_SHAPE =
  "must be a string, an array of strings, an array of token ids, or an array of token-id arrays";

/**
 * Every problem of an embeddings `create` body, each `path: what is wrong`; empty when the shape is
 * right. `input` is a string, or a non-empty array of strings, of token ids (non-negative integers) or
 * of non-empty token-id arrays, all of one kind. May throw if reading the body throws (a getter).
 * @example
 * validateEmbeddingsBody({ model: "text-embedding-3-small", input: ["a", 1] });
 * // ["input.1: must be a string, like the items before it"]
 */
export function validateEmbeddingsBody(body: unknown): readonly string[] {
  if (!isRecord(body)) return ["body: must be an object"];
  const out = new Problems();
  let model = false;
  let input = false;
  for (const key of Object.keys(body)) {
    const value = body[key];
    switch (key) {
      case "model":
        model = true;
        if (typeof value !== "string" || value.length === 0) out.add("model", "must be a non-empty string");
        break;
      case "input":
        input = true;
        checkInput(out, value);
        break;
      case "dimensions":
        optional(out, key, value, isPositiveInteger, "a positive integer");
        break;
      case "encoding_format":
        if (value !== undefined && value !== "float" && value !== "base64")
          out.add(key, 'must be "float" or "base64"');
        break;
      case "user":
        optional(out, key, value, isString, "a string");
        break;
      default:
        checkJson(out, key, value);
    }
  }
  if (!model) out.add("model", "is required (a non-empty string)");
  if (!input) out.add("input", "is required");
  return out.result();
}

const isTokenId = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function checkInput(out: Problems, input: unknown): void {
  if (typeof input === "string") return;
  if (!Array.isArray(input)) {
    out.add("input", INPUT_SHAPE);
    return;
  }
  if (input.length === 0) {
    out.add("input", "must not be empty");
    return;
  }
  const first = input[0];
  if (typeof first === "string") {
    for (let i = 1; i < input.length; i++)
      if (typeof input[i] !== "string") out.add(`input.${i}`, "must be a string, like the items before it");
  } else if (typeof first === "number") {
    for (let i = 0; i < input.length; i++)
      if (!isTokenId(input[i])) out.add(`input.${i}`, "must be a token id (an integer ≥ 0)");
  } else if (Array.isArray(first)) {
    for (let i = 0; i < input.length; i++) {
      const ids = input[i];
      if (!Array.isArray(ids) || ids.length === 0) {
        out.add(`input.${i}`, "must be a non-empty array of token ids, like the items before it");
        continue;
      }
      for (let j = 0; j < ids.length; j++)
        if (!isTokenId(ids[j])) {
          out.add(`input.${i}.${j}`, "must be a token id (an integer ≥ 0)");
          break;
        }
    }
  } else out.add("input", INPUT_SHAPE);
}

/** How many vectors an embeddings body asks for (one per string or token-id array; one for a token array). */
export function embeddingsInputCount(input: unknown): number {
  if (!Array.isArray(input)) return 1;
  return typeof input[0] === "number" ? 1 : input.length;
}

/**
 * What is wrong with an embeddings answer, if anything: an object with a `data` array of exactly one
 * entry per input, each with an `embedding` (numbers, or a base64 string when that was asked for).
 */
export function embeddingsResponseProblem(data: unknown, expected: number): string | undefined {
  if (!isRecord(data)) return data === undefined ? "an empty body" : `not a JSON object (${describe(data)})`;
  const list = (data as Partial<CreateEmbeddingResponse>).data as unknown;
  if (!Array.isArray(list)) return "no `data` array";
  if (list.length !== expected) return `${list.length} vector(s) for ${expected} input(s)`;
  for (const item of list) {
    if (!isRecord(item)) return "an entry of `data` that is not an object";
    const embedding = item.embedding;
    if (!Array.isArray(embedding) && typeof embedding !== "string") return "an entry without an `embedding`";
  }
  return undefined;
}

/** The embeddings surface: no streams; the answer must hold one vector per input. */
export const embeddingsSurface: Surface = {
  validate: validateEmbeddingsBody,
  estimate: (body, estimator) => estimator.estimateEmbeddingTokens(body as EmbeddingCreateParams),
  call: (body, _target, common) => ({ kind: "embeddings", body: body as EmbeddingCreateParams, common }),
  answerProblem: (result, body) =>
    result.kind === "embeddings"
      ? embeddingsResponseProblem(result.data, embeddingsInputCount((body as EmbeddingCreateParams).input))
      : undefined,
  usage: (result) => (result.kind === "embeddings" ? usageOf(result.data?.usage) : undefined),
};
