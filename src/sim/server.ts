import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { type AuthConfig, checkAuth } from "./auth.js";
import { type ChatRequest, type EmbeddingsRequest, parseChatBody, parseEmbeddingsBody } from "./body.js";
import { type ChatPlan, renderCompletion, renderStream, type StreamEvent } from "./chat.js";
import type { Clock } from "./clock.js";
import { choiceTokens, planChoice } from "./content.js";
import { isEmbeddingModel, nativeDimensions, renderEmbeddings, supportsDimensions } from "./embeddings.js";
import {
  deploymentNotFound,
  type Flavor,
  injectedError,
  insufficientQuota,
  invalidJson,
  invalidParam,
  missingParam,
  modelNotFound,
  type Operation,
  type RateLimitContext,
  rateLimited,
  unauthorized,
  type WireError,
  wrongOperation,
} from "./errors.js";
import { DEFAULT_INJECTED_RETRY_AFTER_MS, FaultState } from "./faults.js";
import { LatencyModel, TIMER_RESOLUTION_MS, type Timing, totalDelayMs } from "./latency.js";
import { type Admission, DEFAULT_OUTPUT_CHARGE, EndpointLimiter, type LimitsConfig } from "./limits.js";
import { Listener } from "./listener.js";
import type { Faults, LatencyConfig } from "./options.js";
import { deriveSeed, hashString, mulberry32, type Rng, randomBase62, randomHex, randomUuid } from "./prng.js";
import { PromptCache, promptCacheKeyOf, promptCacheRetentionOf, withCachedPrefix } from "./prompt-cache.js";
import { ResponsesApi } from "./responses/api.js";
import { matchRoute } from "./routes.js";
import { StatsRecorder } from "./stats.js";
import { countChatTokens, countToolTokens, imageTokens, type TokenCounter } from "./tokens.js";
import { checkAzureApiVersion } from "./validation/api-versions.js";
import { checkChatFits, checkEmbeddingFits, checkModelParams } from "./validation/models.js";

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

/** One HTTP exchange from request to close. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly started: number;
  status: number;
  admitted: boolean;
  closed: boolean;
  timer: NodeJS.Timeout | undefined;
  rateHeaders: Record<string, string> | undefined;
}

type Served = {
  readonly op: Operation;
  readonly deployment: string | undefined;
  readonly apiVersion: string;
};

const MODEL_CREATED = 1_700_000_000;

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
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #latency: LatencyModel;
  readonly #ids: Rng;
  readonly #fingerprints = new Map<string, string>();
  readonly #auth: AuthConfig;
  readonly #listener: Listener;
  /** Per endpoint: the prompt prefixes this endpoint has seen (chat and Responses share it). */
  readonly #cache: PromptCache;
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
    this.#ids = mulberry32(deriveSeed(config.seed, config.name, "ids"));
    this.#auth = { flavor: config.flavor, apiKey: config.apiKey, bearerPrefix: config.bearerPrefix };
    this.#server = createServer((req, res) => this.#guard(req, res, () => this.#onRequest(req, res)));
    this.#server.on("connection", (socket: Socket) => this.#onConnection(socket));
    this.#listener = new Listener(this.#server, config.host, config.name, () => {
      for (const socket of this.#sockets) socket.resetAndDestroy();
    });
    this.#cache = new PromptCache({ now: config.now });
    this.#responses = new ResponsesApi<Exchange>({
      flavor: config.flavor,
      seed: config.seed,
      name: config.name,
      now: config.now,
      tokens: config.tokens,
      cache: this.#cache,
      resolveModel: (model) =>
        this.#resolveModel({ op: "responses", deployment: undefined, apiVersion: "" }, model),
      admit: (ex, charge, rl) => this.#admit(ex, charge, rl),
      hanging: () => this.faults.current.hang === true,
      failAfterChunks: () => this.faults.current.responseFailedAfterChunks,
      timing: () => this.#timing(),
      after: (ex, ms, fn) => this.#after(ex, ms, fn),
      send: (ex, status, body) => this.#send(ex, status, body),
      sendError: (ex, error) => this.#sendError(ex, error),
      stream: (ex, events, promptTokens, timing) => this.#streamEvents(ex, events, promptTokens, timing),
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
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
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
      this.#sendError(ex, route);
      return;
    }
    const auth = checkAuth(this.#auth, req.headers);
    if (auth !== "ok") {
      this.#sendError(ex, unauthorized(this.config.flavor, auth === "invalid"));
      return;
    }
    if (route.op === "list-models" || route.op === "get-model") {
      this.#models(ex, route);
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
    this.#clearTimer(ex);
    if (ex.status === 0) this.stats.dropped++;
    if (ex.admitted) this.stats.leave();
  }

  #onBody(ex: Exchange, route: Served, raw: string): void {
    if (ex.closed) return;
    if (this.config.flavor === "azure") {
      // Checked before the body, as Azure's gateway does; the v1 surface has no deployment in the path.
      const badVersion = checkAzureApiVersion(route.apiVersion, route.deployment === undefined);
      if (badVersion !== undefined) {
        this.#sendError(ex, badVersion);
        return;
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.#sendError(ex, invalidJson());
      return;
    }
    if (route.op === "responses") {
      this.#responses.create(ex, json, route.apiVersion);
      return;
    }
    const requireModel = route.deployment === undefined;
    const parsed =
      route.op === "chat"
        ? parseChatBody(json, requireModel, this.config.flavor === "azure")
        : parseEmbeddingsBody(json, requireModel, this.config.flavor === "azure");
    if ("status" in parsed) {
      this.#sendError(ex, parsed);
      return;
    }
    const model = this.#resolveModel(route, parsed.model);
    if (typeof model !== "string") {
      this.#sendError(ex, model);
      return;
    }
    const responseModel = this.config.flavor === "openai" ? (parsed.model ?? model) : model;
    const rl: RateLimitContext = {
      flavor: this.config.flavor,
      op: route.op,
      model: responseModel,
      apiVersion: route.apiVersion,
    };
    if ("messages" in parsed) this.#chat(ex, parsed, responseModel, rl, json);
    else this.#embeddings(ex, parsed, model, rl);
  }

  #resolveModel(route: Served, bodyModel: string | undefined): string | WireError {
    const { flavor, catalog } = this.config;
    let model: string | undefined;
    if (flavor === "openai") {
      if (bodyModel === undefined) return missingParam("model");
      model = catalog.get(bodyModel);
      if (model === undefined) return modelNotFound(bodyModel);
    } else {
      const deployment = route.deployment ?? bodyModel;
      if (deployment === undefined) return missingParam("model");
      model = catalog.get(deployment);
      if (model === undefined) return deploymentNotFound();
    }
    if ((route.op === "embeddings") !== isEmbeddingModel(model))
      return wrongOperation(flavor, route.op, model);
    return model;
  }

  #chat(ex: Exchange, req: ChatRequest, model: string, rl: RateLimitContext, body?: unknown): void {
    // Tool definitions and image parts count toward the prompt, as on the services.
    let promptTokens =
      countChatTokens(this.config.tokens, req.messages) + countToolTokens(this.config.tokens, req.tools);
    for (const detail of req.images) promptTokens += imageTokens(detail);
    const tooLong =
      checkModelParams(model, req.modelParams) ??
      checkChatFits(model, promptTokens, req.maxTokens, req.maxTokensParam);
    if (tooLong !== undefined) {
      this.#sendError(ex, tooLong);
      return;
    }
    if (!this.#admit(ex, promptTokens + (req.maxTokens ?? DEFAULT_OUTPUT_CHARGE), rl)) return;
    if (this.faults.current.hang) return;
    const cachedTokens = this.#cache.use(
      model,
      req.messages,
      promptTokens,
      promptCacheKeyOf(body),
      promptCacheRetentionOf(body),
    );

    let promptKey = "";
    for (const m of req.messages) promptKey += `${m.role}\u0001${m.text}\u0002`;
    const choices = [];
    let completionTokens = 0;
    let longest = 0;
    const format = req.responseFormat;
    for (let i = 0; i < req.n; i++) {
      const choice = planChoice(this.config.seed, promptKey, i, { ...req, format });
      const tokens = choiceTokens(choice);
      choices.push(choice);
      completionTokens += tokens;
      longest = Math.max(longest, tokens);
    }
    const plan: ChatPlan = {
      id: `chatcmpl-${randomBase62(this.#ids, 29)}`,
      created: Math.floor(this.config.now() / 1000),
      model,
      fingerprint: this.#fingerprint(model),
      choices,
      promptTokens,
      completionTokens,
      azure: this.config.flavor === "azure",
      includeUsage: req.includeUsage,
      cachedTokens,
    };
    const timing = withCachedPrefix(this.#timing(), cachedTokens, promptTokens);
    if (req.stream) {
      this.#stream(ex, plan, timing);
      return;
    }

    const answer = () => {
      this.stats.promptTokens += promptTokens;
      this.stats.completionTokens += completionTokens;
      this.#send(ex, 200, renderCompletion(plan));
    };
    this.#after(ex, totalDelayMs(timing, longest), answer);
  }

  #embeddings(ex: Exchange, req: EmbeddingsRequest, model: string, rl: RateLimitContext): void {
    const native = nativeDimensions(model);
    const badDimensions = checkDimensions(model, req.dimensions, native);
    if (badDimensions !== undefined) {
      this.#sendError(ex, badDimensions);
      return;
    }
    let promptTokens = 0;
    const perInput: number[] = [];
    for (const input of req.inputs) {
      const tokens = typeof input === "string" ? this.config.tokens.count(input) : input.length;
      perInput.push(tokens);
      promptTokens += tokens;
    }
    const tooLong = checkEmbeddingFits(model, perInput);
    if (tooLong !== undefined) {
      this.#sendError(ex, tooLong);
      return;
    }
    if (!this.#admit(ex, promptTokens, rl)) return;
    if (this.faults.current.hang) return;

    const body = () => {
      this.stats.promptTokens += promptTokens;
      return renderEmbeddings({
        seed: this.config.seed,
        model,
        inputs: req.inputs,
        dims: req.dimensions ?? native,
        encodingFormat: req.encodingFormat,
        promptTokens,
      });
    };
    const timing = this.#timing();
    this.#after(ex, timing.startMs + timing.ttftMs, () => this.#send(ex, 200, body()));
  }

  /**
   * Applies faults, then limits. Returns true when the request is admitted (charged and counted in
   * flight); otherwise the answer (or reset) has been sent. Faulted and refused requests cost nothing.
   */
  #admit(ex: Exchange, charge: number, rl: RateLimitContext): boolean {
    const faults = this.faults;
    if (faults.drawReset()) {
      ex.req.socket.resetAndDestroy();
      return false;
    }
    const storm = faults.stormRemainingMs();
    if (storm > 0) {
      this.#sendError(ex, rateLimited(rl, { kind: "fault", retryAfterMs: storm }));
      return false;
    }
    if (faults.current.insufficientQuota) {
      this.#sendError(ex, insufficientQuota());
      return false;
    }
    const injected = faults.drawError();
    if (injected !== undefined) {
      const retryAfterMs = faults.current.errorRetryAfterMs ?? DEFAULT_INJECTED_RETRY_AFTER_MS;
      this.#sendError(ex, injectedError(rl, injected, retryAfterMs));
      return false;
    }
    const verdict = this.limiter.admit(charge, this.stats.inflight);
    if (!verdict.ok) {
      this.#sendError(ex, this.#refusal(verdict, charge, rl));
      return false;
    }
    if (this.limiter.hasRateLimits) ex.rateHeaders = this.limiter.headers(this.config.flavor);
    ex.admitted = true;
    this.stats.enter();
    return true;
  }

  /** The 429 for a request the limiter refused, quoting the limit it hit. */
  #refusal(verdict: Exclude<Admission, { ok: true }>, charge: number, rl: RateLimitContext): WireError {
    const { requests, tokens, config } = this.limiter;
    switch (verdict.reason) {
      case "tokens-too-large":
        return rateLimited(rl, { kind: verdict.reason, limit: config.tpm ?? 0, requested: charge });
      case "concurrency":
        return rateLimited(rl, {
          kind: verdict.reason,
          retryAfterMs: verdict.retryAfterMs,
          limit: config.concurrency,
        });
      case "requests":
      case "tokens": {
        const byTokens = verdict.reason === "tokens";
        const bucket = byTokens ? tokens : requests;
        return rateLimited(rl, {
          kind: verdict.reason,
          retryAfterMs: verdict.retryAfterMs,
          limit: byTokens ? config.tpm : config.rpm,
          used: bucket === undefined ? undefined : Math.ceil(bucket.capacity - bucket.level()),
          requested: byTokens ? charge : 1,
        });
      }
    }
  }

  #timing(): Timing {
    const f = this.faults.current;
    return this.#latency.sample(f.slowFactor ?? 1, f.slowStartMs ?? 0);
  }

  #stream(ex: Exchange, plan: ChatPlan, timing: Timing): void {
    this.#streamEvents(ex, renderStream(plan), plan.promptTokens, timing);
  }

  /** Streams SSE events on the latency model's schedule (chat chunks or Responses events). */
  #streamEvents(ex: Exchange, all: readonly StreamEvent[], promptTokens: number, timing: Timing): void {
    const cutAfter = this.faults.current.resetMidStreamAfterChunks;
    let events = all;
    let cut = false;
    if (cutAfter !== undefined) {
      let seen = 0;
      const at = events.findIndex((e) => e.kind === "content" && seen++ === cutAfter);
      if (at !== -1) {
        events = events.slice(0, at);
        cut = true;
      }
    }
    const due = (e: StreamEvent) =>
      e.kind === "preamble" ? 0 : timing.ttftMs + e.position * timing.perTokenMs;

    const start = () => {
      if (ex.closed) return;
      const headers = this.#headers(ex, "text/event-stream; charset=utf-8");
      headers["cache-control"] = "no-cache";
      this.#head(ex, 200, headers);
      this.stats.promptTokens += promptTokens;
      const t0 = performance.now();
      let next = 0;
      // Writes every event already due in one write, then sleeps until the next one: one timer per
      // batch rather than per token, and none at all when the latency is zero.
      const pump = () => {
        if (ex.closed) return;
        const elapsed = performance.now() - t0;
        let batch = "";
        let tokens = 0;
        // An event due within the timer resolution goes now: a timer could only make it later.
        while (next < events.length && due(events[next]!) < elapsed + TIMER_RESOLUTION_MS) {
          const e = events[next++]!;
          batch += e.data;
          if (e.kind === "content") tokens++;
        }
        this.stats.completionTokens += tokens;
        if (next < events.length) {
          if (batch !== "") ex.res.write(batch);
          this.#later(ex, pump, due(events[next]!) - elapsed);
        } else if (cut) {
          const socket = ex.req.socket;
          // Destroy only once the chunks are handed to the kernel, so the client does receive them.
          ex.res.write(batch, () => socket.destroy());
        } else {
          ex.res.end(batch);
        }
      };
      pump();
    };
    this.#after(ex, timing.startMs, start);
  }

  #models(
    ex: Exchange,
    route: { readonly op: "list-models" } | { readonly op: "get-model"; readonly id: string },
  ): void {
    const ids = [...this.config.catalog.keys()];
    const model = (id: string) => ({ id, object: "model", created: MODEL_CREATED, owned_by: "system" });
    if (route.op === "list-models") {
      this.#send(ex, 200, JSON.stringify({ object: "list", data: ids.map(model) }));
      return;
    }
    if (!this.config.catalog.has(route.id)) {
      this.#sendError(ex, modelNotFound(route.id));
      return;
    }
    this.#send(ex, 200, JSON.stringify(model(route.id)));
  }

  #fingerprint(model: string): string {
    let fp = this.#fingerprints.get(model);
    if (fp === undefined) {
      fp = `fp_${hashString(model, this.config.seed).toString(16).padStart(8, "0")}`;
      this.#fingerprints.set(model, fp);
    }
    return fp;
  }

  #headers(ex: Exchange, contentType: string): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {
      "content-type": contentType,
      "openai-processing-ms": String(Math.max(0, Math.round(this.config.now() - ex.started))),
      "x-sim-endpoint": this.config.name,
    };
    if (this.config.flavor === "azure") {
      const id = randomUuid(this.#ids);
      headers["apim-request-id"] = id;
      headers["x-request-id"] = id;
    } else {
      headers["x-request-id"] = `req_${randomHex(this.#ids, 32)}`;
    }
    const rate =
      ex.rateHeaders ?? (this.limiter.hasRateLimits ? this.limiter.headers(this.config.flavor) : undefined);
    if (rate !== undefined) Object.assign(headers, rate);
    return headers;
  }

  #head(ex: Exchange, status: number, headers: OutgoingHttpHeaders): void {
    ex.status = status;
    this.stats.status(status);
    ex.res.writeHead(status, headers);
  }

  #send(ex: Exchange, status: number, body: string, extra?: Readonly<Record<string, string>>): void {
    if (ex.closed) return;
    const headers = this.#headers(ex, "application/json");
    if (extra !== undefined) Object.assign(headers, extra);
    // writeHead renders the header block at once, so without an explicit length Node would chunk.
    headers["content-length"] = Buffer.byteLength(body);
    this.#head(ex, status, headers);
    ex.res.end(body);
  }

  #sendError(ex: Exchange, error: WireError): void {
    this.#send(ex, error.status, error.body, error.headers);
  }

  /**
   * Runs `fn` after `ms`; synchronously when the delay is below the timer resolution (Node's timers
   * wait at least 1 ms, so a 0.1 ms delay would otherwise cost a whole millisecond).
   */
  #after(ex: Exchange, ms: number, fn: () => void): void {
    if (ms < TIMER_RESOLUTION_MS) fn();
    else this.#later(ex, fn, ms);
  }

  #later(ex: Exchange, fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      ex.timer = undefined;
      fn();
    }, ms);
    this.#timers.add(timer);
    ex.timer = timer;
  }

  #clearTimer(ex: Exchange): void {
    if (ex.timer === undefined) return;
    clearTimeout(ex.timer);
    this.#timers.delete(ex.timer);
    ex.timer = undefined;
  }
}

function checkDimensions(
  model: string,
  dimensions: number | undefined,
  native: number,
): WireError | undefined {
  if (dimensions === undefined) return undefined;
  if (!supportsDimensions(model)) {
    return invalidParam("dimensions", "This model does not support specifying dimensions.");
  }
  if (dimensions > native) {
    return invalidParam(
      "dimensions",
      `Invalid 'dimensions': integer above maximum value. Expected a value <= ${native}.`,
    );
  }
  return undefined;
}
