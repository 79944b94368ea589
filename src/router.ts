import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources/embeddings";
import {
  asyncScheduler,
  defer,
  map,
  type Observable,
  type OperatorFunction,
  ReplaySubject,
  type SchedulerLike,
  Subject,
  type Subscription,
  shareReplay,
  takeUntil,
  timer,
} from "rxjs";
import { Affinity } from "./affinity/affinity.js";
import { modelsOf, parseConfig, type ResolvedConfig, type RouterConfig } from "./config.js";
import type { ChatStream } from "./dispatch/chat-stream.js";
import { createLanes } from "./dispatch/create-lanes.js";
import { Dispatcher } from "./dispatch/dispatcher.js";
import { Fleet } from "./dispatch/fleet.js";
import { createHttpPool, type HttpPool } from "./dispatch/http-pool.js";
import type { JobBody } from "./dispatch/job.js";
import type { Lane } from "./dispatch/lane.js";
import { sdkTransport, type Transport } from "./dispatch/transport.js";
import type { RouterEvent } from "./events.js";
import { createRouterFetch, type RouterFetch } from "./fetch/router-fetch.js";
import type { BudgetStore } from "./limits/budget-store.js";
import { InMemoryBudgetStore } from "./limits/in-memory-budget-store.js";
import { createSharedBudgetStore } from "./limits/shared/create.js";
import type { OwnershipStore } from "./limits/shared/ownership.js";
import { RedisBudgetStore } from "./limits/shared/redis-budget-store.js";
import type { RedisClientLike } from "./limits/shared/redis-port.js";
import { createTokenEstimator } from "./limits/token-estimate.js";
import { collectMetrics } from "./metrics/collect.js";
import { createRouterInstrument, type RouterInstrument } from "./metrics/otel/instrument.js";
import { createResponsesApi, type RouterResponses } from "./operations/responses-api.js";
import { AttemptLoop } from "./request/attempt-loop.js";
import { Entry } from "./request/entry.js";
import { Intake } from "./request/intake.js";
import type { RequestJob } from "./request/job.js";
import { Lifecycle } from "./request/lifecycle.js";
import { routeEach, streamChunks } from "./request/observe.js";
import { isStreamed } from "./request/read.js";
import { fullJitterBackoff } from "./resilience/backoff.js";
import { Secrets } from "./resilience/redact.js";
import type { RouterPromise } from "./router-promise.js";
import { createStrategy } from "./strategies/index.js";
import type { Strategy } from "./strategies/types.js";
import type { Completion, RouterCallOptions, RouterMetrics, RouterRequest } from "./types.js";

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

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

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
  private readonly store: BudgetStore;
  private readonly fleet: Fleet;
  private readonly affinity: Affinity;
  private readonly secrets: Secrets;
  private readonly entry: Entry;
  private readonly lifecycle: Lifecycle;
  private readonly dispatcher: Dispatcher<RequestJob>;
  private readonly transport: Transport;
  private readonly eventsSubject = new Subject<RouterEvent>();
  private readonly completionsSubject = new Subject<Completion>();
  private readonly closed$ = new ReplaySubject<void>(1);
  private readonly intakeSubscription: Subscription;
  private readonly strategyName: string;
  private readonly pool: HttpPool | undefined;
  /** OpenTelemetry spans and metrics (metrics/otel); undefined when off, then it costs one check per request. */
  private readonly instrument: RouterInstrument | undefined;
  private closing: Promise<void> | undefined;
  /** The shared store the router created from `redis` (closed with the router: its leases go back). */
  private readonly ownedStore: BudgetStore | undefined;
  private readonly unwatchStore: (() => void) | undefined;

  /** Prefer {@link createRouter}. */
  constructor(input: RouterConfig, dependencies: RouterDependencies = {}) {
    const config = parseConfig(input);
    this.config = config;
    const scheduler = config.scheduler ?? asyncScheduler;
    this.scheduler = scheduler;
    const rng = config.rng ?? Math.random;
    this.ownedStore = dependencies.budgetStore
      ? undefined
      : createSharedBudgetStore({
          config: config.redis,
          client: dependencies.redis,
          throttle: config.throttle,
          scheduler,
        });
    this.store =
      dependencies.budgetStore ?? this.ownedStore ?? new InMemoryBudgetStore({ throttle: config.throttle });
    this.transport = dependencies.transport ?? sdkTransport;
    this.secrets = new Secrets(config.endpoints.flatMap((e) => (e.apiKey ? [e.apiKey] : [])));
    const redact = this.secrets.redact;
    const emit = (event: RouterEvent) => {
      if (event.type === "limits-learned") this.fleet.forgetBudgets();
      this.eventsSubject.next(event);
    };
    this.pool = config.fetch ? undefined : createHttpPool({ bodyTimeoutMs: config.attemptTimeoutMs });
    this.lanes = createLanes(config, {
      store: this.store,
      now: () => scheduler.now(),
      emit,
      fetch: config.fetch ?? (this.pool as HttpPool).fetch,
      // Entra ID tokens are secrets too: the latest few are redacted like keys.
      onToken: (token) => this.secrets.remember(token),
    });
    this.fleet = new Fleet(this.lanes, this.store, config.endpoints.flatMap(modelsOf));
    const sharedOwners =
      dependencies.ownership ??
      (this.ownedStore instanceof RedisBudgetStore ? this.ownedStore.ownership() : undefined);
    this.affinity = new Affinity(config.affinity, sharedOwners);
    // A store that changes on its own (leases arriving, Redis down or up) wakes the queue and reports.
    this.unwatchStore = this.store.watch?.((signal) =>
      signal.type === "available" ? this.fleet.byId.get(signal.lane)?.announce() : emit(signal.event),
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

    this.lifecycle = new Lifecycle({
      scheduler,
      completions: this.completionsSubject,
      events: this.eventsSubject,
      instrument: this.instrument,
      redact,
      closeTimeoutMs: config.closeTimeoutMs,
      dequeue: (job) => this.dispatcher.remove(job),
    });
    const backoff = fullJitterBackoff({ baseMs: config.retry.baseDelayMs, maxMs: config.retry.maxDelayMs });
    const loop = new AttemptLoop({
      fleet: this.fleet,
      lifecycle: this.lifecycle,
      dispatcher: () => this.dispatcher,
      affinity: this.affinity,
      events: this.eventsSubject,
      scheduler,
      attempt: {
        transport: this.transport,
        scheduler,
        attemptTimeoutMs: config.attemptTimeoutMs,
        firstTokenTimeoutMs: config.firstTokenTimeoutMs,
        redact,
      },
      retry: { maxAttempts: config.retry.maxAttempts, backoff: (retry) => backoff(retry, rng) },
      maxQueueSize: config.queue.maxSize,
    });
    this.dispatcher = new Dispatcher<RequestJob>({
      lanes: this.lanes,
      strategy,
      maxQueueSize: config.queue.maxSize,
      agingMs: config.queue.agingMs,
      scheduler,
      rng,
      onAssigned: loop.run,
      onStuck: loop.stuck,
    });
    const intake = new Intake({
      config,
      fleet: this.fleet,
      affinity: this.affinity,
      estimator: createTokenEstimator({ defaultOutputTokens: config.defaultOutputTokens }),
      scheduler,
      instrument: this.instrument,
      idPrefix: `req_${Math.floor(rng() * 36 ** 6).toString(36)}_`,
      closing: () => this.closing !== undefined,
    });
    this.entry = new Entry({
      intake,
      lifecycle: this.lifecycle,
      dispatcher: this.dispatcher,
      affinity: this.affinity,
      locate: {
        fleet: this.fleet,
        affinity: this.affinity,
        transport: this.transport,
        scheduler,
        attemptTimeoutMs: config.attemptTimeoutMs,
      },
      redact,
    });
    const entry = this.entry;

    this.events$ = this.eventsSubject.asObservable();
    this.completions$ = this.completionsSubject.asObservable();
    this.metrics$ = defer(() => timer(0, config.metricsIntervalMs, scheduler)).pipe(
      map(() => this.snapshot()),
      takeUntil(this.closed$),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
    this.intakeSubscription = this.requests.subscribe((request) => entry.push(request, undefined));

    const create = (body: ChatCompletionCreateParamsBase, options?: RouterCallOptions) =>
      isStreamed(body)
        ? entry.stream(body as ChatCompletionCreateParamsStreaming, options)
        : entry.call("chat", body as ChatCompletionCreateParamsNonStreaming, options);
    this.chat = { completions: { create: create as Router["chat"]["completions"]["create"] } };
    this.embeddings = {
      create: (body, options) =>
        entry.call("embeddings", body, options) as RouterPromise<CreateEmbeddingResponse>,
    };
    this.responses = createResponsesApi({
      call: (op, body, options, target) => entry.call(op, body as JobBody, options, target),
      stream: (body, options) => entry.stream(body, options, "responses"),
    });
    this.fetch = createRouterFetch({
      submit: (kind, body, options, deliver, started, op, target) =>
        entry.submit({ kind, op, body: body as JobBody, options, deliver, started, target }),
      models: [...this.fleet.models],
      redact,
    });
  }

  /**
   * The operator form of `requests`: each request in, its outcome out; completes when the source
   * has completed and every request has its outcome.
   * @example
   * from(batch).pipe(router.route()).subscribe((c) => console.log(c.id, c.ok));
   */
  route(): OperatorFunction<RouterRequest, Completion> {
    return routeEach((request, deliver) => this.entry.push(request, deliver));
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
    return streamChunks((b, o) => this.entry.stream(b, o), body, options);
  }

  /** The current state of every endpoint and the queue (what `metrics$` emits). */
  snapshot(): RouterMetrics {
    return collectMetrics(
      this.lanes,
      this.store,
      this.dispatcher.queue,
      this.config.queue.maxSize,
      this.lifecycle.size,
      this.scheduler.now(),
    );
  }

  /**
   * Stops intake (new requests settle with `ROUTER_CLOSED`), waits for every accepted request to settle
   * (at most `closeTimeoutMs`, then cuts what is left), then completes every observable and releases
   * timers, engines and sockets.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const cut = await this.lifecycle.drain();
      this.intakeSubscription.unsubscribe();
      this.dispatcher.close();
      this.instrument?.close();
      this.lifecycle.close();
      this.closed$.next();
      this.closed$.complete();
      this.requests.complete();
      this.completionsSubject.complete();
      this.eventsSubject.complete();
      await Promise.all(this.lanes.map((lane) => lane.close()));
      this.unwatchStore?.();
      await this.ownedStore?.close?.();
      // After a cut, sockets still dripping a body are closed now rather than waited for (a call made
      // through a `fetch` of the config's own is left to it, its outcome already given).
      await (cut ? this.pool?.destroy() : this.pool?.close());
    })();
    return this.closing;
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
}
