import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { OpenAIEndpointConfig } from "../../src/index.js";

/**
 * A real HTTP upstream on 127.0.0.1 (port 0) that misbehaves the way proxies, overloaded services and
 * half-broken deployments do, one mode per class of misbehaviour. It serves any number of openai-type
 * endpoints by path prefix (`/{name}/v1/chat/completions`, `/{name}/v1/embeddings`), each with its own
 * mode, so one server can host a hostile endpoint next to a healthy one. Drive it with the real router
 * and the official SDK (`endpoint(name)` gives the router config); `calls(name)` counts what arrived.
 */

/** Every way the fixture can answer. `ok` is a well-behaved endpoint. */
export const HOSTILE_MODES = [
  "ok",
  /** 200 `text/html`: a proxy's error page. */
  "html",
  /** 200 `application/json` whose body is not JSON. */
  "non-json",
  /** 200 `text/plain`. */
  "text",
  /** 200 JSON, but not the operation's shape (an embeddings `data` that is not a list, a chat without `choices`). */
  "wrong-shape",
  /** Embeddings: a well-formed list with one vector fewer than the inputs (chat calls get `ok`). */
  "short-list",
  /** 200 JSON carrying an `{ error }` object instead of a result. */
  "error-200",
  /** 200 `application/json` with an empty body (`content-length: 0`). */
  "empty",
  /** 200 with no content type and no body at all. */
  "empty-untyped",
  /** Streams: an SSE `error` event before any content (plain calls get `error-200`). */
  "sse-error",
  /** Streams: garbage instead of SSE JSON before any content (plain calls get `non-json`). */
  "sse-garbage",
  /** Streams: SSE chunks of the wrong shape (no `choices`) before any content (plain calls get `wrong-shape`). */
  "sse-wrong-shape",
  /** Streams: headers, then the body ends with no event at all (plain calls get `empty`). */
  "sse-empty",
  /** Streams: content, then the body ends cleanly without a finish_reason and without `[DONE]`. */
  "sse-no-done",
  /** Streams: content, then garbage. */
  "sse-garbage-after",
  /** Streams: content, then an SSE error event. */
  "sse-error-after",
  /** 429 with `retry-after: 0` and `retry-after-ms: 0`. */
  "retry-after-zero",
  /** 429 with `retry-after-ms: 0.001` (a thousandth of a millisecond). */
  "retry-after-tiny",
  /** 429 with an HTTP-date `retry-after` in the past. */
  "retry-after-past",
  /** 429 with `retry-after: -5`. */
  "retry-after-negative",
  /** 429 with `retry-after: soon` and `retry-after-ms: NaN`. */
  "retry-after-garbage",
  /** 429 with `retry-after: 99999999999` (three thousand years). */
  "retry-after-huge",
  /** 503 with `retry-after: 0`. */
  "503-retry-after-zero",
  /** 200 headers, then a valid body one byte every `dripIntervalMs` (a stream: its SSE bytes the same way). */
  "drip",
  /** 400 whose body (message, param, nested fields) and headers echo the key the request carried. */
  "echo-key-400",
  /** 503 echoing the key the same way (retried: the cause of ALL_ENDPOINTS_FAILED). */
  "echo-key-503",
  /** 200 of the wrong shape echoing the key in its body and headers. */
  "echo-key-200",
] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

/** One request the fixture received. */
export interface HostileCall {
  readonly endpoint: string;
  readonly kind: "chat" | "stream" | "embeddings" | "other";
  readonly mode: HostileMode;
  /** `performance.now()` when it arrived. */
  readonly at: number;
}

export interface HostileUpstreamOptions {
  /** Milliseconds between two bytes in `drip` mode. @default 50 */
  readonly dripIntervalMs?: number;
}

export interface HostileUpstream {
  readonly port: number;
  /** The `baseURL` of endpoint `name` (an openai-type endpoint). */
  baseURL(name: string): string;
  /** The key endpoint `name` expects (a realistic-looking random `sk-proj-…`). */
  keyOf(name: string): string;
  /** A router endpoint config for `name` serving `models` (default gpt-4o and text-embedding-3-small). */
  endpoint(name: string, extra?: Partial<OpenAIEndpointConfig>): OpenAIEndpointConfig;
  setMode(name: string, mode: HostileMode): void;
  modeOf(name: string): HostileMode;
  /** Requests endpoint `name` received (every kind). */
  calls(name: string): number;
  readonly log: readonly HostileCall[];
  /** Responses still being written (drips in progress). */
  readonly open: number;
  close(): Promise<void>;
}

export const CHAT_MODEL = "gpt-4o";
export const EMBEDDING_MODEL = "text-embedding-3-small";

/** Starts the fixture; every endpoint starts in `ok` mode. */
export async function startHostileUpstream(options: HostileUpstreamOptions = {}): Promise<HostileUpstream> {
  const dripIntervalMs = options.dripIntervalMs ?? 50;
  const modes = new Map<string, HostileMode>();
  const keys = new Map<string, string>();
  const counts = new Map<string, number>();
  const log: HostileCall[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let open = 0;

  const keyOf = (name: string): string => {
    let key = keys.get(name);
    if (!key) {
      key = `sk-proj-${randomBytes(24).toString("hex")}`;
      keys.set(name, key);
    }
    return key;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const match = /^\/([^/]+)\/v1\/(chat\/completions|embeddings)$/.exec(req.url ?? "");
      const endpoint = match?.[1] ?? "?";
      counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        // answered below as whatever the mode says
      }
      const kind: HostileCall["kind"] = !match
        ? "other"
        : match[2] === "embeddings"
          ? "embeddings"
          : body.stream === true
            ? "stream"
            : "chat";
      const mode = modes.get(endpoint) ?? "ok";
      log.push({ endpoint, kind, mode, at: performance.now() });
      if (kind === "other") {
        json(res, 404, { error: { message: "not found", type: "invalid_request_error", code: null } });
        return;
      }
      const key = bearer(req);
      answer(res, { kind, mode, body, key });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  /** Writes `text` one byte at a time; stops when the client goes away. */
  const drip = (res: ServerResponse, text: string) => {
    open += 1;
    const bytes = Buffer.from(text, "utf8");
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed || i >= bytes.length) {
        clearInterval(timer);
        timers.delete(timer);
        open -= 1;
        if (!res.destroyed) res.end();
        return;
      }
      res.write(bytes.subarray(i, i + 1));
      i += 1;
    }, dripIntervalMs);
    timers.add(timer);
    res.on("close", () => {
      if (!timers.has(timer)) return;
      clearInterval(timer);
      timers.delete(timer);
      open -= 1;
    });
  };

  const answer = (
    res: ServerResponse,
    call: {
      kind: "chat" | "stream" | "embeddings";
      mode: HostileMode;
      body: Record<string, unknown>;
      key: string;
    },
  ) => {
    const { kind, body, key } = call;
    const stream = kind === "stream";
    const includeUsage =
      (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    switch (call.mode) {
      case "ok":
        if (stream) sse(res, [...okChunks(includeUsage).map(data), "data: [DONE]\n\n"]);
        else json(res, 200, kind === "embeddings" ? embeddingsOf(body) : COMPLETION);
        return;
      case "html":
        raw(res, 200, "text/html; charset=utf-8", HTML_PAGE);
        return;
      case "non-json":
      case "sse-garbage":
        if (stream && call.mode === "sse-garbage") sse(res, ["data: <<<not json at all>>>\n\n"]);
        else raw(res, 200, "application/json", '{"id": "chatcmpl-x", "choices": [ <html> oops');
        return;
      case "text":
        raw(res, 200, "text/plain", "OK");
        return;
      case "wrong-shape":
      case "sse-wrong-shape":
        if (stream) sse(res, [data({ status: "ok", hint: "not a chunk" }), "data: [DONE]\n\n"]);
        else
          json(
            res,
            200,
            kind === "embeddings" ? { object: "list", data: "not-a-list" } : { status: "ok", result: 42 },
          );
        return;
      case "short-list":
        if (kind === "embeddings") {
          const full = embeddingsOf(body);
          json(res, 200, { ...full, data: (full.data as unknown[]).slice(1) });
        } else if (stream) sse(res, [...okChunks(includeUsage).map(data), "data: [DONE]\n\n"]);
        else json(res, 200, COMPLETION);
        return;
      case "error-200":
      case "sse-error": {
        const error = { error: { message: "The server is overloaded.", type: "server_error", code: null } };
        if (stream) sse(res, [data(error)]);
        else json(res, 200, error);
        return;
      }
      case "empty":
      case "sse-empty":
        if (stream) sse(res, []);
        else {
          res.writeHead(200, { "content-type": "application/json", "content-length": "0" });
          res.end();
        }
        return;
      case "empty-untyped":
        res.writeHead(200, { "content-length": "0" });
        res.end();
        return;
      case "sse-no-done":
        if (stream) sse(res, okChunks(false).slice(0, 3).map(data));
        else json(res, 200, kind === "embeddings" ? embeddingsOf(body) : COMPLETION);
        return;
      case "sse-garbage-after":
        if (stream) sse(res, [...okChunks(false).slice(0, 3).map(data), "data: {garbage\n\n"]);
        else json(res, 200, kind === "embeddings" ? embeddingsOf(body) : COMPLETION);
        return;
      case "sse-error-after":
        if (stream)
          sse(res, [
            ...okChunks(false).slice(0, 3).map(data),
            data({ error: { message: "upstream went away", type: "server_error", code: null } }),
          ]);
        else json(res, 200, kind === "embeddings" ? embeddingsOf(body) : COMPLETION);
        return;
      case "retry-after-zero":
        rateLimited(res, { "retry-after": "0", "retry-after-ms": "0" });
        return;
      case "retry-after-tiny":
        rateLimited(res, { "retry-after-ms": "0.001" });
        return;
      case "retry-after-past":
        rateLimited(res, { "retry-after": "Thu, 01 Jan 1970 00:00:01 GMT" });
        return;
      case "retry-after-negative":
        rateLimited(res, { "retry-after": "-5" });
        return;
      case "retry-after-garbage":
        rateLimited(res, { "retry-after": "soon", "retry-after-ms": "NaN" });
        return;
      case "retry-after-huge":
        rateLimited(res, { "retry-after": "99999999999" });
        return;
      case "503-retry-after-zero":
        res.writeHead(503, { "content-type": "application/json", "retry-after": "0" });
        res.end(JSON.stringify({ error: { message: "overloaded", type: "server_error", code: null } }));
        return;
      case "drip":
        if (stream) {
          res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
          res.flushHeaders();
          drip(res, [...okChunks(includeUsage).map(data), "data: [DONE]\n\n"].join(""));
        } else {
          const text = JSON.stringify(kind === "embeddings" ? embeddingsOf(body) : COMPLETION);
          res.writeHead(200, { "content-type": "application/json", "content-length": String(text.length) });
          res.flushHeaders();
          drip(res, text);
        }
        return;
      case "echo-key-400":
      case "echo-key-503":
      case "echo-key-200": {
        const status = call.mode === "echo-key-400" ? 400 : call.mode === "echo-key-503" ? 503 : 200;
        const payload = {
          error: {
            message: `Key ${key} is not allowed here (we logged ${key}).`,
            type: "invalid_request_error",
            param: `authorization=${key}`,
            code: null,
            details: { received: { authorization: `Bearer ${key}` }, seen: [key] },
          },
        };
        res.writeHead(status, {
          "content-type": "application/json",
          "x-echo-authorization": `Bearer ${key}`,
          "x-debug": `key=${key}`,
        });
        res.end(JSON.stringify(payload));
        return;
      }
    }
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    baseURL: (name) => `http://127.0.0.1:${port}/${name}/v1`,
    keyOf,
    endpoint: (name, extra = {}) => ({
      name,
      type: "openai",
      apiKey: keyOf(name),
      baseURL: `http://127.0.0.1:${port}/${name}/v1`,
      models: [CHAT_MODEL, EMBEDDING_MODEL],
      ...extra,
    }),
    setMode: (name, mode) => {
      modes.set(name, mode);
    },
    modeOf: (name) => modes.get(name) ?? "ok",
    calls: (name) => counts.get(name) ?? 0,
    log,
    get open() {
      return open;
    },
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function bearer(req: IncomingMessage): string {
  const header = req.headers.authorization ?? "";
  return header.startsWith("Bearer ") ? header.slice(7) : header;
}

function json(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "x-request-id": "req_hostile" });
  res.end(text);
}

function raw(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { "content-type": contentType });
  res.end(text);
}

function sse(res: ServerResponse, events: readonly string[]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.end(events.join(""));
}

function rateLimited(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(429, { "content-type": "application/json", ...headers });
  res.end(
    JSON.stringify({
      error: {
        message: "Rate limit reached for gpt-4o on requests per min (RPM): Limit 1, Used 1, Requested 1.",
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
    }),
  );
}

const data = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;

const HTML_PAGE =
  "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

const CREATED = 1_700_000_000;

/** A well-formed chat completion. */
export const COMPLETION = {
  id: "chatcmpl-hostile000000000000000000",
  object: "chat.completion",
  created: CREATED,
  model: "gpt-4o-2024-08-06",
  system_fingerprint: "fp_hostile",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: "Hello from a healthy endpoint.",
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 8, completion_tokens: 6, total_tokens: 14 },
};

function chunk(delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> {
  return {
    id: "chatcmpl-hostile-stream",
    object: "chat.completion.chunk",
    created: CREATED,
    model: "gpt-4o-2024-08-06",
    system_fingerprint: "fp_hostile",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
  };
}

/** A well-formed stream: role, three content deltas, the finish, and the usage chunk when asked. */
function okChunks(includeUsage: boolean): Record<string, unknown>[] {
  const out = [
    chunk({ role: "assistant", content: "", refusal: null }),
    chunk({ content: "Hello" }),
    chunk({ content: " from a" }),
    chunk({ content: " healthy endpoint." }),
    chunk({}, "stop"),
  ];
  if (includeUsage)
    out.push({
      ...chunk({}),
      choices: [],
      usage: { prompt_tokens: 8, completion_tokens: 6, total_tokens: 14 },
    });
  return out;
}

/** One vector per input, base64 (little-endian float32) unless the request asked for floats. */
function embeddingsOf(body: Record<string, unknown>): Record<string, unknown> {
  const input = body.input;
  const n =
    typeof input === "string"
      ? 1
      : Array.isArray(input)
        ? typeof input[0] === "number"
          ? 1
          : input.length
        : 1;
  const vector = [0.125, -0.5, 0.25];
  const base64 = Buffer.from(new Float32Array(vector).buffer).toString("base64");
  return {
    object: "list",
    data: Array.from({ length: n }, (_, index) => ({
      object: "embedding",
      index,
      embedding: body.encoding_format === "float" ? vector : base64,
    })),
    model: "text-embedding-3-small",
    usage: { prompt_tokens: n, total_tokens: n },
  };
}
