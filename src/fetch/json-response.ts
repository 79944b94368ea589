/**
 * A `Response` that carries a JSON value and materialises bytes only when asked for them.
 *
 * Why: on Node 20 `new Response(text)` builds a web ReadableStream (~20 µs) and `response.json()` reads
 * it back through the stream machinery and a TextDecoder (~15–30 µs more); a client of `router.fetch`
 * (the SDK, the AI SDK, LangChain) pays both for an answer the router already holds as an object.
 * `json()` and `text()` answer from the value; `body`, `arrayBuffer()`, `blob()`, `bytes()` and
 * `formData()` use a real Response built from the same JSON text on first use, so every reader sees
 * the same bytes a plain Response would hold, and reading twice fails as it does there.
 */
export class JsonResponse extends Response {
  readonly #value: unknown;
  #real: Response | undefined;
  #used = false;

  constructor(value: unknown, init: ResponseInit) {
    super(null, init);
    this.#value = value;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#materialised().body;
  }

  override get bodyUsed(): boolean {
    return this.#real === undefined ? this.#used : this.#real.bodyUsed;
  }

  // The SDK adds a non-enumerable `_request_id` to what `json()` returns: a shallow copy keeps that
  // off the router's own answer (which `completions$` subscribers share).
  override json(): Promise<never> {
    if (this.#real !== undefined) return this.#real.json() as Promise<never>;
    return this.#consume(() => {
      const value = this.#value;
      return (isPlainObject(value) ? { ...value } : value) as never;
    });
  }

  override text(): Promise<string> {
    if (this.#real !== undefined) return this.#real.text();
    return this.#consume(() => JSON.stringify(this.#value));
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#materialised().arrayBuffer();
  }

  override blob(): Promise<Blob> {
    return this.#materialised().blob();
  }

  override formData(): Promise<FormData> {
    return this.#materialised().formData();
  }

  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#materialised().bytes();
  }

  override clone(): Response {
    if (this.bodyUsed) throw new TypeError("Response.clone: Body has already been consumed.");
    if (this.#real !== undefined) return this.#real.clone();
    return new JsonResponse(this.#value, {
      status: this.status,
      statusText: this.statusText,
      headers: new Headers(this.headers),
    });
  }

  #consume<T>(read: () => T): Promise<T> {
    if (this.#used) return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
    this.#used = true;
    try {
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #materialised(): Response {
    if (this.#real === undefined) {
      // A body already read as JSON or text stays read: the real Response is built consumed.
      const real = new Response(this.#used ? "" : JSON.stringify(this.#value), {
        status: this.status,
        statusText: this.statusText,
        headers: this.headers,
      });
      if (this.#used) void real.arrayBuffer();
      this.#real = real;
    }
    return this.#real;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
