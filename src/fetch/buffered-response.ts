/**
 * A `Response` whose body is already in memory, that materialises bytes only when asked for them.
 *
 * Why: on Node 20 `new Response(text)` builds a web ReadableStream (~20 µs) and `response.json()` reads
 * it back through the stream machinery and a TextDecoder (~15–30 µs more), for a body that is already
 * a string or an object. `json()` and `text()` answer from what is held; `body`, `arrayBuffer()`,
 * `blob()`, `bytes()`, `formData()` and `clone()` use a real Response built from the same text on
 * first use, so every reader sees the bytes a plain Response would hold, and reading twice fails as
 * it does there.
 */
export abstract class BufferedResponse<T> extends Response {
  /** The body as the subclass holds it (a string, a parsed value). */
  protected readonly held: T;
  #real: Response | undefined;
  #used = false;

  // Every subclass takes (held, init), which is what clone() relies on.
  constructor(held: T, init: ResponseInit) {
    super(null, init);
    this.held = held;
  }

  /** What `json()` resolves to (called once, when the body is read). */
  protected abstract readJson(): unknown;
  /** The body as text. */
  protected abstract readText(): string;

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#materialised().body;
  }

  override get bodyUsed(): boolean {
    return this.#real === undefined ? this.#used : this.#real.bodyUsed;
  }

  override json(): Promise<never> {
    if (this.#real !== undefined) return this.#real.json() as Promise<never>;
    return this.#consume(() => this.readJson() as never);
  }

  override text(): Promise<string> {
    if (this.#real !== undefined) return this.#real.text();
    return this.#consume(() => this.readText());
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
    const Same = this.constructor as new (held: T, init: ResponseInit) => Response;
    return new Same(this.held, {
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
      const real = new Response(this.#used ? "" : this.readText(), {
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

/**
 * A `Response` over a body read whole as text (the router's HTTP pool reads JSON answers this way).
 * @example
 * const response = new TextResponse('{"ok":true}', { status: 200, headers });
 * await response.json(); // { ok: true }
 */
export class TextResponse extends BufferedResponse<string> {
  protected readJson(): unknown {
    return JSON.parse(this.held);
  }

  protected readText(): string {
    return this.held;
  }
}
