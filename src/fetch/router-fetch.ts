import type { JobOp } from "../dispatch/job.js";
import type { RoutedStream } from "../dispatch/routed-stream.js";
import { RequestInvalidError } from "../errors.js";
import type { StoredTarget } from "../operations/stored.js";
import type { Completion, RouterCallOptions } from "../types.js";
import { errorReply } from "./error-response.js";
import { JsonResponse } from "./json-response.js";
import { pathnameOf, readInput, routeOf } from "./request.js";
import { sseBody } from "./sse.js";

/** A WHATWG `fetch`: what `new OpenAI({ fetch })`, the AI SDK and LangChain accept. */
export type RouterFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What `router.fetch` needs of the router: its intake, the models it serves, its redaction. */
export interface FetchTarget {
  submit(
    kind: "chat" | "embeddings" | "stream",
    body: unknown,
    options: RouterCallOptions,
    deliver: (completion: Completion, headers: Headers | undefined) => void,
    started:
      | ((stream: RoutedStream<never>, endpoint: string, headers: Headers | undefined) => void)
      | undefined,
    op: JobOp,
    target: StoredTarget | undefined,
  ): void;
  readonly models: readonly string[];
  readonly redact: (text: string) => string;
}

/** Upstream headers worth passing on: the request id to quote to support, and the quota left. */
const FORWARDED = [
  "x-request-id",
  "apim-request-id",
  "openai-processing-ms",
  "x-ratelimit-limit-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-requests",
  "x-ratelimit-reset-tokens",
] as const;

const ENDPOINT_HEADER = "x-openai-router-endpoint";

/**
 * Builds `router.fetch`. Requests in openai.com's shape are routed by their path's tail (any base URL
 * works); the body is validated by the router as any other request; the answer is a real `Response`.
 * The client's API key is ignored: the router holds the endpoints' keys and never sends one back.
 */
export function createRouterFetch(target: FetchTarget): RouterFetch {
  const redact = target.redact;
  const reject = (error: unknown, headers?: Headers): Response => {
    const reply = errorReply(error, redact);
    return json(reply.body, reply.status, { ...reply.headers, ...forwarded(headers, redact) });
  };

  return async (input, init) => {
    const request = readInput(input, init);
    const signal = request.signal;
    if (signal?.aborted) throw abortError(signal);
    const route = routeOf(request.method, pathnameOf(request.url));
    switch (route.op) {
      case "models":
        return json({ object: "list", data: target.models.map(modelObject) }, 200);
      case "model":
        return target.models.includes(route.id)
          ? json(modelObject(route.id), 200)
          : reject(new RequestInvalidError(`The model \`${route.id}\` is not served by this router.`));
      case "unknown":
        return json(
          {
            error: {
              message: `Invalid URL (${request.method} ${pathnameOf(request.url)})`,
              type: "invalid_request_error",
              param: null,
              code: "unknown_url",
            },
          },
          404,
        );
      default:
        break;
    }
    const op = route.op;
    const storedTarget = "id" in route ? { id: route.id, query: queryOf(request.url) } : undefined;
    let body: unknown = { model: "" };
    if (storedTarget === undefined) {
      try {
        body = JSON.parse(await request.text());
      } catch {
        // Not the parser's message: it quotes the body, which may hold a prompt.
        return reject(new RequestInvalidError("The request body is not valid JSON."));
      }
    }
    const options = callOptions(request.headers, signal);
    const streams =
      (op === "chat" || op === "responses") && (body as { stream?: unknown } | null)?.stream === true;
    const kind = streams ? "stream" : op === "embeddings" ? "embeddings" : "chat";
    return new Promise<Response>((resolve, rejectPromise) => {
      target.submit(
        kind,
        body,
        options,
        (completion, headers) => {
          if (completion.ok) {
            if (streams) return; // answered in `started`
            const extra = forwarded(headers, redact);
            extra[ENDPOINT_HEADER] = completion.endpoint;
            resolve(json(completion.response, 200, extra));
            return;
          }
          // The caller's own signal ends a fetch the way fetch does it: a rejected promise.
          if (completion.error.code === "ABORTED" && signal?.aborted) rejectPromise(abortError(signal));
          else resolve(reject(completion.error, headers));
        },
        streams
          ? (stream, endpoint, headers) => {
              const extra = forwarded(headers, redact);
              extra[ENDPOINT_HEADER] = endpoint;
              extra["content-type"] = "text/event-stream; charset=utf-8";
              extra["cache-control"] = "no-cache";
              resolve(
                new Response(
                  sseBody(
                    stream,
                    op === "chat" ? "chat" : "events",
                    (error) => errorReply(error, redact).body,
                  ),
                  { status: 200, headers: extra },
                ),
              );
            }
          : undefined,
        op,
        storedTarget,
      );
    });
  };
}

/** The query string of a stored-response call (`include[]`, paging), as the SDK sends it. */
function queryOf(url: string): Record<string, unknown> | undefined {
  const at = url.indexOf("?");
  if (at < 0) return undefined;
  const params = new URLSearchParams(url.slice(at + 1));
  const query: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    const name = key.endsWith("[]") ? key.slice(0, -2) : key;
    query[name] = key.endsWith("[]") || values.length > 1 ? values : values[0];
  }
  return query;
}

/** Per-request routing hints a client can send as headers (the gateway forwards them too). */
function callOptions(headers: Headers | undefined, signal: AbortSignal | undefined): RouterCallOptions {
  const id = headers?.get("x-request-id") ?? undefined;
  const priority = numberHeader(headers?.get("x-openai-router-priority"));
  const timeout = numberHeader(headers?.get("x-openai-router-timeout-ms"));
  return { id, priority, timeout, signal };
}

function numberHeader(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  return Number(value); // a NaN is the router's REQUEST_INVALID, with its own message
}

function forwarded(headers: Headers | undefined, redact: (text: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const name of FORWARDED) {
    const value = headers.get(name);
    if (value !== null) out[name] = redact(value);
  }
  return out;
}

function json(value: unknown, status: number, headers: Record<string, string> = {}): Response {
  headers["content-type"] = "application/json";
  return new JsonResponse(value, { status, headers });
}

function modelObject(id: string) {
  return { id, object: "model" as const, created: 0, owned_by: "openai-router" };
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
