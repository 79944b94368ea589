import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { AdmissionGate } from "./admission.js";
import { type AuthConfig, checkAuth } from "./auth.js";
import type { Clock } from "./clock.js";
import { EndpointApi, type Served } from "./endpoint-api.js";
import { type Flavor, invalidJson, unauthorized } from "./errors.js";
import { type Exchange, ExchangeTimers } from "./exchange.js";
import { FaultState } from "./faults.js";
import { LatencyModel, type Timing } from "./latency.js";
import { EndpointLimiter, type LimitsConfig } from "./limits.js";
import { Listener } from "./listener.js";
import type { Faults, LatencyConfig } from "./options.js";
import { deriveSeed, mulberry32 } from "./prng.js";
import { PromptCache } from "./prompt-cache.js";
import { ReplyWriter } from "./reply.js";
import { ResponsesApi } from "./responses/api.js";
import { matchRoute } from "./routes.js";
import { StatsRecorder } from "./stats.js";
import type { TokenCounter } from "./tokens.js";
import { checkAzureApiVersion } from "./validation/api-versions.js";

/** Everything one simulated endpoint needs; built by the fleet from validated options. */
export interface SimServerConfig {
  readonly name: string;
  readonly flavor: Flavor;
  readonly seed: number;
  readonly host: string;
  readonly port: number;
  readonly apiKey: string;
  /** openai: model → itself; azure: deployment → model. */
  readonly catalog: ReadonlyMap<string, string>;
  readonly bearerPrefix: string | null;
  readonly limits: LimitsConfig;
  readonly latency: LatencyConfig | undefined;
  readonly faults: Faults;
  readonly now: Clock;
  readonly tokens: TokenCounter;
}

/**
 * One simulated endpoint: a `node:http` server speaking the openai.com or Azure OpenAI wire
 * protocol, enforcing its limits and injecting its faults. Order of checks per request: route
 * (404) → auth (401) → body (400) → model/deployment (404) → faults (reset, 429 storm/quota,
 * injected error) → limits (429) → admitted (hang, or answer after the latency model's delay).
 */
export class SimServer {
  readonly stats = new StatsRecorder();
  readonly limiter: EndpointLimiter;
  readonly faults: FaultState;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new ExchangeTimers();
  readonly #latency: LatencyModel;
  readonly #auth: AuthConfig;
  readonly #listener: Listener;
  readonly #writer: ReplyWriter;
  readonly #api: EndpointApi;
  readonly #responses: ResponsesApi<Exchange>;
  #closing: Promise<void> | undefined;
  #url = "";

  constructor(private readonly config: SimServerConfig) {
    this.limiter = new EndpointLimiter(config.limits, config.now);
    this.faults = new FaultState(config.seed, config.name, config.now);
    this.faults.set(config.faults);
    this.#latency = new LatencyModel(
      config.latency,
      mulberry32(deriveSeed(config.seed, config.name, "latency")),
    );
    // Request ids and completion ids draw from one stream, so the seed fixes both.
    const ids = mulberry32(deriveSeed(config.seed, config.name, "ids"));
    this.#auth = { flavor: config.flavor, apiKey: config.apiKey, bearerPrefix: config.bearerPrefix };
    this.#server = createServer((req, res) => this.#guard(req, res, () => this.#onRequest(req, res)));
    this.#server.on("connection", (socket: Socket) => this.#onConnection(socket));
    this.#listener = new Listener(this.#server, config.host, config.name, () => {
      for (const socket of this.#sockets) socket.resetAndDestroy();
    });
    const { flavor, now } = config;
    const { stats, faults, limiter } = this;
    const timers = this.#timers;
    const timing = () => this.#timing();
    const writer = new ReplyWriter({ name: config.name, flavor, now, ids, limiter, stats, faults, timers });
    this.#writer = writer;
    const gate = new AdmissionGate({ flavor, faults, limiter, stats, writer });
    // Per endpoint: the prompt prefixes this endpoint has seen (chat and Responses share it).
    const cache = new PromptCache({ now });
    this.#api = new EndpointApi({
      flavor,
      seed: config.seed,
      now,
      catalog: config.catalog,
      tokens: config.tokens,
      cache,
      ids,
      faults,
      stats,
      gate,
      writer,
      timers,
      timing,
    });
    this.#responses = new ResponsesApi<Exchange>({
      flavor: config.flavor,
      seed: config.seed,
      name: config.name,
      now: config.now,
      tokens: config.tokens,
      cache,
      resolveModel: (model) =>
        this.#api.resolveModel({ op: "responses", deployment: undefined, apiVersion: "" }, model),
      admit: (ex, charge, rl) => gate.admit(ex, charge, rl),
      hanging: () => this.faults.current.hang === true,
      failAfterChunks: () => this.faults.current.responseFailedAfterChunks,
      timing,
      after: (ex, ms, fn) => timers.after(ex, ms, fn),
      send: (ex, status, body) => writer.send(ex, status, body),
      sendError: (ex, error) => writer.sendError(ex, error),
      stream: (ex, events, promptTokens, timing) => writer.stream(ex, events, promptTokens, timing),
      record: (prompt, completion) => {
        this.stats.promptTokens += prompt;
        this.stats.completionTokens += completion;
      },
    });
    // A late server error (say EMFILE) must not crash the test process that hosts the fleet.
    this.#server.on("error", () => {});
  }

  /** `http://host:port`, known after `listen`. */
  get url(): string {
    return this.#url;
  }

  /** Binds the port (an endpoint configured `down` then closes it again, keeping the port). */
  async listen(): Promise<void> {
    const { address, port } = await this.#listener.open(this.config.port);
    this.#url = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
    await this.#listener.follow(this.faults.current.down !== true);
  }

  /**
   * Replaces the faults; all but `down` apply to the next request at once. `down` closes the
   * listener (so connections are refused) and resets open sockets; clearing it listens on the same
   * port again. The promise resolves once the listener is in the state the faults ask for.
   * @throws SimError `SIM_LISTEN_FAILED` (rejection) when the port cannot be bound again.
   */
  setFaults(faults: Faults): Promise<void> {
    this.faults.set(faults);
    return this.#listener.follow(faults.down !== true);
  }

  /** Stops listening, destroys every open socket and clears every timer. Idempotent. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closing = this.#listener.close();
    for (const socket of this.#sockets) socket.destroy();
    this.#timers.clearAll();
    return this.#closing;
  }

  #onConnection(socket: Socket): void {
    // Connections accepted before a queued `down` closes the listener are reset, as is any after close().
    if (this.faults.current.down || this.#listener.shutdown) {
      socket.resetAndDestroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const ex: Exchange = {
      req,
      res,
      started: this.config.now(),
      status: 0,
      admitted: false,
      closed: false,
      timer: undefined,
      rateHeaders: undefined,
    };
    this.stats.requests++;
    res.once("close", () => this.#onClose(ex));

    const route = matchRoute(this.config.flavor, req.method ?? "GET", req.url ?? "/");
    if ("status" in route) {
      this.#writer.sendError(ex, route);
      return;
    }
    const auth = checkAuth(this.#auth, req.headers);
    if (auth !== "ok") {
      this.#writer.sendError(ex, unauthorized(this.config.flavor, auth === "invalid"));
      return;
    }
    if (route.op === "list-models" || route.op === "get-model") {
      this.#api.models(ex, route);
      return;
    }
    if (route.op === "response-state") {
      this.#responses.state(ex, route.action, route.id, route.query);
      return;
    }

    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.#guard(req, res, () => this.#onBody(ex, route, raw.toString("utf8")));
    });
  }

  /**
   * A bug in the sim must not take down the process hosting it (often a test runner): answer 500
   * with the reason instead, or drop the connection if the headers are already out.
   */
  #guard(req: IncomingMessage, res: ServerResponse, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (res.headersSent) req.socket.destroy();
      else {
        const body = JSON.stringify({
          error: {
            message: `sim internal error: ${String(e)}`,
            type: "server_error",
            param: null,
            code: null,
          },
        });
        res.writeHead(500, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      }
    }
  }

  #onClose(ex: Exchange): void {
    ex.closed = true;
    this.#timers.clear(ex);
    if (ex.status === 0) this.stats.dropped++;
    if (ex.admitted) this.stats.leave();
  }

  #onBody(ex: Exchange, route: Served, raw: string): void {
    if (ex.closed) return;
    if (this.config.flavor === "azure") {
      // Checked before the body, as Azure's gateway does; the v1 surface has no deployment in the path.
      const badVersion = checkAzureApiVersion(route.apiVersion, route.deployment === undefined);
      if (badVersion !== undefined) {
        this.#writer.sendError(ex, badVersion);
        return;
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.#writer.sendError(ex, invalidJson());
      return;
    }
    if (route.op === "responses") {
      this.#responses.create(ex, json, route.apiVersion);
      return;
    }
    this.#api.answer(ex, route, json);
  }

  #timing(): Timing {
    const f = this.faults.current;
    return this.#latency.sample(f.slowFactor ?? 1, f.slowStartMs ?? 0);
  }
}
