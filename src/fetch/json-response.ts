import { BufferedResponse } from "./buffered-response.js";

/**
 * A `Response` that carries a JSON value and materialises bytes only when asked for them
 * (see {@link BufferedResponse}): a client of `router.fetch` (the SDK, the AI SDK, LangChain) would
 * otherwise pay a web stream and a TextDecoder for an answer the router already holds as an object.
 */
export class JsonResponse extends BufferedResponse<unknown> {
  // The SDK adds a non-enumerable `_request_id` to what `json()` returns: a shallow copy keeps that
  // off the router's own answer (which `completions$` subscribers share).
  protected readJson(): unknown {
    const value = this.held;
    return isPlainObject(value) ? { ...value } : value;
  }

  protected readText(): string {
    return JSON.stringify(this.held);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
