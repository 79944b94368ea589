/** What `router.fetch` understood of a request. */
export type FetchRoute =
  | { readonly op: "chat" | "embeddings" | "responses" }
  | {
      readonly op: "responses.retrieve" | "responses.delete" | "responses.cancel" | "responses.input_items";
      readonly id: string;
    }
  | { readonly op: "models" }
  | { readonly op: "model"; readonly id: string }
  | { readonly op: "unknown" };

const SUFFIXES: readonly [string, "chat" | "embeddings" | "responses"][] = [
  ["/chat/completions", "chat"],
  ["/embeddings", "embeddings"],
  ["/responses", "responses"],
];

/** `…/responses/{id}`, `…/responses/{id}/cancel`, `…/responses/{id}/input_items`. */
const STORED = /\/responses\/([^/]+)(?:\/(cancel|input_items))?$/;

/**
 * Routes by the path's tail, whatever the base URL: clients are pointed at any base
 * (`https://api.openai.com/v1`, `http://router.invalid/v1`, a gateway's own prefix).
 */
export function routeOf(method: string, pathname: string): FetchRoute {
  const path = pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
  const stored = STORED.exec(path);
  if (stored) {
    const id = decodeURIComponent(stored[1] ?? "");
    const verb = stored[2];
    if (verb === "cancel" && method === "POST") return { op: "responses.cancel", id };
    if (verb === "input_items" && method === "GET") return { op: "responses.input_items", id };
    if (verb === undefined && method === "GET") return { op: "responses.retrieve", id };
    if (verb === undefined && method === "DELETE") return { op: "responses.delete", id };
    return { op: "unknown" };
  }
  if (method === "POST") {
    for (const [suffix, op] of SUFFIXES) if (path.endsWith(suffix)) return { op };
    return { op: "unknown" };
  }
  if (method === "GET") {
    if (path.endsWith("/models")) return { op: "models" };
    const at = path.lastIndexOf("/models/");
    if (at >= 0) return { op: "model", id: decodeURIComponent(path.slice(at + "/models/".length)) };
  }
  return { op: "unknown" };
}

/** The parts of `fetch(input, init)` the router reads, for a string, a URL or a `Request`. */
export interface FetchInput {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers | undefined;
  readonly signal: AbortSignal | undefined;
  readonly text: () => Promise<string>;
}

export function readInput(input: string | URL | Request, init: RequestInit | undefined): FetchInput {
  const request = typeof input === "object" && "url" in input && !(input instanceof URL) ? input : undefined;
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
  const rawHeaders = init?.headers ?? request?.headers;
  // The SDK already hands a Headers object: copying it would cost more than reading three names.
  const headers =
    rawHeaders === undefined
      ? undefined
      : rawHeaders instanceof Headers
        ? rawHeaders
        : new Headers(rawHeaders);
  const signal = init?.signal ?? request?.signal ?? undefined;
  const body = init?.body;
  const text = async (): Promise<string> => {
    if (typeof body === "string") return body;
    if (body !== undefined && body !== null) return new Response(body).text();
    return request ? request.text() : "";
  };
  return { url, method, headers, signal, text };
}

/** The pathname of an absolute or relative URL, without parsing it twice on the common absolute form. */
export function pathnameOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = scheme >= 0 ? url.indexOf("/", scheme + 3) : 0;
  if (start < 0) return "/";
  const end = url.search(/[?#]/);
  return url.slice(start, end >= 0 ? end : undefined);
}
