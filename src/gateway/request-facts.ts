import type { RouterMetrics } from "../types.js";
import { GatewayError } from "./errors.js";

/** The models a router serves, from its snapshot. */
export function modelsOf(snapshot: RouterMetrics): string[] {
  const models = new Set<string>();
  for (const e of snapshot.endpoints) for (const m of e.models) models.add(m);
  return [...models];
}

/** Another client's response is answered as the service answers an unknown id: it does not exist here. */
export function responseNotFound(id: string): GatewayError {
  return new GatewayError("RESPONSE_NOT_FOUND", `Response with id '${id}' not found.`);
}

/** `GET …/models/{id}` → id. */
export function modelPath(path: string): string | undefined {
  const at = path.lastIndexOf("/models/");
  if (at < 0) return undefined;
  const id = path.slice(at + "/models/".length);
  return id.length > 0 ? decodeURIComponent(id) : undefined;
}

/**
 * A request's size for the fair queue (and a client's TPM when the tokenizer does not apply): body
 * bytes / 4 (≈ tokens) plus its output cap, or `defaultOutput` for a generation without one (chat,
 * Responses); embeddings generate nothing. Cheap: no tokenizer.
 */
export function approximateCost(body: unknown, length: number, defaultOutput: number, path: string): number {
  const b = body as {
    max_tokens?: unknown;
    max_completion_tokens?: unknown;
    max_output_tokens?: unknown;
  } | null;
  const cap = b?.max_completion_tokens ?? b?.max_tokens ?? b?.max_output_tokens;
  const generates = !path.endsWith("/embeddings");
  const output = typeof cap === "number" && cap > 0 ? cap : generates ? defaultOutput : 0;
  return Math.max(1, Math.ceil(length / 4) + output);
}
