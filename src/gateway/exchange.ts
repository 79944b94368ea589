import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorReply } from "../fetch/error-response.js";
import { errorReply } from "../fetch/error-response.js";
import type { RouterFetch } from "../fetch/router-fetch.js";
import type { Completion } from "../types.js";
import type { AccessLog } from "./access-log.js";
import type { ClientState } from "./clients.js";
import { GatewayError } from "./errors.js";
import type { FairItem, FairQueue } from "./fair-queue.js";
import { pipeBody, sendError } from "./http-io.js";
import { responseIdIn } from "./response-owners.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One model's fair queue in the gateway, and how many of its requests wait in the router's queue. */
export interface ModelLine {
  readonly queue: FairQueue<ClientState, Exchange>;
  /** Requests let into the router's queue and not yet dispatched to an endpoint (or settled). */
  inRouter: number;
}

/** One HTTP request's life in the gateway: from arrival to the last byte and its access-log line. */
export class Exchange implements FairItem<ClientState> {
  client: ClientState | undefined;
  body: string | undefined;
  model: string | undefined;
  stream = false;
  /** A routed call that settles with one router outcome (its usage and endpoint come from it). */
  settles = false;
  /** Estimated tokens, for the fair queue. */
  cost = 1;
  /** When it entered a fair queue (client clock). */
  queuedAt: number | undefined;
  /** The model line it waits in (the gateway's). */
  line: ModelLine | undefined;
  /** Counted in its line's `inRouter` (let into the router's queue, not yet dispatched). */
  inRouter = false;
  started = false;
  filterModels: ReadonlySet<string> | undefined;
  /** Told the id of the response this request created (Responses API, multi-tenant gateways). */
  onResponseId: ((id: string) => void) | undefined;
  status = 0;
  code: string | null = null;
  endpoint: string | null = null;
  completion: Completion | undefined;
  controller: AbortController | undefined;
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  cut: GatewayError | undefined;
  done = false;
  logged = false;
  /** Arrival, epoch ms (formatted only if an access-log line is written). */
  readonly arrived = Date.now();
  readonly t0 = performance.now();

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly url: string,
    readonly path: string,
    readonly id: string,
  ) {}

  get owner(): ClientState {
    return this.client as ClientState;
  }
  get priority(): number {
    return this.client?.priority ?? 0;
  }
  get arrivedAt(): number {
    return this.queuedAt ?? 0;
  }
}

/** What the runner calls back into the gateway for. */
export interface RunnerHooks {
  readonly fetch: RouterFetch;
  readonly log: AccessLog | undefined;
  readonly draining: () => boolean;
  /** The request left the router's queue (dispatched to an endpoint, or settled). */
  readonly leftRouterQueue: (exchange: Exchange) => void;
  /** The response is over (sent or abandoned). */
  readonly ended: (exchange: Exchange) => void;
}

/** A client may lower its own priority with `x-openai-router-priority`, never raise it above its grant. */
export function priorityHeader(req: Pick<IncomingMessage, "headers">, granted: number): string {
  const asked = req.headers["x-openai-router-priority"];
  if (typeof asked !== "string" || asked.trim() === "") return String(granted);
  const n = Number(asked);
  return Number.isFinite(n) ? String(Math.max(n, granted)) : asked; // a NaN is the router's REQUEST_INVALID
}

/**
 * Runs exchanges through `router.fetch` and writes their answers: JSON whole, SSE with backpressure.
 * Keeps the map from request id to exchange that the router's `dispatched` events and outcomes are
 * matched against (for the fair queue and the access log's endpoint and tokens).
 */
export class ExchangeRunner {
  private readonly byId = new Map<string, Exchange>();

  constructor(private readonly hooks: RunnerHooks) {}

  open(req: IncomingMessage, res: ServerResponse, url: string, path: string, id: string): Exchange {
    return new Exchange(req, res, url, path, id);
  }

  /** True while a routed request with this id has no outcome yet. */
  pending(id: string): boolean {
    return this.byId.has(id);
  }

  start(exchange: Exchange, priority: number): void {
    exchange.started = true;
    const client = exchange.client as ClientState;
    client.inflight += 1;
    const controller = new AbortController();
    exchange.controller = controller;
    if (exchange.settles) this.byId.set(exchange.id, exchange);
    const headers: Record<string, string> = {
      "x-request-id": exchange.id,
      "x-openai-router-priority": priorityHeader(exchange.req, priority),
    };
    const timeout = exchange.req.headers["x-openai-router-timeout-ms"];
    if (typeof timeout === "string") headers["x-openai-router-timeout-ms"] = timeout;
    const method = exchange.req.method ?? "GET";
    this.hooks
      .fetch(exchange.url, {
        method,
        headers,
        body: method === "GET" || method === "HEAD" ? undefined : (exchange.body ?? ""),
        signal: controller.signal,
      })
      .then((response) => this.respond(exchange, response))
      // A failed fetch, or a body that broke while it was read: an error answer, or a cut connection.
      .catch((error: unknown) => this.failed(exchange, error));
  }

  /** The router bound request `id` to an endpoint: it no longer waits in the router's queue. */
  dispatched(id: string): void {
    const exchange = this.byId.get(id);
    if (exchange) this.leave(exchange);
  }

  /** The router's one outcome for a request. */
  completed(completion: Completion): void {
    const exchange = this.byId.get(completion.id);
    if (!exchange) return;
    this.byId.delete(completion.id);
    exchange.completion = completion;
    this.leave(exchange);
    if (exchange.done) this.writeLog(exchange);
  }

  /** Answers without routing (401, 403, 413, 429, a bad body, draining). */
  refuse(exchange: Exchange, reply: ErrorReply, _error: unknown): void {
    exchange.status = reply.status;
    exchange.code = reply.headers["x-openai-router-code"] ?? null;
    sendError(exchange.res, reply, this.ownHeaders(exchange));
  }

  /** The response closed: sent in full, or the caller went away (then its request is cancelled). */
  closed(exchange: Exchange): void {
    if (exchange.done) return;
    exchange.done = true;
    if (!exchange.res.writableFinished) {
      // The client disconnected before the answer ended: cancel the request, queued or upstream.
      if (exchange.status === 0 || exchange.res.headersSent) exchange.code = "CLIENT_CLOSED";
      exchange.status = exchange.res.headersSent ? exchange.status : 499;
      exchange.controller?.abort(new Error("The client closed the connection."));
      void exchange.reader?.cancel().catch(() => undefined);
    }
    if (exchange.started) (exchange.client as ClientState).inflight -= 1;
    this.hooks.ended(exchange);
    if (!exchange.settles || !exchange.started || exchange.completion) this.writeLog(exchange);
    else {
      // The outcome follows the stream's end within a turn or two; log without it if it never comes.
      setTimeout(() => {
        if (exchange.logged) return;
        this.byId.delete(exchange.id);
        this.leave(exchange);
        this.writeLog(exchange);
      }, 5_000).unref();
    }
  }

  /** Ends an exchange the drain could not wait for: a clean error, never a silent cut. */
  cancel(exchange: Exchange, reason: GatewayError): void {
    exchange.cut = reason;
    if (exchange.reader) void exchange.reader.cancel().catch(() => undefined);
    else if (exchange.controller) exchange.controller.abort(reason);
    else if (!exchange.res.headersSent) this.refuse(exchange, reason.reply(), reason);
  }

  private leave(exchange: Exchange): void {
    if (!exchange.inRouter) return;
    exchange.inRouter = false;
    this.hooks.leftRouterQueue(exchange);
  }

  private async respond(exchange: Exchange, response: Response): Promise<void> {
    this.leave(exchange);
    const res = exchange.res;
    if (res.destroyed) {
      void response.body?.cancel().catch(() => undefined);
      return;
    }
    const headers = this.ownHeaders(exchange);
    response.headers.forEach((value, name) => {
      if (name === "x-request-id") headers["x-upstream-request-id"] = value;
      else if (name !== "content-length") headers[name] = value;
    });
    exchange.status = response.status;
    exchange.endpoint = headers["x-openai-router-endpoint"] ?? null;
    exchange.code = headers["x-openai-router-code"] ?? null;
    const streamed =
      headers["content-type"]?.startsWith("text/event-stream") === true && response.body !== null;
    if (!streamed) {
      // text(): router.fetch's JSON answers (JsonResponse) give it without building a byte stream.
      let bytes: Buffer = Buffer.from(await response.text(), "utf8");
      if (exchange.filterModels && response.status === 200)
        bytes = filterModels(bytes, exchange.filterModels);
      if (exchange.onResponseId && response.status === 200) {
        const id = responseIdOf(bytes);
        if (id) exchange.onResponseId(id);
      }
      if (res.destroyed) return;
      headers["content-length"] = String(bytes.length);
      res.writeHead(response.status, headers);
      res.end(bytes);
      return;
    }
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    exchange.reader = reader;
    res.writeHead(response.status, headers);
    try {
      const onId = exchange.onResponseId;
      await pipeBody(
        reader,
        res,
        onId
          ? (chunk) => {
              const id = responseIdIn(decoder.decode(chunk));
              if (id) onId(id);
              return id !== undefined || chunk.length > 65_536;
            }
          : undefined,
      );
    } catch (error) {
      // The router's SSE body ends itself with an error event; this is a failure of the pipe itself.
      if (!res.destroyed)
        res.write(encoder.encode(`data: ${JSON.stringify(errorReply(error, (t) => t).body)}\n\n`));
    }
    if (exchange.cut && !res.destroyed) {
      exchange.code = exchange.cut.code;
      res.write(encoder.encode(`data: ${JSON.stringify(exchange.cut.reply().body)}\n\n`));
    }
    if (!res.destroyed) res.end();
  }

  private failed(exchange: Exchange, error: unknown): void {
    this.leave(exchange);
    if (exchange.res.destroyed || exchange.res.writableEnded) return;
    if (exchange.res.headersSent) {
      exchange.res.destroy();
      return;
    }
    const reply = error instanceof GatewayError ? error.reply() : errorReply(error, (t) => t);
    this.refuse(exchange, reply, error);
  }

  private ownHeaders(exchange: Exchange): Record<string, string> {
    const headers: Record<string, string> = { "x-request-id": exchange.id };
    if (this.hooks.draining()) headers.connection = "close";
    return headers;
  }

  private writeLog(exchange: Exchange): void {
    if (exchange.logged) return;
    exchange.logged = true;
    const log = this.hooks.log;
    if (!log) return;
    const c = exchange.completion;
    const usage = c?.ok
      ? (c.usage as { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | undefined)
      : undefined;
    const q = exchange.url.indexOf("?");
    log.write({
      time: new Date(exchange.arrived).toISOString(),
      id: exchange.id,
      client: exchange.client?.name ?? null,
      method: exchange.req.method ?? "GET",
      path: q >= 0 ? exchange.url.slice(0, q) : exchange.url,
      model: exchange.model ?? null,
      stream: exchange.stream,
      endpoint: c?.endpoint ?? exchange.endpoint,
      status: exchange.status,
      latencyMs: Math.round((performance.now() - exchange.t0) * 1000) / 1000,
      promptTokens: usage?.prompt_tokens ?? null,
      completionTokens: usage?.completion_tokens ?? null,
      totalTokens: usage?.total_tokens ?? null,
      code: exchange.code ?? (c && !c.ok ? c.error.code : null),
    });
  }
}

/** The `id` of a Responses JSON body (`resp_…`). */
function responseIdOf(bytes: Buffer): string | undefined {
  try {
    const id = (JSON.parse(bytes.toString("utf8")) as { id?: unknown }).id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A model list narrowed to what a client may use. */
function filterModels(bytes: Buffer, allowed: ReadonlySet<string>): Buffer {
  try {
    const list = JSON.parse(bytes.toString("utf8")) as { data?: { id?: unknown }[] };
    if (Array.isArray(list.data))
      list.data = list.data.filter((m) => typeof m.id === "string" && allowed.has(m.id));
    return Buffer.from(JSON.stringify(list));
  } catch {
    return bytes;
  }
}
