import { ResponseEventStream } from "./dispatch/response-stream.js";
import { RoutedStream } from "./dispatch/routed-stream.js";
import { sseBody } from "./fetch/sse.js";
import type { Redact } from "./resilience/redact.js";

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
  /**
   * True for the promises the router returns. They are native promises carrying the two helpers, not
   * instances of this class: `await` on a Promise subclass costs an extra job and a promise (the
   * engine sees a foreign constructor and resolves through `then`), measured at ~0.2 µs per call on
   * Node 20, on every request of the SDK-shaped API. `then`, `catch` and `finally` return plain
   * promises, as they would with `Symbol.species` set to `Promise`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Promise && Object.hasOwn(value, HEADERS);
  }

  /** @internal the router's side: `start` hands it the two ways to settle the call. */
  static start<T>(run: (handle: RouterPromiseHandle<T>) => void, redact?: Redact): RouterPromise<T> {
    // One promise per call, not one per helper: it is on every request's path.
    let resolve: ((data: T) => void) | undefined;
    let reject: ((error: unknown) => void) | undefined;
    const promise = new Promise<T>((yes, no) => {
      resolve = yes;
      reject = no;
    }) as Carrier<T>;
    // Always the same four properties in the same order: every returned promise shares one shape.
    promise[HEADERS] = undefined;
    promise[REDACT] = redact;
    promise.withResponse = withResponse;
    promise.asResponse = asResponse;
    const settled = resolve as (data: T) => void;
    run({
      resolve: (data, headers) => {
        promise[HEADERS] = headers;
        settled(data);
      },
      reject: reject as (error: unknown) => void,
    });
    return promise as unknown as RouterPromise<T>;
  }

  /**
   * The data, the `Response` of the attempt that answered (status and headers; the body is the
   * data again, rebuilt) and its request id (`x-request-id`, else Azure's `apim-request-id`).
   * @throws the call's own error (a `RouterError`), as awaiting the promise would.
   */
  withResponse(): Promise<{ data: T; response: Response; request_id: string | null }> {
    return withResponse.call(this as unknown as Carrier<T>) as Promise<{
      data: T;
      response: Response;
      request_id: string | null;
    }>;
  }

  /**
   * The `Response` of the attempt that answered, with the body as the caller would have read it: the
   * JSON for a plain call; for a stream, its chunks as server-sent events (reading the body reads the
   * stream, so `Stream.fromSSEResponse` of the SDK can parse it again).
   * @throws the call's own error (a `RouterError`), as awaiting the promise would.
   */
  asResponse(): Promise<Response> {
    return asResponse.call(this as unknown as Carrier<unknown>);
  }
}

/** Where a returned promise keeps the answering attempt's headers (set just before it resolves). */
const HEADERS = Symbol("openai-router.headers");
/** What takes the router's secrets out of those headers (an upstream may echo a key in one). */
const REDACT = Symbol("openai-router.redact");

/** A returned promise: a native promise with the helpers and the headers slot. */
type Carrier<T> = Promise<T> & {
  [HEADERS]: Headers | undefined;
  [REDACT]: Redact | undefined;
  withResponse: typeof withResponse;
  asResponse: typeof asResponse;
};

// Shared by every returned promise (no closures per call); `this` is the promise.
async function withResponse<T>(
  this: Carrier<T>,
): Promise<{ data: T; response: Response; request_id: string | null }> {
  handled(this);
  const data = await this;
  const response = toResponse(data, this[HEADERS], this[REDACT]);
  return {
    data,
    response,
    request_id: response.headers.get("x-request-id") ?? response.headers.get("apim-request-id"),
  };
}

async function asResponse<T>(this: Carrier<T>): Promise<Response> {
  handled(this);
  return toResponse(await this, this[HEADERS], this[REDACT]);
}

/** A caller who reads the error through a helper has handled it: no unhandled rejection of this one. */
function handled(promise: Promise<unknown>): void {
  promise.then(undefined, () => undefined);
}

/** Redacted only when a helper is called, never on the request's path. */
function toResponse(data: unknown, upstream: Headers | undefined, redact: Redact | undefined): Response {
  const headers = new Headers(upstream);
  for (const name of BODY_HEADERS) headers.delete(name);
  if (redact) {
    const dirty: [string, string][] = [];
    headers.forEach((value, name) => {
      const clean = redact(value);
      if (clean !== value) dirty.push([name, clean]);
    });
    for (const [name, clean] of dirty) headers.set(name, clean);
  }
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
