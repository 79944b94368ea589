import { ResponseEventStream } from "./dispatch/response-stream.js";
import { RoutedStream } from "./dispatch/routed-stream.js";
import { sseBody } from "./fetch/sse.js";

/** How a {@link RouterPromise} is settled by the router. */
export interface RouterPromiseHandle<T> {
  readonly resolve: (data: T, headers: Headers | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/** Headers that described the upstream body and would lie about the one rebuilt here. */
const BODY_HEADERS = ["content-length", "content-encoding", "transfer-encoding"];

/**
 * The promise the SDK-shaped API returns: it resolves to the SDK's own data, like the SDK's
 * `APIPromise`, and has its `withResponse()` and `asResponse()`. The router retried and failed over
 * behind it, so the `Response` is the one of the attempt that answered: its status (200) and its
 * headers (`x-request-id`, `x-ratelimit-*` …), with the body rebuilt from what the router read —
 * the JSON for a plain call, the chunks as server-sent events (`data: …` then `data: [DONE]`) for a
 * stream. The SDK's own `APIPromise` class it is not (that one is bound to one client).
 * @example
 * const { data, response, request_id } = await router.chat.completions.create(body).withResponse();
 * console.log(response.headers.get("x-ratelimit-remaining-requests"), request_id);
 */
export class RouterPromise<T> extends Promise<T> {
  /** `then`, `catch` and `finally` return plain promises (the helpers belong to the call's own promise). */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** The answering attempt's headers, set just before the promise resolves. */
  #headers: Headers | undefined;

  /** @internal the router's side: `start` hands it the two ways to settle the call. */
  static start<T>(run: (handle: RouterPromiseHandle<T>) => void): RouterPromise<T> {
    // One promise per call, not one per helper: it is on every request's path.
    let settle: { resolve: (data: T) => void; reject: (error: unknown) => void } | undefined;
    const promise = new RouterPromise<T>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const { resolve, reject } = settle as NonNullable<typeof settle>;
    run({
      resolve: (data, headers) => {
        promise.#headers = headers;
        resolve(data);
      },
      reject,
    });
    return promise;
  }

  /**
   * The data, the `Response` of the attempt that answered (status and headers; the body is the
   * data again, rebuilt) and its request id (`x-request-id`, else Azure's `apim-request-id`).
   * @throws the call's own error (a `RouterError`), as awaiting the promise would.
   */
  async withResponse(): Promise<{ data: T; response: Response; request_id: string | null }> {
    this.handled();
    const data = await this;
    const response = toResponse(data, this.#headers);
    return {
      data,
      response,
      request_id: response.headers.get("x-request-id") ?? response.headers.get("apim-request-id"),
    };
  }

  /**
   * The `Response` of the attempt that answered, with the body as the caller would have read it: the
   * JSON for a plain call; for a stream, its chunks as server-sent events (reading the body reads the
   * stream, so `Stream.fromSSEResponse` of the SDK can parse it again).
   * @throws the call's own error (a `RouterError`), as awaiting the promise would.
   */
  async asResponse(): Promise<Response> {
    this.handled();
    return toResponse(await this, this.#headers);
  }

  /** A caller who reads the error through a helper has handled it: no unhandled rejection of this one. */
  private handled(): void {
    this.then(undefined, () => undefined);
  }
}

function toResponse(data: unknown, upstream: Headers | undefined): Response {
  const headers = new Headers(upstream);
  for (const name of BODY_HEADERS) headers.delete(name);
  if (isRoutedStream(data)) {
    headers.set("content-type", "text/event-stream");
    // As the wire carried it: chat chunks then `[DONE]`, or typed Responses events.
    const format = data instanceof ResponseEventStream ? "events" : "chat";
    return new Response(sseBody(data, format), { status: 200, headers });
  }
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(data), { status: 200, headers });
}

function isRoutedStream(value: unknown): value is RoutedStream<unknown> {
  return value instanceof RoutedStream;
}
