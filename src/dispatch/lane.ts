import type { OpenAI } from "openai";
import type { CompletionUsage } from "openai/resources/completions";
import type { Observable } from "rxjs";
import type { ResolvedConfig, ResolvedEndpoint } from "../config.js";
import type { RouterEvent } from "../events.js";
import type { BudgetStore, Reservation } from "../limits/budget-store.js";
import { NO_LIMITS, parseRateLimitHeaders, toBudgetReport } from "../limits/rate-limit-headers.js";
import { DEFAULT_REQUEST_WINDOW_SECONDS } from "../limits/token-bucket.js";
import { RateMeter } from "../metrics/rate-meter.js";
import type { BreakerState } from "../resilience/circuit-breaker.js";
import type { Failure } from "../resilience/classify.js";
import { clampRetryAfter, DEFAULT_COOLDOWN_MS } from "../resilience/retry-after.js";
import type { LaneSnapshot, LaneState, RequestKind } from "../strategies/types.js";
import { createEndpointClients } from "./endpoint-client.js";
import type { GateTicket, LaneGate } from "./lane-gate.js";
import { type HealthPasses, LaneHealth } from "./lane-health.js";
import { LatencyFigures } from "./latency-figures.js";
import { Signal } from "./signal.js";

/** A granted admission: a concurrency slot and a budget charge, released exactly once by `Lane.finish`. */
export interface Admission extends HealthPasses {
  readonly lane: Lane;
  readonly model: string;
  readonly kind: RequestKind;
  readonly ticket: GateTicket;
  readonly reservation: Reservation;
  readonly startedAt: number;
  finished: boolean;
}

/** What one attempt produced, reported back to its lane. */
export interface AttemptReport {
  readonly headers?: Headers | undefined;
  readonly usage?: CompletionUsage | { prompt_tokens: number; total_tokens: number } | null | undefined;
  /** Time to first token for streams. */
  readonly ttftMs?: number | undefined;
  /**
   * The failure came after the response headers of a stream (cut mid-way, no first token): it counts
   * against the lane's stream circuit only, since the endpoint answered.
   */
  readonly afterHeaders?: boolean | undefined;
  /** Set when the attempt failed. */
  readonly failure?: Failure | undefined;
}

/** Dependencies a lane needs from the router. */
export interface LaneDeps {
  readonly config: ResolvedConfig;
  readonly store: BudgetStore;
  readonly gate: LaneGate;
  readonly now: () => number;
  readonly emit: (event: RouterEvent) => void;
  /** The fetch the lane's SDK client uses (the router's own pool unless the config brings one). */
  readonly fetch: typeof fetch;
  /** Told every bearer token the endpoint's `azureADTokenProvider` hands out (they are secrets). */
  readonly onToken?: ((token: string) => void) | undefined;
}

/** Per-lane counters the metrics show. */
export interface LaneCounters {
  attempts: number;
  succeeded: number;
  failed: number;
  rateLimited: number;
  promptTokens: number;
  completionTokens: number;
  /** Input tokens the endpoint served from its prompt cache. */
  cachedTokens: number;
  /** Output tokens spent on reasoning (o-series, gpt-5). */
  reasoningTokens: number;
  peakInflight: number;
  readonly byStatus: Record<string, number>;
}

/**
 * One endpoint with everything that limits it: a concurrency gate, RPM/TPM budgets (in the store),
 * a circuit breaker, cooldowns, latency figures and its own SDK client (`maxRetries: 0`: the router
 * owns retries). A lane never chooses between lanes; it only answers "can you take this now?".
 */
export class Lane {
  readonly id: string;
  readonly index: number;
  readonly type: "azure" | "openai";
  readonly weight: number;
  readonly priority: number;
  readonly client: OpenAI;
  /**
   * The client for the Responses API: the same one for openai.com-style endpoints; for Azure, one on
   * its v1 path (`{endpoint}/openai/v1`, the deployment name as `model`), where Azure serves it.
   */
  readonly responsesClient: OpenAI;
  /** Emits whenever capacity may have been freed (a slot released, a probe finished). */
  readonly changed$: Observable<void>;
  private readonly changed = new Signal();
  readonly counters: LaneCounters = {
    attempts: 0,
    succeeded: 0,
    failed: 0,
    rateLimited: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    peakInflight: 0,
    byStatus: {},
  };
  readonly requestRate = new RateMeter();
  readonly tokenRate = new RateMeter();
  private readonly deployments: ReadonlyMap<string, string>;
  private readonly health: LaneHealth;
  private readonly figures: LatencyFigures;
  private readonly restartFigures = (): void => this.figures.restart();
  /** The window over which the service enforces this lane's RPM. */
  private readonly requestWindowSeconds: number;

  constructor(
    endpoint: ResolvedEndpoint,
    index: number,
    private readonly deps: LaneDeps,
  ) {
    this.changed$ = this.changed.observable;
    this.id = endpoint.name;
    this.index = index;
    this.type = endpoint.type;
    this.weight = endpoint.weight;
    this.priority = endpoint.priority;
    this.deployments = new Map(
      endpoint.type === "azure" ? Object.entries(endpoint.deployments) : endpoint.models.map((m) => [m, m]),
    );
    const clients = createEndpointClients(endpoint, deps.config, deps.fetch, deps.onToken);
    this.client = clients.client;
    this.responsesClient = clients.responsesClient;
    this.health = new LaneHealth(this.id, deps.config.breaker, deps.emit);
    this.figures = new LatencyFigures(deps.config.latency);
    this.requestWindowSeconds = endpoint.limits?.requestWindowSeconds ?? DEFAULT_REQUEST_WINDOW_SECONDS;
    deps.store.register(
      this.id,
      {
        rpm: endpoint.limits?.rpm,
        tpm: endpoint.limits?.tpm,
        requestWindowSeconds: this.requestWindowSeconds,
      },
      deps.now(),
    );
  }

  /** The models this lane serves (including ones disabled after a 404). */
  get models(): string[] {
    return [...this.deployments.keys()];
  }

  get inflight(): number {
    return this.deps.gate.inflight;
  }

  /** A concurrency slot is free (whatever the budgets and circuits say). */
  get hasFreeSlot(): boolean {
    return this.deps.gate.inflight < this.deps.gate.limit;
  }

  /** True when this lane's config names `model` (whether or not a 404 has disabled it since). */
  isConfiguredFor(model: string): boolean {
    return this.deployments.has(model);
  }

  /**
   * True when this lane is configured for `model` and has not been told recently that the deployment is
   * missing (a 404 takes the model out for `breaker.disabledProbeMs`, then it is tried again).
   */
  serves(model: string): boolean {
    return this.deployments.has(model) && this.health.serves(model, this.deps.now());
  }

  /** The name to send as `model`: the deployment on Azure, the model itself on openai. */
  deploymentFor(model: string): string {
    return this.deployments.get(model) ?? model;
  }

  /** Synchronous admission check: slot free, circuits passing, budget there, not cooling. */
  canAdmit(kind: RequestKind, tokens: number, now: number): boolean {
    return (
      this.hasFreeSlot &&
      this.health.passes(kind, now) &&
      this.deps.store.msUntilAvailable(this.id, tokens, now) === 0
    );
  }

  /**
   * False when this lane will not take such a request in the foreseeable future, so a request waiting
   * for it would wait in vain: the charge exceeds its token budget's size, it is disabled, or (for a
   * stream) its stream circuit lets nothing through now.
   */
  couldAdmit(kind: RequestKind, tokens: number, now: number): boolean {
    if (this.state(now) === "disabled") return false;
    if (kind === "stream" && !this.health.streamsPass(now)) return false;
    return Number.isFinite(this.deps.store.msUntilAvailable(this.id, tokens, now));
  }

  /**
   * When this lane could next admit `tokens`, ignoring its concurrency (a freed slot is announced on
   * `changed$`): 0 = now; Infinity = not on its own (e.g. a probe in flight).
   */
  msUntilAdmissible(kind: RequestKind, tokens: number, now: number): number {
    return Math.max(
      this.deps.store.msUntilAvailable(this.id, tokens, now),
      this.health.msUntilPass(kind, now),
    );
  }

  /** Takes a slot and charges the budget, atomically; undefined (nothing taken) when it cannot. */
  admit(model: string, kind: RequestKind, tokens: number, now: number): Admission | undefined {
    if (!this.health.passes(kind, now)) return undefined;
    const ticket = this.deps.gate.tryAcquire();
    if (!ticket) return undefined;
    const reservation = this.deps.store.reserve(this.id, tokens, now);
    if (!reservation) {
      ticket.release();
      return undefined;
    }
    const { endpointPass, streamPass } = this.health.start(kind, now);
    const c = this.counters;
    c.attempts += 1;
    if (this.deps.gate.inflight > c.peakInflight) c.peakInflight = this.deps.gate.inflight;
    this.requestRate.add(1, now);
    return {
      lane: this,
      model,
      kind,
      ticket,
      reservation,
      startedAt: now,
      endpointPass,
      streamPass,
      finished: false,
    };
  }

  /** Ends an attempt: frees the slot, settles the budget, updates health and latency. Idempotent. */
  finish(admission: Admission, report: AttemptReport): void {
    if (this.release(admission, report)) this.announce();
  }

  /**
   * `finish` without announcing the freed capacity: for a caller that must first put the request
   * back in the queue (a retry keeps its place), then calls {@link announce}. False when already done.
   */
  release(admission: Admission, report: AttemptReport): boolean {
    if (admission.finished) return false;
    admission.finished = true;
    const now = this.deps.now();
    const { store } = this.deps;
    const failure = report.failure;
    // Only an answer that reports the quota calibrates: a success, or a 429 for the rate limit. A
    // refused call's headers (401/403/404, billing, 5xx) may describe another key, tier or proxy.
    if (report.headers && (!failure || failure.kind === "rate-limited"))
      this.calibrate(report.headers, admission.reservation, now);
    if (!failure) {
      store.commit(admission.reservation);
      this.onSuccess(admission, report, now);
    } else {
      // 429s and refusals for auth/quota/missing deployments are not charged by the service.
      const charged = failure.laneEffect === "failure" || failure.laneEffect === "none";
      if (charged) store.commit(admission.reservation);
      else store.refund(admission.reservation, now);
      this.onFailure(admission, failure, report.afterHeaders === true, now);
    }
    admission.ticket.release();
    return true;
  }

  /** Tells the dispatcher that capacity may have been freed (see `release`). */
  announce(): void {
    this.changed.emit();
  }

  /** Health as the selection and metrics see it. */
  state(now: number): LaneState {
    return this.health.state(now, this.deps.store.coolingUntil(this.id));
  }

  /** State of the lane's stream circuit (see `streamBreaker`). */
  streamCircuit(now: number): BreakerState {
    return this.health.streamCircuit(now);
  }

  /** Epoch ms when an open breaker lets a probe through (0 when not open). */
  get reopensAt(): number {
    return this.health.reopensAt;
  }

  /** Models taken out of this lane by a 404 and not yet due to be tried again. */
  get disabledFor(): readonly string[] {
    return this.health.disabledFor(this.deps.now());
  }

  snapshot(now: number): LaneSnapshot {
    const view = this.deps.store.view(this.id, now);
    return {
      id: this.id,
      index: this.index,
      state: this.state(now),
      inflight: this.deps.gate.inflight,
      concurrency: this.deps.gate.limit,
      weight: this.weight,
      priority: this.priority,
      msPerToken: this.figures.msPerToken,
      ttftMs: this.figures.ttftMs,
      latencyMs: this.figures.latencyMs,
      rpm: view.rpm,
      tpm: view.tpm,
    };
  }

  /** Releases the gate engine's resources and completes `changed$`. */
  async close(): Promise<void> {
    this.changed.complete();
    await this.deps.gate.close();
  }

  private onSuccess(admission: Admission, report: AttemptReport, now: number): void {
    const c = this.counters;
    c.succeeded += 1;
    c.byStatus["200"] = (c.byStatus["200"] ?? 0) + 1;
    const usage = report.usage;
    if (usage) {
      c.promptTokens += usage.prompt_tokens;
      c.completionTokens += "completion_tokens" in usage ? usage.completion_tokens : 0;
      if ("prompt_tokens_details" in usage) c.cachedTokens += usage.prompt_tokens_details?.cached_tokens ?? 0;
      if ("completion_tokens_details" in usage)
        c.reasoningTokens += usage.completion_tokens_details?.reasoning_tokens ?? 0;
      this.tokenRate.add(usage.total_tokens, now);
    }
    this.figures.sample(
      admission.kind,
      now - admission.startedAt,
      usage && "completion_tokens" in usage ? usage.completion_tokens : undefined,
      report.ttftMs,
      now,
    );
    this.health.succeeded(admission, now, this.restartFigures);
  }

  private onFailure(admission: Admission, failure: Failure, afterHeaders: boolean, now: number): void {
    const c = this.counters;
    const statusKey = failure.status === undefined ? failure.kind : String(failure.status);
    c.byStatus[statusKey] = (c.byStatus[statusKey] ?? 0) + 1;
    if (failure.kind === "aborted") {
      this.health.neutral(admission);
      return;
    }
    c.failed += 1;
    switch (failure.laneEffect) {
      case "cool":
        c.rateLimited += 1;
        this.figures.penalize(now);
        this.coolFor(failure.retryAfterMs, failure.exhausted, now, admission.reservation);
        this.health.neutral(admission);
        return;
      case "disable":
        this.health.disable(failure, now);
        return;
      case "disable-model":
        this.health.disableModel(admission, admission.model, failure.status, now);
        return;
      case "failure":
        this.figures.penalize(now);
        // A 503 (or any retryable failure) that names a retry-after is the endpoint asking for a pause.
        if (failure.retryAfterMs !== undefined) this.coolFor(failure.retryAfterMs, "none", now);
        this.health.failed(admission, afterHeaders, failure.kind, now);
        return;
      case "none":
        this.health.neutral(admission);
        return;
    }
  }

  private calibrate(headers: Headers, reservation: Reservation, now: number): void {
    const info = parseRateLimitHeaders(headers);
    if (info === NO_LIMITS) return;
    const report = toBudgetReport(info, this.type, this.requestWindowSeconds);
    const learned = this.deps.store.calibrate(this.id, report, reservation, now);
    if (learned) {
      this.deps.emit({
        type: "limits-learned",
        at: now,
        endpoint: this.id,
        rpm: learned.rpm,
        tpm: learned.tpm,
      });
    }
  }

  /**
   * Stops admission until the service's retry-after, clamped to [`minRetryAfterMs`, `maxRetryAfterMs`]
   * (1 s when it named none, or nothing readable).
   */
  private coolFor(
    asked: number | undefined,
    drain: Failure["exhausted"] | "none",
    now: number,
    refused?: Reservation,
  ): void {
    const cap = this.deps.config.maxRetryAfterMs;
    // Clamped both ways: a "0" (or a date in the past) must not let every waiting request call again at once.
    const until =
      now +
      clampRetryAfter(asked, {
        minMs: this.deps.config.minRetryAfterMs,
        maxMs: cap,
        defaultMs: DEFAULT_COOLDOWN_MS,
      });
    this.deps.store.cool(this.id, until, drain, now, refused);
    this.deps.emit({
      type: "cooled-down",
      at: now,
      endpoint: this.id,
      until,
      retryAfterMs: asked,
      capped: asked !== undefined && asked > cap,
    });
  }
}
