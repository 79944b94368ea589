import { randomBytes } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Observable, Subscription } from "rxjs";
import { ConfigError, RequestInvalidError } from "../errors.js";
import type { RouterEvent } from "../events.js";
import { errorReply } from "../fetch/error-response.js";
import type { RouterFetch } from "../fetch/router-fetch.js";
import type { Completion, RouterMetrics } from "../types.js";
import { AccessLog, type LogSink } from "./access-log.js";
import { Admission } from "./admission.js";
import { ClientPolicy } from "./client-policy.js";
import { ClientRegistry, type ClientState } from "./clients.js";
import { type GatewayConfig, parseGatewayConfig, type ResolvedGatewayConfig } from "./config.js";
import { GatewayError } from "./errors.js";
import { type Exchange, ExchangeRunner } from "./exchange.js";
import { readBody, sendError, sendJson } from "./http-io.js";
import { LiveExchanges } from "./live-exchanges.js";
import { type ClientFigures, clientPrometheusText, routerPrometheusText } from "./prometheus-text.js";
import { type Readiness, readiness } from "./readiness.js";
import { approximateCost, modelPath, modelsOf } from "./request-facts.js";
import { ResponseOwners, storedResponseId } from "./response-owners.js";

/** What the gateway needs of a router: `createRouter(...)` gives all of it. */
export interface GatewayTarget {
  readonly fetch: RouterFetch;
  snapshot(): RouterMetrics;
  readonly completions$: Observable<Completion>;
  readonly events$: Observable<RouterEvent>;
}

/** Options of {@link createGateway}: the `gateway:` section of a config file, plus what only code can pass. */
export interface GatewayOptions extends GatewayConfig {
  /**
   * Where the one-line JSON access log goes (`process.stdout` for `openai-router serve`); `false` or
   * absent: no access log.
   */
  readonly accessLog?: LogSink | false | undefined;
  /** The clock of the clients' budgets (inject a virtual one in tests). @default Date.now @unit milliseconds */
  readonly now?: (() => number) | undefined;
  /**
   * The router's part of `GET /metrics` (e.g. `() => registry.metrics()` of a prom-client registry with
   * `collectPrometheus`); absent: the router's snapshot written here. The gateway's per-client figures
   * are appended either way.
   */
  readonly metrics?: (() => string | Promise<string>) | undefined;
  /** A node:http handler mounted at `/dashboard` (and below). */
  readonly dashboard?: RequestListener | undefined;
}

/** A running (or ready to run) gateway. */
export interface Gateway {
  /** The node:http request listener: mount it in your own server, or call `listen`. */
  readonly handler: RequestListener;
  /**
   * Listens on `port` (0: a free one) and `host`; resolves with the base URL (`http://host:port`).
   * Without clients (no authentication) only a loopback host is accepted: rejects with ConfigError
   * (`CONFIG_INVALID`, path `gateway.host`) otherwise.
   */
  listen(port?: number, host?: string): Promise<string>;
  /** The base URL once listening. */
  readonly url: string | undefined;
  /** `/readyz`'s answer now. */
  readiness(): Readiness;
  /** Per-client figures now: requests in flight, waiting in the gateway, answers by status. */
  clients(): ClientFigures[];
  /**
   * Graceful stop: refuses new requests (503 `gateway_draining`), lets the ones in flight finish within
   * `drainMs`, then ends the rest cleanly (a JSON 503, or an SSE `error` event that clients raise) and
   * closes every connection. Does not close the router (it is yours).
   */
  close(options?: { readonly drainMs?: number }): Promise<void>;
}

/** Paths that end in one of these, POSTed, are routed calls that settle with one router outcome. */
const SETTLING = ["/chat/completions", "/embeddings", "/responses"] as const;
const SAFE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/** After the drain time, how long ended requests get to settle before their connections are cut. */
const CUT_GRACE_MS = 2_000;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\]|localhost)$/;

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * An OpenAI-compatible HTTP gateway in front of a router: any language's OpenAI client points its base
 * URL at it. Plain node:http; requests go through `router.fetch`; per-client keys, model permissions,
 * budgets and fair queues; health, readiness, metrics and a graceful drain.
 * @example
 * const router = createRouter(config);
 * const gateway = createGateway(router, { clients: [{ name: "web", key: process.env.WEB_KEY }] });
 * console.log(await gateway.listen(8080, "0.0.0.0"));
 * process.once("SIGTERM", async () => { await gateway.close(); await router.close(); });
 * @throws ConfigError (`CONFIG_INVALID`) when the options are invalid, each problem with its path.
 */
export function createGateway(router: GatewayTarget, options: GatewayOptions = {}): Gateway {
  const { accessLog, now, metrics, dashboard, ...section } = options;
  const served = modelsOf(router.snapshot());
  const { config, issues } = parseGatewayConfig(section, new Set(served));
  if (!config) throw new ConfigError(issues);
  return new GatewayImpl(router, config, served, {
    log: accessLog ? new AccessLog(accessLog) : undefined,
    now: now ?? Date.now,
    metrics,
    dashboard,
  });
}

interface Extras {
  readonly log: AccessLog | undefined;
  readonly now: () => number;
  readonly metrics: (() => string | Promise<string>) | undefined;
  readonly dashboard: RequestListener | undefined;
}

class GatewayImpl implements Gateway {
  readonly handler: RequestListener;
  url: string | undefined;
  private readonly registry: ClientRegistry;
  private readonly policy: ClientPolicy;
  private readonly admission: Admission;
  private readonly live = new LiveExchanges();
  private readonly subscriptions: Subscription[] = [];
  private readonly runner: ExchangeRunner;
  private readonly owners = new ResponseOwners();
  private readonly idPrefix = `gw_${randomBytes(4).toString("hex")}_`;
  private seq = 0;
  private server: Server | undefined;
  private draining = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly router: GatewayTarget,
    private readonly config: ResolvedGatewayConfig,
    private readonly models: readonly string[],
    private readonly extras: Extras,
  ) {
    this.registry = new ClientRegistry(config.clients, extras.now);
    this.policy = new ClientPolicy(this.registry, this.owners, config.defaultOutputTokens);
    this.admission = new Admission({
      fairness: config.fairness,
      agingMs: config.agingMs,
      now: extras.now,
      start: (x) => this.runner.start(x, (x.client as ClientState).priority),
    });
    this.runner = new ExchangeRunner({
      fetch: router.fetch,
      log: extras.log,
      draining: () => this.draining,
      leftRouterQueue: (x) => this.admission.leftRouterQueue(x),
      ended: (x) => this.ended(x),
    });
    this.subscriptions.push(
      router.events$.subscribe((event) => {
        if (event.type === "dispatched") this.runner.dispatched(event.id);
      }),
      router.completions$.subscribe((completion) => this.runner.completed(completion)),
    );
    this.handler = (req, res) => this.handle(req, res);
  }

  listen(port = this.config.port, host = this.config.host): Promise<string> {
    if (this.registry.open && !isLoopback(host))
      return Promise.reject(
        new ConfigError([
          {
            path: "gateway.host",
            message: `refusing to listen on ${host} without gateway.clients (anyone could spend the quota); configure clients with keys, or listen on a loopback address`,
          },
        ]),
      );
    const server = createServer(this.handler);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const address = server.address() as AddressInfo;
        const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
        this.url = `http://${shown}:${address.port}`;
        resolve(this.url);
      });
    });
  }

  readiness(): Readiness {
    if (this.draining) return { ready: false, reasons: ["draining: the gateway is shutting down"] };
    return readiness(this.router.snapshot(), this.models);
  }

  close(options: { readonly drainMs?: number } = {}): Promise<void> {
    if (!this.closing) this.closing = this.drain(options.drainMs ?? this.config.drainMs);
    return this.closing;
  }

  private async drain(drainMs: number): Promise<void> {
    this.draining = true;
    const server = this.server;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    server?.closeIdleConnections();
    if (this.live.size > 0) await this.live.idleOrAfter(drainMs);
    const cut = new GatewayError(
      "GATEWAY_DRAINING",
      "The gateway is shutting down and ended this request after its drain time; retry on another replica.",
    );
    for (const exchange of this.live.all()) this.cancel(exchange, cut);
    // Ended requests settle within a turn or two; a grace bound keeps a stuck one from holding the exit.
    if (this.live.size > 0) await this.live.idleOrAfter(CUT_GRACE_MS);
    server?.closeAllConnections();
    await closed;
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.extras.log?.flush();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q >= 0 ? url.slice(0, q) : url;
    if (path === "/healthz") sendJson(res, 200, { status: "ok" });
    else if (path === "/readyz") {
      const r = this.readiness();
      sendJson(
        res,
        r.ready ? 200 : 503,
        r.ready ? { status: "ready" } : { status: "unready", reasons: r.reasons },
      );
    } else if (path === "/metrics") void this.serveMetrics(res);
    else if (this.extras.dashboard && (path === "/dashboard" || path.startsWith("/dashboard/")))
      this.extras.dashboard(req, res);
    else
      this.handleApi(req, res, url, path).catch(() => {
        // The request itself failed (its socket broke while the body was read): nothing to answer.
        res.destroy();
      });
  }

  private async handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    path: string,
  ): Promise<void> {
    const exchange = this.runner.open(req, res, url, path, this.nextId(req));
    this.live.add(exchange);
    res.once("close", () => this.closed(exchange));
    if (this.draining)
      return this.refuse(
        exchange,
        new GatewayError("GATEWAY_DRAINING", "The gateway is shutting down; retry on another replica."),
      );
    let client: ClientState;
    try {
      client = this.registry.authenticate(req.headers);
    } catch (error) {
      return this.refuse(exchange, error);
    }
    exchange.client = client;
    if (req.method === "POST") {
      const body = await readBody(req, this.config.maxBodyBytes);
      if (!body.ok) {
        res.shouldKeepAlive = false;
        res.once("finish", () => req.destroy());
        return this.refuse(
          exchange,
          new GatewayError(
            "BODY_TOO_LARGE",
            `The request body (${body.bytes} bytes or more) exceeds this gateway's limit of ${this.config.maxBodyBytes} bytes.`,
          ),
        );
      }
      exchange.body = body.text;
      let parsed: unknown;
      try {
        // An empty body (`POST …/responses/{id}/cancel`) is the router's to judge.
        parsed = body.text.length === 0 ? undefined : JSON.parse(body.text);
      } catch {
        // Not the parser's message: it quotes the body, which may hold a prompt.
        return this.refuse(exchange, new RequestInvalidError("The request body is not valid JSON."));
      }
      const fields = parsed as { model?: unknown; stream?: unknown } | null;
      exchange.model = typeof fields?.model === "string" ? fields.model : undefined;
      exchange.stream = fields?.stream === true;
      exchange.settles = SETTLING.some((s) => path.endsWith(s));
      const previous = (parsed as { previous_response_id?: unknown } | null)?.previous_response_id;
      const refusal =
        this.policy.model(client, exchange.model) ??
        this.policy.response(client, typeof previous === "string" ? previous : undefined) ??
        this.policy.response(client, storedResponseId(path));
      if (refusal) return this.refuse(exchange, refusal);
      if (!this.registry.open && path.endsWith("/responses"))
        exchange.onResponseId = (id) => this.owners.record(id, client.name);
      try {
        this.policy.charge(client, path, parsed, body.text);
      } catch (error) {
        return this.refuse(exchange, error);
      }
      exchange.cost = approximateCost(parsed, body.text.length, this.config.defaultOutputTokens, path);
      return this.enqueue(exchange);
    }
    const modelId = modelPath(path);
    const refusal =
      this.policy.model(client, modelId) ?? this.policy.response(client, storedResponseId(path));
    if (refusal) return this.refuse(exchange, refusal);
    exchange.model = modelId;
    exchange.filterModels = client.models && path.endsWith("/models") ? client.models : undefined;
    this.runner.start(exchange, client.priority);
  }

  private enqueue(exchange: Exchange): void {
    try {
      this.admission.enqueue(exchange);
    } catch (error) {
      this.refuse(exchange, error);
    }
  }

  private ended(exchange: Exchange): void {
    // A freed client slot may let that client's waiting requests go, in any model's line.
    this.admission.ended(exchange.client);
    this.live.ended(exchange);
  }

  /** The response closed: finished, or the caller went away (then its request is cancelled). */
  private closed(exchange: Exchange): void {
    this.admission.withdraw(exchange);
    this.runner.closed(exchange);
  }

  private cancel(exchange: Exchange, reason: GatewayError): void {
    if (this.admission.withdraw(exchange)) {
      this.refuse(exchange, reason);
      return;
    }
    this.runner.cancel(exchange, reason);
  }

  private refuse(exchange: Exchange, error: unknown): void {
    this.runner.refuse(
      exchange,
      error instanceof GatewayError ? error.reply() : errorReply(error, (t) => t),
      error,
    );
  }

  private nextId(req: IncomingMessage): string {
    const given = req.headers["x-request-id"];
    if (typeof given === "string" && SAFE_ID.test(given) && !this.runner.pending(given)) return given;
    this.seq += 1;
    return `${this.idPrefix}${this.seq}`;
  }

  private async serveMetrics(res: ServerResponse): Promise<void> {
    try {
      const routerText = this.extras.metrics
        ? await this.extras.metrics()
        : routerPrometheusText(this.router.snapshot());
      const text = `${routerText.endsWith("\n") ? routerText : `${routerText}\n`}${clientPrometheusText(this.clients())}`;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(text);
    } catch (error) {
      sendError(
        res,
        errorReply(error, (t) => t),
      );
    }
  }

  clients(): ClientFigures[] {
    const names = new Set<string>([...this.registry.all.map((c) => c.name), ...this.live.answered()]);
    const byName = new Map(this.registry.all.map((c) => [c.name, c]));
    return [...names].map((name) => {
      const client = byName.get(name);
      return {
        name,
        inflight: client?.inflight ?? 0,
        queued: client ? this.admission.queuedOf(client) : 0,
        byStatus: this.live.byStatus(name),
      };
    });
  }
}
