import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources/embeddings";
import type {
  ResponseCreateParamsStreaming,
  Response as ResponseObject,
} from "openai/resources/responses/responses";
import {
  asyncScheduler,
  defer,
  map,
  Observable,
  type OperatorFunction,
  ReplaySubject,
  type SchedulerLike,
  Subject,
  type Subscription,
  shareReplay,
  takeUntil,
  timer,
} from "rxjs";
import { Affinity, affinityKeyOf } from "./affinity/affinity.js";
import { modelsOf, parseConfig, type ResolvedConfig, type RouterConfig } from "./config.js";
import { createBottleneckGate, loadBottleneck } from "./dispatch/bottleneck-gate.js";
import type { ChatStream, StreamEnd } from "./dispatch/chat-stream.js";
import { Deadlines } from "./dispatch/deadlines.js";
import { createHttpPool, type HttpPool } from "./dispatch/http-pool.js";
import type { Job, JobBody, JobOp } from "./dispatch/job.js";
import { type Admission, Lane } from "./dispatch/lane.js";
import { createNativeGate } from "./dispatch/lane-gate.js";
import { ModelQueues } from "./dispatch/model-queues.js";
import type { RoutedStream } from "./dispatch/routed-stream.js";
import { type Assignment, type StuckReason, selectLane } from "./dispatch/select-lane.js";
import { sdkTransport, type Transport, type UpstreamResult } from "./dispatch/transport.js";
import {
  AbortedError,
  AffinityUnavailableError,
  AllEndpointsFailedError,
  type AttemptRecord,
  DeadlineExceededError,
  NoEndpointForModelError,
  QueueFullError,
  RequestInvalidError,
  RequestTooLargeError,
  ResponseInvalidError,
  RouterClosedError,
  RouterError,
  StreamInterruptedError,
  UpstreamError,
} from "./errors.js";
import type { RouterEvent } from "./events.js";
import { createRouterFetch, type RouterFetch } from "./fetch/router-fetch.js";
import { type BudgetStore, InMemoryBudgetStore } from "./limits/budget-store.js";
import { createSharedBudgetStore } from "./limits/shared/create.js";
import type { OwnershipStore } from "./limits/shared/ownership.js";
import { RedisBudgetStore } from "./limits/shared/redis-budget-store.js";
import type { RedisClientLike } from "./limits/shared/redis-port.js";
import { createTokenEstimator, type TokenEstimator } from "./limits/token-estimate.js";
import { collectMetrics } from "./metrics/collect.js";
import { streamModelOf } from "./metrics/otel/describe.js";
import { createRouterInstrument, type RouterInstrument } from "./metrics/otel/instrument.js";
import { describe as describeValue } from "./operations/chat.js";
import { conversationOf } from "./operations/responses.js";
import { createResponsesApi, type RouterResponses } from "./operations/responses-api.js";
import { isRecord, NO_PROBLEMS } from "./operations/shape.js";
import { type StoredTarget, storedOp, validateTarget } from "./operations/stored.js";
import type { OpenedStream, Surface } from "./operations/surface.js";
import { SURFACES } from "./operations/surfaces.js";
import { fullJitterBackoff } from "./resilience/backoff.js";
import { classifyFailure, type Failure } from "./resilience/classify.js";
import { scrubError } from "./resilience/redact.js";
import { RouterPromise } from "./router-promise.js";
import { createStrategy } from "./strategies/index.js";
import type { RequestKind, Strategy } from "./strategies/types.js";
import type {
  Completion,
  CompletionKind,
  CompletionResponse,
  RouterCallOptions,
  RouterMetrics,
  RouterRequest,
  Usage,
} from "./types.js";

/** Extra collaborators that are not plain config (kept out of the zod schema on purpose). */
export interface RouterDependencies {
  /** Where budgets and cooldowns live. @default an in-process store */
  readonly budgetStore?: BudgetStore;
  /** Makes the upstream calls. @default the official SDK client of each endpoint */
  readonly transport?: Transport;
  /**
   * A node-redis client (connected or not) for the shared store: budgets, cooldowns and learned limits
   * shared by every router process on the same `redis.keyPrefix`. The router never closes it.
   * @default a client for `redis.url` when `redis` is configured
   */
  readonly redis?: RedisClientLike;
  /**
   * Where owners of stored responses are shared between router processes (hard affinity across
   * replicas). @default the Redis store's, when `redis` is configured; else this process only
   */
  readonly ownership?: OwnershipStore;
}

interface JobHandle extends Job {
  readonly arrivedAt: number;
  /** Failed attempts on the current model that count toward `retry.maxAttempts` (plain 429s wait instead). */
  modelAttempts: number;
  /** Its place among the router's deadlines (see `Deadlines`): they fire whatever the job is doing then. */
  deadlineSlot: number;
  /** The retry timer while the job waits between attempts (backoff). */
  timer: Subscription | undefined;
  /** The running stream's controller, once its headers arrived: what the deadline aborts. */
  upstream: AbortController | undefined;
  /** Set when the router stopped the job (its deadline): what a stream's consumer is told. */
  stopReason: RouterError | undefined;
  /** The running attempt's SDK timeout is the request's deadline (it was shorter than attemptTimeoutMs). */
  timeoutIsDeadline: boolean;
  /** What the last failed attempt threw: the cause when the request fails without another attempt. */
  lastError: unknown;
  /** The one outcome, with the upstream's response headers when there were any (`router.fetch` passes some on). */
  deliver: (completion: Completion, headers?: Headers) => void;
  /** Streams: called once the first content chunk arrived (the promise API resolves here). */
  started:
    | ((stream: RoutedStream<never>, endpoint: string, headers: Headers | undefined) => void)
    | undefined;
  /** A call on a stored response: which one. */
  target: StoredTarget | undefined;
  /** The response or conversation id that pins the job to its owner (what AFFINITY_UNAVAILABLE names). */
  ref: string | undefined;
  /** Its soft-affinity key (prompt_cache_key, user, or the caller's `affinityKey`), scoped by model. */
  affinityKey: string | undefined;
  onAbort: (() => void) | undefined;
  endpoint: string | undefined;
  /** What the instrument captured at arrival (the caller's trace context); undefined when not instrumented. */
  begun: unknown;
  /** A stream's model as its first items said (set at its first content; its attempt records it). */
  responseModel?: string | undefined;
}

type Outcome =
  | {
      ok: true;
      endpoint: string;
      response: CompletionResponse;
      usage: Usage | undefined;
      headers?: Headers | undefined;
    }
  | { ok: false; error: RouterError };

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");
/** Shared by every request without a fallback chain; never written (`shift` runs only when non-empty). */
const NO_FALLBACKS: string[] = [];

/**
 * Creates a router over the configured endpoints.
 * @example
 * const router = createRouter({
 *   strategy: "usage-based",
 *   endpoints: [
 *     { name: "east", type: "azure", endpoint: "https://east.openai.azure.com", apiKey: process.env.EAST_KEY,
 *       deployments: { "gpt-4o": "gpt4o-east" }, limits: { rpm: 600, tpm: 100_000 } },
 *     { name: "oai", type: "openai", apiKey: process.env.OPENAI_API_KEY, models: ["gpt-4o"] },
 *   ],
 * });
 * const res = await router.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
 * @throws ConfigError (`CONFIG_INVALID`) listing every problem with its path.
 */
export function createRouter(config: RouterConfig, dependencies: RouterDependencies = {}): Router {
  return new Router(config, dependencies);
}

/**
 * The router: one central queue in front of every endpoint, a strategy choosing among the lanes that
 * can admit a request now, retries and failover, and live metrics. Create it with {@link createRouter}.
 */
export class Router {
  /** Push requests here; each gets exactly one outcome on `completions$`. */
  readonly requests = new Subject<RouterRequest>();
  /** The outcome of every request the router handles, whichever API it came through. */
  readonly completions$: Observable<Completion>;
  /** What happens inside: dispatches, retries, failovers, cooldowns, breaker transitions, learned limits. */
  readonly events$: Observable<RouterEvent>;
  /** Live snapshots of every endpoint and the queue, every `metricsIntervalMs`; replays the latest. */
  readonly metrics$: Observable<RouterMetrics>;
  /** The SDK-shaped chat API. */
  readonly chat: {
    readonly completions: {
      /**
       * A chat completion, as the SDK's `client.chat.completions.create`: overloads on `stream`, the
       * SDK's result types, `.withResponse()` / `.asResponse()` on the promise (see {@link RouterPromise}).
       * @example
       * const res = await router.chat.completions.create({ model: "gpt-4o", messages });
       * const stream = await router.chat.completions.create({ model: "gpt-4o", messages, stream: true });
       * @throws RouterError (see its codes) — the promise rejects with it.
       */
      create(
        body: ChatCompletionCreateParamsNonStreaming,
        options?: RouterCallOptions,
      ): RouterPromise<ChatCompletion>;
      create(
        body: ChatCompletionCreateParamsStreaming,
        options?: RouterCallOptions,
      ): RouterPromise<ChatStream>;
      create(
        body: ChatCompletionCreateParamsBase,
        options?: RouterCallOptions,
      ): RouterPromise<ChatStream | ChatCompletion>;
    };
  };
  /** The SDK-shaped embeddings API. */
  readonly embeddings: {
    /**
     * Embeddings, as the SDK's `client.embeddings.create`.
     * @example
     * const emb = await router.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
     * @throws RouterError (see its codes) — the promise rejects with it.
     */
    create(body: EmbeddingCreateParams, options?: RouterCallOptions): RouterPromise<CreateEmbeddingResponse>;
  };
  /** The SDK-shaped Responses API, with hard affinity for stored responses (see {@link RouterResponses}). */
  readonly responses: RouterResponses;
  /**
   * A WHATWG `fetch` that routes requests in openai.com's shape (`POST …/chat/completions`,
   * `…/embeddings`, `GET …/models`) against any base URL, so OpenAI clients and frameworks use the
   * router unchanged. Errors come back as OpenAI-style error bodies; `init.signal` cancels.
   * @example
   * const client = new OpenAI({ apiKey: "unused", baseURL: "http://router.invalid/v1", fetch: router.fetch });
   * createOpenAI({ apiKey: "unused", fetch: router.fetch });               // @ai-sdk/openai
   * new ChatOpenAI({ model: "gpt-4o", apiKey: "unused", configuration: { fetch: router.fetch } });
   */
  readonly fetch: RouterFetch;

  private readonly config: ResolvedConfig;
  private readonly lanes: readonly Lane[];
  private readonly scheduler: SchedulerLike;
  private readonly rng: () => number;
  private readonly store: BudgetStore;
  private readonly estimator: TokenEstimator;
  private readonly queue: ModelQueues;
  private readonly jobs = new Subject<Job>();
  private readonly eventsSubject = new Subject<RouterEvent>();
  private readonly completionsSubject = new Subject<Completion>();
  private readonly closed$ = new ReplaySubject<void>(1);
  private readonly live = new Set<JobHandle>();
  private readonly deadlines: Deadlines<JobHandle>;
  private readonly servedModels: ReadonlySet<string>;
  private readonly secrets: string[];
  /** Recent bearer tokens from `azureADTokenProvider`s (see `redact`). */
  private readonly tokens: string[] = [];
  private readonly backoff: (retry: number, rng: () => number) => number;
  private readonly subscriptions: Subscription[] = [];
  private readonly strategyName: string;
  private readonly pool: HttpPool | undefined;
  /** OpenTelemetry spans and metrics (metrics/otel); undefined when off, then it costs one check per request. */
  private readonly instrument: RouterInstrument | undefined;
  private readonly transport: Transport;
  private seq = 0;
  private readonly idPrefix: string;
  /** Largest TPM bucket among each model's lanes, for REQUEST_TOO_LARGE; dropped when a limit is learned. */
  private readonly largestBudgets = new Map<string, number>();
  /** Owners of stored responses and conversations; endpoints of soft-affinity keys. */
  private readonly affinity: Affinity;
  private readonly laneById: ReadonlyMap<string, Lane>;
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  /** The shared store the router created from `redis` (closed with the router: its leases go back). */
  private readonly ownedStore: BudgetStore | undefined;
  private readonly unwatchStore: (() => void) | undefined;

  /** Prefer {@link createRouter}. */
  constructor(input: RouterConfig, dependencies: RouterDependencies = {}) {
    const config = parseConfig(input);
    this.config = config;
    this.scheduler = config.scheduler ?? asyncScheduler;
    this.rng = config.rng ?? Math.random;
    this.ownedStore = dependencies.budgetStore
      ? undefined
      : createSharedBudgetStore({
          config: config.redis,
          client: dependencies.redis,
          throttle: config.throttle,
          scheduler: this.scheduler,
        });
    this.store =
      dependencies.budgetStore ?? this.ownedStore ?? new InMemoryBudgetStore({ throttle: config.throttle });
    this.transport = dependencies.transport ?? sdkTransport;
    this.estimator = createTokenEstimator({ defaultOutputTokens: config.defaultOutputTokens });
    this.queue = new ModelQueues(config.queue.agingMs);
    this.deadlines = new Deadlines<JobHandle>(this.scheduler, (job) => this.onDeadline(job));
    this.backoff = fullJitterBackoff({ baseMs: config.retry.baseDelayMs, maxMs: config.retry.maxDelayMs });
    this.secrets = config.endpoints.flatMap((e) => (e.apiKey ? [e.apiKey] : []));
    const Bottleneck = config.lanes.engine === "bottleneck" ? loadBottleneck() : undefined;
    const now = () => this.scheduler.now();
    this.idPrefix = `req_${Math.floor(this.rng() * 36 ** 6).toString(36)}_`;
    const emit = (event: RouterEvent) => {
      if (event.type === "limits-learned") this.largestBudgets.clear();
      this.eventsSubject.next(event);
    };
    this.pool = config.fetch ? undefined : createHttpPool({ bodyTimeoutMs: config.attemptTimeoutMs });
    const fetchImpl = config.fetch ?? (this.pool as HttpPool).fetch;
    this.lanes = config.endpoints.map((endpoint, index) => {
      const limit = endpoint.limits?.concurrency ?? Number.POSITIVE_INFINITY;
      const gate = Bottleneck ? createBottleneckGate(limit, Bottleneck) : createNativeGate(limit);
      return new Lane(endpoint, index, {
        config,
        store: this.store,
        gate,
        now,
        emit,
        fetch: fetchImpl,
        // Entra ID tokens are secrets too: remember the latest few, so they are redacted like keys.
        onToken: (token) => {
          if (this.secrets.includes(token)) return;
          this.tokens.push(token);
          if (this.tokens.length > 8) this.tokens.shift();
        },
      });
    });
    this.servedModels = new Set(config.endpoints.flatMap(modelsOf));
    const sharedOwners =
      dependencies.ownership ??
      (this.ownedStore instanceof RedisBudgetStore ? this.ownedStore.ownership() : undefined);
    this.affinity = new Affinity(config.affinity, sharedOwners);
    this.laneById = new Map(this.lanes.map((lane) => [lane.id, lane]));
    // A store that changes on its own (leases arriving, Redis down or up) wakes the queue and reports.
    const laneById = new Map(this.lanes.map((lane) => [lane.id, lane]));
    this.unwatchStore = this.store.watch?.((signal) =>
      signal.type === "available" ? laneById.get(signal.lane)?.announce() : emit(signal.event),
    );
    this.instrument = createRouterInstrument(config.instrument, config.endpoints, () => this.snapshot());
    this.strategyName = typeof config.strategy === "function" ? "custom" : config.strategy;
    const strategy: Strategy =
      typeof config.strategy === "function"
        ? config.strategy
        : createStrategy(config.strategy, {
            within: config.priorityWithin,
            explorationInterval: config.latency.explorationInterval,
          });

    this.events$ = this.eventsSubject.asObservable();
    this.completions$ = this.completionsSubject.asObservable();
    this.metrics$ = defer(() => timer(0, config.metricsIntervalMs, this.scheduler)).pipe(
      map(() => this.snapshot()),
      takeUntil(this.closed$),
      shareReplay({ bufferSize: 1, refCount: true }),
    );

    this.subscriptions.push(
      this.jobs
        .pipe(
          selectLane({
            lanes: this.lanes,
            strategy,
            queue: this.queue,
            maxQueueSize: config.queue.maxSize,
            scheduler: this.scheduler,
            rng: this.rng,
            onStuck: (job, reason) => this.onStuck(job as JobHandle, reason),
          }),
        )
        .subscribe((assignment) => this.execute(assignment)),
      this.requests.subscribe((request) => this.submitRequest(request, undefined)),
    );

    const create = (body: ChatCompletionCreateParamsBase, options?: RouterCallOptions) =>
      isStreamed(body)
        ? this.createStream(body as ChatCompletionCreateParamsStreaming, options)
        : this.call("chat", body as ChatCompletionCreateParamsNonStreaming, options);
    this.chat = {
      completions: { create: create as Router["chat"]["completions"]["create"] },
    };
    this.embeddings = {
      create: (body, options) =>
        this.call("embeddings", body, options) as RouterPromise<CreateEmbeddingResponse>,
    };
    this.responses = createResponsesApi({
      call: (op, body, options, target) => this.call(op, body as JobBody, options, target),
      stream: (body, options) => this.createStream(body, options, "responses"),
    });
    this.fetch = createRouterFetch({
      submit: (kind, body, options, deliver, started, op, target) =>
        this.submit(kind, body as JobBody, options, deliver, started, op, target),
      models: [...this.servedModels],
      redact: this.redact,
    });
  }

  /**
   * The operator form of `requests`: each request in, its outcome out; completes when the source
   * has completed and every request has its outcome.
   * @example
   * from(batch).pipe(router.route()).subscribe((c) => console.log(c.id, c.ok));
   */
  route(): OperatorFunction<RouterRequest, Completion> {
    return (source) =>
      new Observable<Completion>((subscriber) => {
        let pending = 0;
        let sourceDone = false;
        const sub = source.subscribe({
          next: (request) => {
            pending += 1;
            this.submitRequest(request, (completion) => {
              subscriber.next(completion);
              pending -= 1;
              if (sourceDone && pending === 0) subscriber.complete();
            });
          },
          error: (error) => subscriber.error(error),
          complete: () => {
            sourceDone = true;
            if (pending === 0) subscriber.complete();
          },
        });
        return () => sub.unsubscribe();
      });
  }

  /**
   * A streamed chat completion as an Observable of chunks. Unsubscribing stops the request.
   * @example
   * router.stream({ model: "gpt-4o", messages }).subscribe((chunk) => …);
   */
  stream(
    body: Omit<ChatCompletionCreateParamsStreaming, "stream"> & { stream?: true },
    options: RouterCallOptions = {},
  ): Observable<ChatCompletionChunk> {
    return new Observable<ChatCompletionChunk>((subscriber) => {
      const controller = new AbortController();
      // Whatever the caller passed, nothing throws here: what cannot be read or is of the wrong type
      // goes on as it is, and the intake answers REQUEST_INVALID (one outcome, like any request).
      let outer: AbortSignal | undefined;
      let forwarded: RouterCallOptions = options;
      let streamed: unknown = body;
      try {
        const signal = isRecord(options) ? options.signal : undefined;
        if (signal === undefined || isAbortSignal(signal)) {
          outer = signal;
          forwarded = { ...options, signal: controller.signal };
        }
        if (isRecord(body)) streamed = { ...body, stream: true };
      } catch {
        // reported by the intake, which reads the same fields
      }
      const forward = () => controller.abort(outer?.reason);
      outer?.addEventListener("abort", forward, { once: true });
      if (outer?.aborted) controller.abort(outer.reason);
      this.createStream(streamed as ChatCompletionCreateParamsStreaming, forwarded)
        .then(async (stream) => {
          for await (const chunk of stream) {
            if (subscriber.closed) break;
            subscriber.next(chunk);
          }
          subscriber.complete();
        })
        .catch((error: unknown) => subscriber.error(error));
      return () => {
        outer?.removeEventListener("abort", forward);
        controller.abort();
      };
    });
  }

  /** The current state of every endpoint and the queue (what `metrics$` emits). */
  snapshot(): RouterMetrics {
    return collectMetrics(
      this.lanes,
      this.store,
      this.queue,
      this.config.queue.maxSize,
      this.live.size,
      this.scheduler.now(),
    );
  }

  /**
   * Stops intake (new requests settle with `ROUTER_CLOSED`), waits for every accepted request to settle,
   * then completes every observable and releases timers and engines.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        const cut = await this.drain();
        for (const sub of this.subscriptions) sub.unsubscribe();
        this.instrument?.close();
        this.deadlines.close();
        this.closed$.next();
        this.closed$.complete();
        this.requests.complete();
        this.jobs.complete();
        this.completionsSubject.complete();
        this.eventsSubject.complete();
        await Promise.all(this.lanes.map((lane) => lane.close()));
        this.unwatchStore?.();
        await this.ownedStore?.close?.();
        // After a cut, sockets still dripping a body are closed now rather than waited for.
        await (cut ? this.pool?.destroy() : this.pool?.close());
      })();
    }
    return this.closing;
  }

  /**
   * Waits for every accepted request to settle, at most `closeTimeoutMs`; then settles what is left
   * (queued, between attempts, in flight) with ROUTER_CLOSED and stops its streams. True if it cut:
   * `close()` then destroys the router's sockets, which ends the plain calls still in flight (a call
   * made through a `fetch` of the config's own is left to it, its outcome already given).
   */
  private async drain(): Promise<boolean> {
    if (this.live.size === 0) return false;
    let bound: Subscription | undefined;
    const cut = await new Promise<boolean>((resolve) => {
      this.drained = () => resolve(false);
      bound = this.scheduler.schedule(() => resolve(true), this.config.closeTimeoutMs);
    });
    bound?.unsubscribe();
    this.drained = undefined;
    if (!cut) return false;
    for (const job of [...this.live]) {
      if (job.state === "settled") continue;
      const error = new RouterClosedError({ closeTimeoutMs: this.config.closeTimeoutMs });
      if (job.state === "queued") this.queue.remove(job);
      job.stopReason = error;
      job.upstream?.abort();
      this.settle(job, { ok: false, error });
    }
    return true;
  }

  toString(): string {
    return `Router(${this.strategyName}; ${this.lanes.map((l) => l.id).join(", ")})`;
  }

  toJSON(): { strategy: string; endpoints: string[] } {
    return { strategy: this.strategyName, endpoints: this.lanes.map((l) => l.id) };
  }

  [inspectSymbol](): string {
    return this.toString();
  }

  // ——— intake ———

  private call(
    op: JobOp,
    body: JobBody,
    options: RouterCallOptions = {},
    target?: StoredTarget,
  ): RouterPromise<unknown> {
    return RouterPromise.start(({ resolve, reject }) => {
      this.submit(
        op === "embeddings" ? "embeddings" : "chat",
        body,
        options,
        (c, headers) => (c.ok ? resolve(c.response, headers) : reject(c.error)),
        undefined,
        op,
        target,
      );
    });
  }

  private createStream(
    body: ChatCompletionCreateParamsStreaming | ResponseCreateParamsStreaming,
    options: RouterCallOptions = {},
    // Named by the caller, never guessed from the body (which may be malformed, or not an object).
    op: JobOp = "chat",
  ): RouterPromise<ChatStream> {
    return RouterPromise.start(({ resolve, reject }) => {
      this.submit(
        "stream",
        body,
        options,
        (c) => {
          if (!c.ok) reject(c.error);
        },
        (stream, _endpoint, headers) => resolve(stream as unknown as ChatStream, headers),
        op,
      );
    });
  }

  /**
   * A request pushed into `requests` or piped through `route()`: whatever it is (not an object, no id,
   * an unknown kind, a getter that throws), nothing is thrown from here and it gets exactly one outcome.
   */
  private submitRequest(request: RouterRequest, deliver: ((c: Completion) => void) | undefined): void {
    let fields: {
      id: unknown;
      kind: unknown;
      body: unknown;
      priority: unknown;
      timeoutMs: unknown;
      signal: unknown;
    };
    try {
      if (!isRecord(request)) {
        const problem = `request: must be an object { id, kind, body } (got ${describeValue(request)})`;
        this.reject(
          this.nextId(),
          "chat",
          "",
          new RequestInvalidError("Invalid request", [problem]),
          deliver,
        );
        return;
      }
      const { id, kind, body, priority, timeoutMs, signal } = request as Record<string, unknown>;
      fields = { id, kind, body, priority, timeoutMs, signal };
    } catch (error) {
      this.reject(this.nextId(), "chat", "", unreadable("request", error), deliver);
      return;
    }
    const { id, kind, body } = fields;
    const problems: string[] = [];
    if (typeof id !== "string" || id.length === 0) problems.push("id: must be a non-empty string");
    if (kind !== "chat" && kind !== "embeddings" && kind !== "responses")
      problems.push('kind: must be "chat", "embeddings" or "responses"');
    else if (kind !== "embeddings" && isStreamed(body))
      problems.push(
        "body.stream: streamed requests go through router.stream() or chat.completions.create({ stream: true })",
      );
    if (problems.length > 0) {
      const shown: CompletionKind = kind === "embeddings" || kind === "responses" ? kind : "chat";
      const outcomeId = typeof id === "string" && id.length > 0 ? id : this.nextId();
      this.reject(
        outcomeId,
        shown,
        modelOf(body),
        new RequestInvalidError("Invalid request", problems),
        deliver,
      );
      return;
    }
    const options = {
      id: id as string,
      priority: fields.priority,
      timeout: fields.timeoutMs,
      signal: fields.signal,
    } as RouterCallOptions;
    const noop = () => undefined;
    if (kind === "responses")
      this.submit("chat", body as JobBody, options, deliver ?? noop, undefined, "responses");
    else this.submit(kind as "chat" | "embeddings", body as JobBody, options, deliver ?? noop, undefined);
  }

  private submit(
    kind: RequestKind,
    body: JobBody,
    options: RouterCallOptions,
    deliver: (c: Completion, headers?: Headers) => void,
    started:
      | ((stream: RoutedStream<never>, endpoint: string, headers: Headers | undefined) => void)
      | undefined,
    op: JobOp = kind === "embeddings" ? "embeddings" : "chat",
    target?: StoredTarget,
  ): void {
    // Options are read (and checked) before anything else: the outcome's id comes from them.
    const read = readOptions(options);
    const id = read.options.id ?? this.nextId();
    const shown = publicKind(kind, op);
    const stored = storedOp(op) !== undefined;
    if (this.closing) {
      this.reject(id, shown, modelOf(body), new RouterClosedError(), deliver);
      return;
    }
    // The body's shape is checked before anything else reads it: any malformed value is REQUEST_INVALID
    // with every problem and its path, never a TypeError, never NO_ENDPOINT_FOR_MODEL for a served model.
    const own = stored ? validateTarget(target) : bodyProblems(op, body);
    // No copy on the common path (nothing wrong): an array per request is garbage on every request.
    const problems = read.problems.length === 0 ? own : [...read.problems, ...own];
    if (problems.length > 0) {
      this.reject(id, shown, modelOf(body), new RequestInvalidError("Invalid request", problems), deliver);
      return;
    }
    // From here on, the options as checked.
    options = read.options;
    if (options.signal?.aborted) {
      this.reject(id, shown, modelOf(body), new AbortedError({ cause: options.signal.reason }), deliver);
      return;
    }
    const now = this.scheduler.now();
    // Hard affinity: a stored response (or conversation) lives on one endpoint, and so do its follow-ups.
    const ref = stored ? target?.id : responsesRef(op, body);
    const owner = ref === undefined ? undefined : this.affinity.ownerOf(ref, now);
    if (ref !== undefined && owner !== undefined && !this.laneById.has(owner.endpoint)) {
      const error = new AffinityUnavailableError(owner.endpoint, ref, "is not configured in this router");
      this.reject(id, shown, modelOf(body), error, deliver);
      return;
    }
    const model = stored ? (owner?.model ?? "") : modelOf(body);
    // Own keys only: a model named "constructor" must not find Object.prototype's.
    const chain =
      ref === undefined && Object.hasOwn(this.config.fallbacks, model)
        ? this.config.fallbacks[model]
        : undefined;
    // Copied only when there is a chain: `useFallback` consumes it, and most models have none.
    const fallbacks = chain && chain.length > 0 ? [...chain] : NO_FALLBACKS;
    let current = model;
    if (!stored) {
      while (!this.servedModels.has(current) && fallbacks.length > 0) current = fallbacks.shift() ?? current;
      if (!this.servedModels.has(current)) {
        this.reject(id, shown, model, new NoEndpointForModelError(model, [...this.servedModels]), deliver);
        return;
      }
    }
    let tokens = 0;
    if (!stored) {
      try {
        tokens = this.estimate(op, body) + (owner?.contextTokens ?? 0);
      } catch (error) {
        this.reject(id, shown, model, unreadable("body", error), deliver);
        return;
      }
    }
    const largest = stored ? Number.POSITIVE_INFINITY : this.largestTokenBudget(current);
    if (tokens > largest) {
      this.reject(id, shown, model, new RequestTooLargeError(model, tokens, largest), deliver);
      return;
    }
    const timeoutMs = options.timeout ?? this.config.timeoutMs;
    const affinityKey = stored ? undefined : softKey(current, body, options.affinityKey);
    const job: JobHandle = {
      id,
      kind,
      op,
      body: current === model ? body : { ...body, model: current },
      model: current,
      requestedModel: model,
      tokens,
      priority: options.priority ?? 0,
      seq: this.seq++,
      enqueuedAt: now,
      arrivedAt: now,
      queuedAt: now,
      deadline: now + timeoutMs,
      timeoutMs,
      signal: options.signal,
      attempts: [],
      avoid: undefined,
      fallbacks,
      state: "queued",
      pin: owner?.endpoint,
      prefer: this.affinity.preferred(affinityKey, now),
      target,
      ref,
      affinityKey,
      timer: undefined,
      modelAttempts: 0,
      deadlineSlot: -1,
      upstream: undefined,
      stopReason: undefined,
      timeoutIsDeadline: false,
      lastError: undefined,
      deliver,
      started,
      onAbort: undefined,
      endpoint: undefined,
      begun: this.instrument?.begin(),
    };
    this.live.add(job);
    this.deadlines.add(job);
    if (options.signal) {
      const signal = options.signal;
      job.onAbort = () => this.onAbort(job);
      signal.addEventListener("abort", job.onAbort, { once: true });
    }
    // Only responses and conversations can be looked up on the endpoints (an unknown item id goes as
    // usual), but any id may be in the shared store of owners.
    if (ref !== undefined && owner === undefined) {
      if (stored || this.affinity.sharesOwners || /^(resp|conv)_/.test(ref)) this.locate(job, ref);
      else this.jobs.next(job);
    } else this.jobs.next(job);
  }

  /** What a TPM limiter charges for the request: its input estimate plus its output cap. */
  private estimate(op: JobOp, body: JobBody): number {
    return SURFACES[op].estimate(body, this.estimator, this.config.defaultOutputTokens);
  }

  /**
   * An id the router has not seen (made by another process, or before a restart): asks the endpoints
   * that could hold it, one at a time, outside their budgets (a lookup is not inference), and pins the
   * job to the one that has it. Nobody has it: the job goes as usual and the service answers its 404.
   */
  private locate(job: JobHandle, ref: string): void {
    job.state = "backoff"; // out of the queue: an abort or the deadline settles it as any waiting job
    const candidates = this.lanes.filter((lane) => job.model === "" || lane.serves(job.model));
    void (async () => {
      // Another process may have recorded it: one read of the shared store before asking endpoints.
      const recorded = await this.affinity.sharedOwner(ref);
      if (job.state !== "backoff") return;
      if (recorded !== undefined && this.laneById.has(recorded)) {
        job.pin = recorded;
        this.affinity.own(
          ref,
          { endpoint: recorded, model: job.model, contextTokens: 0 },
          this.scheduler.now(),
        );
      }
      // Only responses and conversations can be looked up on the endpoints themselves.
      const askable = /^(resp|conv)_/.test(ref) ? candidates : [];
      for (const lane of job.pin === undefined ? askable : []) {
        if (job.state !== "backoff") return;
        try {
          const remaining = Math.max(1, job.deadline - this.scheduler.now());
          await this.transport({
            kind: "stored-response",
            op: ref.startsWith("conv_") ? "conversation" : "retrieve",
            id: ref,
            query: undefined,
            common: {
              endpoint: lane.id,
              client: lane.responsesClient,
              signal: job.signal,
              timeout: Math.min(remaining, this.config.attemptTimeoutMs),
            },
          });
          job.pin = lane.id;
          const owner = { endpoint: lane.id, model: job.model, contextTokens: 0 };
          this.affinity.own(ref, owner, this.scheduler.now());
          break;
        } catch {
          // Not there (404), or the endpoint is down: ask the next one.
        }
      }
      if (job.state !== "backoff") return;
      // A call on a response nobody holds still goes to an endpoint: the service's own 404 says so.
      if (job.op !== "responses") job.pin ??= candidates[0]?.id;
      if (job.model === "" && job.pin !== undefined) job.model = this.laneById.get(job.pin)?.models[0] ?? "";
      job.state = "queued";
      this.jobs.next(job);
    })();
  }

  private reject(
    id: string,
    kind: CompletionKind,
    model: string,
    error: RouterError,
    deliver: ((c: Completion) => void) | undefined,
  ): void {
    if (this.eventsSubject.observed)
      this.eventsSubject.next({ type: "rejected", at: this.scheduler.now(), id, code: error.code });
    const completion: Completion = {
      id,
      ok: false,
      kind,
      error,
      endpoint: undefined,
      requestedModel: model,
      model,
      attempts: [],
      latencyMs: 0,
    };
    if (!this.completionsSubject.closed) this.completionsSubject.next(completion);
    if (this.instrument) this.instrument.end(completion, this.instrument.begin(), this.scheduler.now());
    deliver?.(completion);
  }

  /** `req_<router>_<n>`: unique across routers (the random part is drawn once), cheap per request. */
  private nextId(): string {
    return `${this.idPrefix}${(this.seq + 1).toString(36)}`;
  }

  private largestTokenBudget(model: string): number {
    const known = this.largestBudgets.get(model);
    if (known !== undefined) return known;
    let largest = 0;
    const now = this.scheduler.now();
    for (const lane of this.lanes) {
      if (!lane.isConfiguredFor(model)) continue;
      largest = Math.max(largest, this.store.view(lane.id, now).tpm.capacity);
    }
    this.largestBudgets.set(model, largest);
    return largest;
  }

  // ——— attempts ———

  private execute({ job, admission }: Assignment): void {
    const handle = job as JobHandle;
    const lane = admission.lane;
    handle.endpoint = lane.id;
    if (this.eventsSubject.observed) {
      this.eventsSubject.next({
        type: "dispatched",
        at: admission.startedAt,
        id: job.id,
        endpoint: lane.id,
        model: job.model,
        attempt: job.attempts.length + 1,
        queuedMs: admission.startedAt - job.queuedAt,
      });
    }
    if (job.kind === "stream") void this.runStream(handle, admission);
    else void this.runCall(handle, admission);
  }

  /** What every upstream call carries. The SDK's timeout covers the call until its response headers. */
  private common(job: JobHandle, admission: Admission) {
    const remaining = job.deadline - this.scheduler.now();
    job.timeoutIsDeadline = remaining < this.config.attemptTimeoutMs;
    return {
      endpoint: admission.lane.id,
      client:
        job.op === "chat" || job.op === "embeddings" ? admission.lane.client : admission.lane.responsesClient,
      // The caller's own signal, or none: a signal costs the SDK a listener (~8 µs on Node 20). What
      // close() cuts at its bound, it cuts by closing the router's sockets.
      signal: job.signal,
      timeout: Math.max(1, Math.min(this.config.attemptTimeoutMs, remaining)),
    };
  }

  private bodyFor(job: JobHandle, admission: Admission): JobBody {
    const model = admission.lane.deploymentFor(job.model);
    return model === job.body.model ? job.body : { ...job.body, model };
  }

  private async runCall(job: JobHandle, admission: Admission): Promise<void> {
    const lane = admission.lane;
    try {
      if (admission.ticket.ready) await admission.ticket.ready;
      const common = this.common(job, admission);
      const surface = SURFACES[job.op];
      const result = await this.transport(surface.call(this.bodyFor(job, admission), job.target, common));
      if (result.kind === "stream" || result.kind === "responses-stream")
        throw new TypeError("transport returned a stream for a non-streamed call");
      // Not what the operation expects (an HTML page, someone else's JSON, nothing): the endpoint's failure.
      const invalid = answerProblem(surface, job, lane.id, result);
      if (invalid) throw invalid;
      const usage = surface.usage(result);
      lane.finish(admission, { headers: result.headers, usage });
      this.record(job, admission, 200, undefined);
      this.remember(job, lane.id, result.kind === "responses" ? result.data : undefined);
      this.settle(job, {
        ok: true,
        endpoint: lane.id,
        response: result.data as CompletionResponse,
        usage: usage as Usage | undefined,
        headers: result.headers,
      });
    } catch (error) {
      this.attemptFailed(job, admission, this.classify(job, error));
    }
  }

  private async runStream(job: JobHandle, admission: Admission): Promise<void> {
    const lane = admission.lane;
    const startedAt = this.scheduler.now();
    let firstTokenTimedOut = false;
    let headersReceived = false;
    let firstTokenTimer: Subscription | undefined;
    try {
      if (admission.ticket.ready) await admission.ticket.ready;
      const surface = SURFACES[job.op].stream;
      if (!surface) throw new TypeError(`${job.op} has no streams`);
      const body = this.bodyFor(job, admission);
      const result = await this.transport(surface.call(body, this.common(job, admission)));
      if (result.kind !== "stream" && result.kind !== "responses-stream")
        throw new TypeError("transport returned no stream for a streamed call");
      const { headers } = result;
      const data = result.data as AsyncIterable<unknown> & { readonly controller: AbortController };
      headersReceived = true;
      job.upstream = data.controller;
      if (job.state === "settled") data.controller.abort(); // the deadline passed while headers came
      // The deadline timer covers a first token that comes later than the deadline.
      if (this.config.firstTokenTimeoutMs < job.deadline - this.scheduler.now()) {
        firstTokenTimer = this.scheduler.schedule(() => {
          firstTokenTimedOut = true;
          data.controller.abort();
        }, this.config.firstTokenTimeoutMs);
      }
      const iterator = data[Symbol.asyncIterator]();
      const buffered: never[] = [];
      let content = false;
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const item = next.value as never;
        // Garbage before content is the endpoint's failure: it fails over (nothing reached the caller).
        if (!surface.isItem(item))
          throw new ResponseInvalidError(lane.id, "a stream item of the wrong shape before any content", {
            status: 200,
          });
        buffered.push(item);
        if (surface.isContent(item)) {
          content = true;
          break;
        }
      }
      firstTokenTimer?.unsubscribe();
      // The SDK ends an aborted stream quietly instead of throwing: tell a stall from an abort.
      if (data.controller.signal.aborted) {
        this.attemptFailed(
          job,
          admission,
          firstTokenTimedOut ? timeoutFailure(undefined, "first-token") : abortedFailure(undefined),
          true,
        );
        return;
      }
      // Nothing before the end is a broken stream, unless the service said it finished (a Responses
      // stream may complete with no text at all; a chat one says so with a finish_reason, its content).
      if (!content && !surface.finishedEarly(buffered))
        throw new ResponseInvalidError(lane.id, "a stream that ended before any content", { status: 200 });
      const ttftMs = this.scheduler.now() - startedAt;
      job.responseModel = streamModelOf(buffered);
      // The stream ends later (read by the caller), by when `opened` is set.
      const opened: OpenedStream = surface.open(
        {
          buffered,
          upstream: iterator as AsyncIterator<never>,
          controller: data.controller,
          stopReason: () => job.stopReason,
          wrapError: (error: unknown, received: number) =>
            new StreamInterruptedError(lane.id, received, error, this.redact),
          onEnd: (end) => this.streamEnded(job, admission, headers, ttftMs, end, opened),
        },
        { body: job.body, endpoint: lane.id },
      );
      const stream = opened.stream;
      if (job.state === "settled") {
        await stream.cancel();
        return;
      }
      job.started?.(stream, lane.id, headers);
    } catch (error) {
      firstTokenTimer?.unsubscribe();
      const failure = firstTokenTimedOut ? timeoutFailure(error, "first-token") : this.classify(job, error);
      this.attemptFailed(job, admission, failure, headersReceived);
    }
  }

  private streamEnded(
    job: JobHandle,
    admission: Admission,
    headers: Headers | undefined,
    ttftMs: number,
    end: StreamEnd,
    opened: OpenedStream,
  ): void {
    const lane = admission.lane;
    job.upstream = undefined;
    if (end.kind === "done") {
      lane.finish(admission, { headers, usage: end.usage, ttftMs });
      this.record(job, admission, 200, undefined, ttftMs);
      this.remember(job, lane.id, opened.reader.response);
      this.settle(job, { ok: true, endpoint: lane.id, response: undefined, usage: end.usage });
      return;
    }
    if (
      end.kind === "stopped" ||
      end.error instanceof DeadlineExceededError ||
      (job.stopReason !== undefined && end.error === job.stopReason)
    ) {
      // The caller stopped it, or the router did (its deadline, close()): nothing said about the endpoint.
      const stop = end.kind === "stopped" ? new AbortedError() : (end.error as RouterError);
      lane.finish(admission, { failure: abortedFailure(undefined) });
      this.record(job, admission, undefined, stop.code.toLowerCase());
      this.settle(job, { ok: false, error: stop });
      return;
    }
    const failure = classifyFailure(end.error, this.scheduler.now());
    lane.finish(admission, { failure, afterHeaders: true });
    this.record(job, admission, failure.status, failure.code ?? failure.kind);
    const error =
      end.surfaced instanceof RouterError
        ? end.surfaced
        : new StreamInterruptedError(lane.id, 0, end.error, this.redact);
    this.settle(job, { ok: false, error });
  }

  private record(
    job: JobHandle,
    admission: Admission,
    status: number | undefined,
    errorCode: string | undefined,
    ttftMs?: number,
  ): void {
    const attempt: { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] } = {
      endpoint: admission.lane.id,
      model: job.model,
      durationMs: this.scheduler.now() - admission.startedAt,
      startedAt: admission.startedAt,
    };
    if (status !== undefined) attempt.status = status;
    if (errorCode !== undefined) attempt.errorCode = errorCode;
    if (ttftMs !== undefined) attempt.ttftMs = ttftMs;
    if (ttftMs !== undefined && job.responseModel !== undefined) attempt.responseModel = job.responseModel;
    job.attempts.push(attempt);
  }

  /**
   * Ends a failed attempt: tells its lane, then retries, fails over, falls back or settles. A timeout
   * that was the request's own deadline, or a call the router stopped, says nothing about the endpoint.
   */
  private attemptFailed(
    job: JobHandle,
    admission: Admission,
    classified: Failure,
    afterHeaders = false,
  ): void {
    const lane = admission.lane;
    job.upstream = undefined;
    const byDeadline = this.stoppedByDeadline(job, classified);
    const failure = byDeadline ? abortedFailure(classified.error) : classified;
    // The freed slot is announced only once the request is settled or back in the queue, so that a
    // retry takes its place in the queue before anything waiting behind it can take the slot.
    const released = lane.release(admission, { headers: headersOf(failure.error), failure, afterHeaders });
    try {
      this.retryOrSettle(job, admission, failure, byDeadline);
    } finally {
      if (released) lane.announce();
    }
  }

  /**
   * What a failed attempt means. A 404 about stored state (a response or conversation the endpoint does
   * not hold) is the answer, not a missing deployment: final, and no verdict on the lane.
   */
  private classify(job: JobHandle, error: unknown): Failure {
    const failure = classifyFailure(error, this.scheduler.now());
    if (job.op === "chat" || job.op === "embeddings" || failure.status !== 404) return failure;
    if (failure.code === "DeploymentNotFound" || failure.code === "model_not_found") return failure;
    return { ...failure, retryable: false, failoverOnly: false, laneEffect: "none" };
  }

  /** A timeout that was the request's own deadline, or a call the router stopped: not the endpoint's fault. */
  private stoppedByDeadline(job: JobHandle, failure: Failure): boolean {
    return (
      job.stopReason !== undefined ||
      (failure.kind === "timeout" && job.timeoutIsDeadline && this.scheduler.now() >= job.deadline)
    );
  }

  private retryOrSettle(job: JobHandle, admission: Admission, failure: Failure, byDeadline: boolean): void {
    const lane = admission.lane;
    const now = this.scheduler.now();
    if (byDeadline) {
      this.record(job, admission, undefined, "deadline_exceeded");
      this.settle(job, { ok: false, error: this.deadlineError(job, "running") });
      return;
    }
    this.record(job, admission, failure.status, failure.code ?? failure.kind);
    if (job.state === "settled") return;

    if (failure.kind === "aborted" || job.signal?.aborted) {
      this.settle(job, {
        ok: false,
        error: new AbortedError({ cause: job.signal?.reason ?? failure.error }),
      });
      return;
    }
    job.lastError = failure.error;
    if (now >= job.deadline) {
      this.settle(job, { ok: false, error: this.deadlineError(job, "running") });
      return;
    }
    if (!failure.retryable && !failure.failoverOnly) {
      this.settle(job, { ok: false, error: new UpstreamError(lane.id, failure.error, this.redact) });
      return;
    }
    // A plain 429 is a reason to wait (its lane cools), not a failure of the request: only the deadline
    // bounds how long it waits for budget.
    const throttled = failure.kind === "rate-limited" && failure.retryable;
    if (!throttled) job.modelAttempts += 1;
    if (job.modelAttempts >= this.config.retry.maxAttempts) {
      if (this.useFallback(job)) return;
      // A pinned job had only its owner to try: say that the state's one home failed it.
      this.settle(job, {
        ok: false,
        error: job.pin === undefined ? this.allFailed(job) : this.unservable(job),
      });
      return;
    }
    job.avoid ??= new Set();
    job.avoid.add(lane.id);
    const avoid = job.avoid;
    const elsewhere =
      job.pin === undefined && this.lanes.some((l) => !avoid.has(l.id) && l.serves(job.model));
    if (elsewhere && this.eventsSubject.observed) {
      this.eventsSubject.next({
        type: "failed-over",
        at: now,
        id: job.id,
        from: lane.id,
        model: job.model,
        reason: failure.kind,
      });
    }
    // A lane that named a retry-after cools until then; the request itself may go elsewhere at once.
    const delayMs =
      throttled || failure.retryAfterMs !== undefined
        ? 0
        : Math.round(this.backoff(job.modelAttempts - 1, this.rng));
    if (this.eventsSubject.observed) {
      this.eventsSubject.next({
        type: "retried",
        at: now,
        id: job.id,
        endpoint: lane.id,
        model: job.model,
        attempt: job.attempts.length,
        reason: failure.kind,
        status: failure.status,
        delayMs,
      });
    }
    this.requeue(job, delayMs);
  }

  private requeue(job: JobHandle, delayMs: number): void {
    if (delayMs <= 0) {
      this.jobs.next(job);
      return;
    }
    job.state = "backoff";
    // Never start an attempt with no time left: it could only fail, and blame its endpoint. The
    // deadline timer settles the job instead.
    if (delayMs >= job.deadline - this.scheduler.now()) return;
    job.timer = this.scheduler.schedule(() => {
      job.timer = undefined;
      if (job.state === "backoff") this.jobs.next(job);
    }, delayMs);
  }

  /**
   * The request's deadline passed: a waiting job settles at once; a running one too, and its stream
   * (if its headers came) is stopped. A plain call that is still running keeps its lane's slot until
   * the endpoint answers or its own timeouts end it, so the lane's concurrency stays honest.
   */
  private onDeadline(job: JobHandle): void {
    if (job.state === "settled") return;
    if (job.state === "queued" && !this.queue.remove(job)) return;
    const error = this.deadlineError(job, job.state === "running" ? "running" : "queued");
    if (job.state === "running") {
      job.stopReason = error;
      job.upstream?.abort();
    }
    this.settle(job, { ok: false, error });
  }

  private deadlineError(job: JobHandle, phase: "queued" | "running"): DeadlineExceededError {
    return job.stopReason instanceof DeadlineExceededError
      ? job.stopReason
      : new DeadlineExceededError(job.timeoutMs, phase, { cause: job.lastError });
  }

  /** Every attempt failed: what each endpoint answered, with the last upstream error as cause. */
  private allFailed(job: JobHandle): RouterError {
    return new AllEndpointsFailedError(job.requestedModel, job.attempts, job.lastError);
  }

  private useFallback(job: JobHandle): boolean {
    const next = job.fallbacks.shift();
    if (next === undefined) return false;
    if (this.eventsSubject.observed) {
      this.eventsSubject.next({
        type: "fallback-used",
        at: this.scheduler.now(),
        id: job.id,
        from: job.model,
        to: next,
      });
    }
    job.model = next;
    job.body = { ...job.body, model: next };
    job.avoid = undefined;
    job.modelAttempts = 0;
    this.jobs.next(job);
    return true;
  }

  /**
   * What an answer teaches about later requests: the endpoint that served a cache key (soft affinity),
   * the owner of a stored response and of its conversation (hard affinity), a deleted response's end.
   */
  private remember(job: JobHandle, endpoint: string, response: ResponseObject | undefined): void {
    const now = this.scheduler.now();
    if (job.op === "responses.delete" && job.target) {
      this.affinity.disown(job.target.id);
      return;
    }
    this.affinity.served(job.affinityKey, endpoint, now);
    if (job.op !== "responses" || response === undefined) return;
    if ((job.body as { store?: unknown }).store === false || typeof response.id !== "string") return;
    const usage = response.usage;
    const owner = {
      endpoint,
      model: job.model,
      contextTokens: usage ? usage.input_tokens + usage.output_tokens : 0,
    };
    this.affinity.own(response.id, owner, now);
    // Its output items can be referred to later (`item_reference`): they live there too.
    for (const item of response.output ?? [])
      if (typeof item.id === "string") this.affinity.own(item.id, owner, now);
    const conversation = conversationOf(job.body as { conversation?: unknown });
    if (conversation !== undefined) this.affinity.own(conversation, owner, now);
  }

  private onStuck(job: JobHandle, reason: StuckReason): void {
    switch (reason) {
      case "queue-full":
        this.settle(job, { ok: false, error: new QueueFullError(this.config.queue.maxSize) });
        return;
      case "too-late":
      case "unservable": {
        if (this.useFallback(job)) return;
        this.settle(job, { ok: false, error: this.unservable(job) });
        return;
      }
    }
  }

  /** Why no lane will take a job: its budget shrank below it, its attempts failed, or nobody serves it. */
  private unservable(job: JobHandle): RouterError {
    if (job.pin !== undefined) {
      const owner = this.laneById.get(job.pin);
      const why =
        owner === undefined
          ? "is not configured in this router"
          : !owner.serves(job.model) && job.model !== ""
            ? `no longer serves "${job.model}"`
            : `cannot take requests before the deadline (${owner.state(this.scheduler.now())})`;
      return new AffinityUnavailableError(job.pin, job.ref ?? job.id, why, { cause: job.lastError });
    }
    const largest = this.largestTokenBudget(job.model);
    if (job.tokens > largest) return new RequestTooLargeError(job.model, job.tokens, largest);
    if (job.attempts.length > 0) return this.allFailed(job);
    return new NoEndpointForModelError(job.model, [...this.servedModels]);
  }

  private onAbort(job: JobHandle): void {
    if (job.state === "queued") {
      if (this.queue.remove(job))
        this.settle(job, { ok: false, error: new AbortedError({ cause: job.signal?.reason }) });
    } else if (job.state === "backoff") {
      this.settle(job, { ok: false, error: new AbortedError({ cause: job.signal?.reason }) });
    }
    // A running attempt sees the same signal through the SDK and settles on its way out.
  }

  private settle(job: JobHandle, outcome: Outcome): void {
    if (job.state === "settled") return;
    job.state = "settled";
    job.timer?.unsubscribe();
    job.timer = undefined;
    this.deadlines.remove(job);
    if (job.onAbort) job.signal?.removeEventListener("abort", job.onAbort);
    this.live.delete(job);
    const latencyMs = this.scheduler.now() - job.arrivedAt;
    if (!outcome.ok) this.scrub(outcome.error);
    // Plain literals, not `{ ...base, … }`: on Node 20 that spread costs ~6 µs per request (bench/dispatch).
    const completion: Completion = outcome.ok
      ? {
          id: job.id,
          kind: publicKind(job.kind, job.op),
          requestedModel: job.requestedModel,
          model: job.model,
          attempts: job.attempts,
          latencyMs,
          ok: true,
          endpoint: outcome.endpoint,
          response: outcome.response,
          usage: outcome.usage,
        }
      : {
          id: job.id,
          kind: publicKind(job.kind, job.op),
          requestedModel: job.requestedModel,
          model: job.model,
          attempts: job.attempts,
          latencyMs,
          ok: false,
          endpoint: job.endpoint,
          error: outcome.error,
        };
    if (this.instrument) this.instrument.end(completion, job.begun, this.scheduler.now());
    if (this.completionsSubject.observed) this.completionsSubject.next(completion);
    job.deliver(completion, outcome.ok ? outcome.headers : headersOf(job.lastError));
    if (this.drained && this.live.size === 0) this.drained();
  }

  /**
   * Removes keys and tokens from an error the caller will see, and from its causes: an upstream may
   * echo what it was sent, and `inspect(error)` prints the whole chain.
   */
  private scrub(error: RouterError): void {
    scrubError(error, this.redact);
  }

  private readonly redact = (text: string): string => {
    let out = text;
    for (const list of [this.secrets, this.tokens])
      for (const secret of list)
        if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join("[redacted]");
    return out;
  };
}

/**
 * Every problem of a body for its surface, each with its path (see src/operations). Never throws: a
 * body whose reading throws (a getter, a Proxy) is that problem.
 */
function bodyProblems(op: JobOp, body: unknown): readonly string[] {
  try {
    return SURFACES[op].validate(body);
  } catch (error) {
    return [`body: could not be read (${describeThrown(error)})`];
  }
}

/** A request (or its body) whose reading threw: REQUEST_INVALID saying what threw, never the throw itself. */
function unreadable(what: string, error: unknown): RequestInvalidError {
  return new RequestInvalidError("Invalid request", [
    `${what}: could not be read (${describeThrown(error)})`,
  ]);
}

/** What a caller's getter threw, in a few words (its message is the caller's own: it stays short). */
function describeThrown(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

/** `stream: true` on a body, read without trusting it (not an object, or a getter that throws: false). */
function isStreamed(body: unknown): boolean {
  try {
    return isRecord(body) && body.stream === true;
  } catch {
    return false;
  }
}

/** Duck-typed like the SDK does: an AbortSignal from another realm or polyfill works too. */
function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function" &&
    typeof (value as AbortSignal).removeEventListener === "function"
  );
}

const NO_OPTIONS: RouterCallOptions = Object.freeze({});

/**
 * Per-call options, checked: the queue orders by `priority` and times by `timeout` (a NaN would break
 * either), the outcome carries `id`, and `signal` gets a listener. Never throws; the options are
 * returned as they came when they are right (no copy on the hot path).
 */
function readOptions(options: unknown): { options: RouterCallOptions; problems: readonly string[] } {
  if (options === undefined) return { options: NO_OPTIONS, problems: NO_PROBLEMS };
  if (!isRecord(options))
    return { options: NO_OPTIONS, problems: [`options: must be an object (got ${describeValue(options)})`] };
  let problems: string[] | undefined;
  try {
    const { id, priority, timeout, signal, affinityKey } = options;
    const add = (problem: string) => {
      problems ??= [];
      problems.push(problem);
    };
    if (id !== undefined && (typeof id !== "string" || id.length === 0))
      add("id: must be a non-empty string");
    if (priority !== undefined && !(typeof priority === "number" && Number.isFinite(priority)))
      add("priority: must be a finite number (lower is served first)");
    if (timeout !== undefined && !(typeof timeout === "number" && timeout > 0))
      add("timeout: must be a positive number of milliseconds");
    if (signal !== undefined && !isAbortSignal(signal)) add("signal: must be an AbortSignal");
    if (affinityKey !== undefined && typeof affinityKey !== "string") add("affinityKey: must be a string");
    if (problems === undefined) return { options: options as RouterCallOptions, problems: NO_PROBLEMS };
    return { options: typeof id === "string" && id.length > 0 ? { id } : NO_OPTIONS, problems };
  } catch (error) {
    return { options: NO_OPTIONS, problems: [`options: could not be read (${describeThrown(error)})`] };
  }
}

/** The first characters of what an endpoint sent instead of an answer (redacted before a caller sees it). */
function excerptOf(data: unknown): string | undefined {
  try {
    const text = typeof data === "string" ? data : JSON.stringify(data);
    return text === undefined ? undefined : text.slice(0, EXCERPT_LENGTH);
  } catch {
    return undefined;
  }
}

/** Characters of a bad answer kept for diagnosis. */
const EXCERPT_LENGTH = 200;

/**
 * What is wrong with a plain call's answer, if anything (see `Surface.answerProblem`), as the
 * endpoint's failure: an HTML page the SDK returned as a string, an empty body, someone else's JSON.
 */
function answerProblem(
  surface: Surface,
  job: JobHandle,
  endpoint: string,
  result: UpstreamResult,
): ResponseInvalidError | undefined {
  const problem = surface.answerProblem(result, job.body);
  if (problem === undefined) return undefined;
  return new ResponseInvalidError(endpoint, problem, {
    status: 200,
    excerpt: excerptOf(result.data),
    ...(result.headers ? { headers: result.headers } : {}),
  });
}

/** The body's model, whatever the body is (validation says what is wrong with it). */
function modelOf(body: unknown): string {
  try {
    const model = (body as { model?: unknown } | null | undefined)?.model;
    return typeof model === "string" ? model : "";
  } catch {
    return ""; // a getter that throws: the validation reports it
  }
}

/** What an outcome says it was (see `CompletionKind`). */
function publicKind(kind: RequestKind, op: JobOp): CompletionKind {
  return op === "chat" ? kind : op;
}

/** The stored state a Responses request continues: `previous_response_id`, else its conversation. */
function responsesRef(op: JobOp, body: JobBody): string | undefined {
  if (op !== "responses") return undefined;
  const b = body as { previous_response_id?: unknown; conversation?: unknown; input?: unknown };
  if (typeof b.previous_response_id === "string") return b.previous_response_id;
  return conversationOf(b) ?? itemReferenceOf(b.input);
}

/**
 * The first stored item an input refers to (`{ type: "item_reference", id }`): the AI SDK sends
 * earlier turns that way when they are stored, and only the endpoint that stored them can resolve them.
 */
function itemReferenceOf(input: unknown): string | undefined {
  if (!Array.isArray(input)) return undefined;
  for (const item of input as unknown[]) {
    const i = item as { type?: unknown; id?: unknown } | null;
    if (i?.type === "item_reference" && typeof i.id === "string") return i.id;
  }
  return undefined;
}

/** The soft-affinity key, scoped by model (two models' caches are two caches). */
function softKey(model: string, body: JobBody, explicit: string | undefined): string | undefined {
  const key = affinityKeyOf(body as unknown as Record<string, unknown>, explicit);
  return key === undefined ? undefined : `${model}\u0000${key}`;
}

function headersOf(error: unknown): Headers | undefined {
  const headers = (error as { headers?: unknown } | undefined)?.headers;
  // Duck-typed: the undici package's Headers is not `instanceof` the global Headers class.
  return typeof (headers as { get?: unknown } | undefined)?.get === "function"
    ? (headers as Headers)
    : undefined;
}

/** An attempt stopped by the caller or by the request's deadline: no verdict on the endpoint. */
function abortedFailure(error: unknown): Failure {
  return {
    kind: "aborted",
    status: undefined,
    code: undefined,
    retryable: false,
    failoverOnly: false,
    laneEffect: "none",
    retryAfterMs: undefined,
    exhausted: "both",
    error,
  };
}

/** An attempt the endpoint did not answer in time: a failure of that endpoint, retried elsewhere. */
function timeoutFailure(error: unknown, phase: "response" | "first-token"): Failure {
  return {
    ...abortedFailure(error),
    kind: "timeout",
    retryable: true,
    laneEffect: "failure",
    // The same record as the SDK's own timeout (kind "timeout") unless it was the first token.
    code: phase === "first-token" ? "first_token_timeout" : undefined,
  };
}
