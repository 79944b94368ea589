import type { EmbeddingInput } from "./body.js";
import { hashString, mulberry32 } from "./prng.js";

/** Native width of a model's vectors: 3072 for `*-3-large`, 1536 otherwise. */
export function nativeDimensions(model: string): number {
  return model.includes("embedding-3-large") ? 3072 : 1536;
}

/** Only the v3 models accept `dimensions` (as on openai.com). */
export function supportsDimensions(model: string): boolean {
  return model.includes("embedding-3");
}

/** Whether a model name denotes an embedding model (which cannot chat, and vice versa). */
export function isEmbeddingModel(model: string): boolean {
  return model.includes("embedding");
}

function inputKey(input: EmbeddingInput): string {
  return typeof input === "string" ? `s:${input}` : `t:${input.join(",")}`;
}

/**
 * A unit vector determined by (seed, model, input). Shortening works like the v3 models: the first
 * `dims` components of the same sequence, renormalised, so a shortened vector points the same way
 * as the prefix of the full one.
 */
export function embeddingVector(
  seed: number,
  model: string,
  input: EmbeddingInput,
  dims: number,
): Float32Array {
  const rng = mulberry32(hashString(inputKey(input), seed ^ hashString(model)));
  const out = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    // The sum of two uniforms is triangular around 0: closer to real embeddings than a flat spread.
    const v = rng() + rng() - 1;
    out[i] = v;
    norm += v * v;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) out[i] = (out[i] ?? 0) * scale;
  return out;
}

/** Little-endian float32 bytes in base64, the format the SDK requests by default and decodes. */
export function toBase64(vector: Float32Array): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] ?? 0, i * 4);
  return bytes.toString("base64");
}

export interface EmbeddingsPlan {
  readonly seed: number;
  readonly model: string;
  readonly inputs: readonly EmbeddingInput[];
  readonly dims: number;
  readonly encodingFormat: "float" | "base64";
  readonly promptTokens: number;
}

/** The `list` response JSON text. */
export function renderEmbeddings(plan: EmbeddingsPlan): string {
  const data = plan.inputs.map((input, index) => {
    const vector = embeddingVector(plan.seed, plan.model, input, plan.dims);
    return {
      object: "embedding",
      index,
      embedding: plan.encodingFormat === "base64" ? toBase64(vector) : Array.from(vector),
    };
  });
  return JSON.stringify({
    object: "list",
    data,
    model: plan.model,
    usage: { prompt_tokens: plan.promptTokens, total_tokens: plan.promptTokens },
  });
}
