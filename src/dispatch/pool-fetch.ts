import { pipeline } from "node:stream";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import type { Dispatcher } from "undici";
import { TextResponse } from "../fetch/buffered-response.js";

/**
 * A WHATWG `fetch` over undici's dispatcher API (`dispatcher.request`) for the calls the router makes
 * through the SDK: a string (or bytes) body to an http(s) URL.
 *
 * Why: undici's `fetch` runs the whole Fetch standard per call (a Request object, header guards,
 * web streams for both bodies, a TextDecoder): 170–180 µs of a ~540 µs call to a local server
 * (docs/benchmarks.md, "transport"), more than the router's own work several times over. Through
 * `request` the same call costs the socket write and read and one `Headers` for the SDK.
 *
 * What a caller sees is a standard `Response`:
 * - A body that is not server-sent events is read whole before the promise resolves (the router's
 *   answers are a few kB of JSON; an error body is read by the SDK anyway), so `json()` and `text()`
 *   answer from the text, and the SDK's own timeout covers the body as well as the headers.
 * - `text/event-stream` is not buffered: the body streams as it arrives, and aborting the signal
 *   (the SDK's `controller.abort()`) cuts it.
 * - gzip, deflate and br bodies are decoded, as `fetch` does (and `accept-encoding` is sent as it
 *   sends it); redirects are not followed (the services do not redirect API calls; a 3xx reaches
 *   the SDK as the failed status it is).
 * Anything else (a `Request` as input, a `FormData`, `Blob` or stream body, as in a file upload) is
 * encoded by the platform's `Request` and sent as bytes, so every call the SDK can make still works.
 */
export function poolFetch(dispatcher: Dispatcher): typeof fetch {
  const send = async (
    url: URL,
    method: string | undefined,
    headers: HeadersInit | undefined,
    body: string | Uint8Array | null,
    signal: AbortSignal | undefined,
  ): Promise<Response> => {
    const answer = await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: (method ?? "GET").toUpperCase() as Dispatcher.HttpMethod,
      headers: requestHeaders(headers),
      body,
      ...(signal ? { signal } : {}),
    });
    return responseOf(answer, signal);
  };
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = init?.body;
    if (
      !(input instanceof Request) &&
      (body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array)
    ) {
      const url = typeof input === "string" ? new URL(input) : input;
      return send(url, init?.method, init?.headers, body ?? null, init?.signal ?? undefined);
    }
    // The platform's own Request encodes the rest (a multipart boundary, a Blob's type) exactly as
    // its fetch would; undici's npm `fetch` cannot be handed the global FormData (it is another
    // class to it and would be sent as the text "[object FormData]").
    const request = new Request(input, init);
    const bytes = request.body ? new Uint8Array(await request.arrayBuffer()) : null;
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    return send(new URL(request.url), request.method, request.headers, bytes, signal);
  }) as typeof fetch;
}

/** What `fetch` sends when the caller does not (and decodes in return). */
const ACCEPT_ENCODING = "gzip, deflate, br";

/** The request's headers as undici's flat `[name, value, …]` list, with fetch's `accept-encoding`. */
function requestHeaders(init: HeadersInit | undefined): string[] {
  const flat: string[] = [];
  let acceptEncoding = false;
  const add = (name: string, value: string) => {
    if (!acceptEncoding && name.toLowerCase() === "accept-encoding") acceptEncoding = true;
    flat.push(name, value);
  };
  if (init instanceof Headers)
    init.forEach((value, name) => {
      add(name, value);
    });
  else if (Array.isArray(init)) for (const [name, value] of init) add(name as string, value as string);
  else if (init) for (const name in init) add(name, (init as Record<string, string>)[name] as string);
  if (!acceptEncoding) flat.push("accept-encoding", ACCEPT_ENCODING);
  return flat;
}

/** Statuses whose `Response` must have a null body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

async function responseOf(
  answer: Dispatcher.ResponseData,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const headers = new Headers();
  const raw = answer.headers;
  for (const name in raw) {
    const value = raw[name];
    if (typeof value === "string") headers.append(name, value);
    else if (value) for (const v of value) headers.append(name, v);
  }
  const init: ResponseInit = { status: answer.statusCode, headers };
  if (answer.statusText) init.statusText = answer.statusText;
  if (NULL_BODY.has(answer.statusCode)) {
    answer.body.resume();
    return new Response(null, init);
  }
  const encoding = headers.get("content-encoding")?.trim().toLowerCase();
  const decoder = encoding ? decoderFor(encoding) : undefined;
  if (headers.get("content-type")?.includes("text/event-stream")) {
    const source = decoder ? pipeline(answer.body, decoder(), () => {}) : answer.body;
    return new Response(source as unknown as ReadableStream, init);
  }
  const text = decoder
    ? await decodeWhole(Buffer.from(await answer.body.arrayBuffer()), encoding as string)
    : await answer.body.text();
  signal?.throwIfAborted();
  return new TextResponse(text, init);
}

type Decoder = () => NodeJS.ReadWriteStream;

function decoderFor(encoding: string): Decoder | undefined {
  if (encoding === "gzip" || encoding === "x-gzip") return () => zlib.createGunzip(GZIP_OPTIONS);
  if (encoding === "deflate") return () => zlib.createInflate();
  if (encoding === "br") return () => zlib.createBrotliDecompress();
  return undefined;
}

// As undici's fetch decodes: a body cut short still yields what arrived.
const GZIP_OPTIONS = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotli = promisify(zlib.brotliDecompress);

async function decodeWhole(bytes: Buffer, encoding: string): Promise<string> {
  const decoded =
    encoding === "br"
      ? await brotli(bytes)
      : encoding === "deflate"
        ? await inflate(bytes)
        : await gunzip(bytes, GZIP_OPTIONS);
  return decoded.toString("utf8");
}
