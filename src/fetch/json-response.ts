import { BufferedResponse } from "./buffered-response.js";

/**
 * A `Response` that carries a JSON value and materialises bytes only when asked for them
 * (see {@link BufferedResponse}): a client of `router.fetch` (the SDK, the AI SDK, LangChain) would
 * otherwise pay a web stream and a TextDecoder for an answer the router already holds as an object.
 */
export class JsonResponse extends BufferedResponse {
  readonly #value: unknown;

  constructor(value: unknown, init: ResponseInit) {
    super(init);
    this.#value = value;
  }

  // The SDK adds a non-enumerable `_request_id` to what `json()` returns: a shallow copy keeps that
  // off the router's own answer (which `completions$` subscribers share).
  protected readJson(): unknown {
    const value = this.#value;
    return isPlainObject(value) ? { ...value } : value;
  }

  protected readText(): string {
    return JSON.stringify(this.#value);
  }

  protected copy(): Response {
    return new JsonResponse(this.#value, {
      status: this.status,
      statusText: this.statusText,
      headers: new Headers(this.headers),
    });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
