import type { ResolvedConfig } from "../config.js";
import type { RouterEvent } from "../events.js";
import {
  type BreakerPass,
  type BreakerState,
  type BreakerTransition,
  CircuitBreaker,
} from "../resilience/circuit-breaker.js";
import type { Failure } from "../resilience/classify.js";
import type { LaneState, RequestKind } from "../strategies/types.js";

/** The circuit passes an attempt holds: handed back with its verdict (see `BreakerPass`). */
export interface HealthPasses {
  readonly endpointPass: BreakerPass;
  /** Only a stream holds one. */
  readonly streamPass: BreakerPass | undefined;
}

/**
 * One endpoint's health: its two circuits, and what a refusal took out of service (the whole
 * endpoint after a 401/403, one model after a 404). Verdicts come in as arguments and transitions go
 * out as events, so it knows nothing of budgets, HTTP or the queue.
 */
export class LaneHealth {
  /** Health of the endpoint as a whole (every kind of call). */
  private readonly breaker: CircuitBreaker;
  /**
   * Health of its streams: an endpoint (or a proxy in front of it) may cut streams while answering
   * plain calls, and those calls' successes must not hide it.
   */
  private readonly streamBreaker: CircuitBreaker;
  /** Models whose deployment answered 404, with the time they may be tried again. */
  private readonly disabledModels = new Map<string, number>();
  private disabledReason: Failure["kind"] | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly options: ResolvedConfig["breaker"],
    private readonly emit: (event: RouterEvent) => void,
  ) {
    this.breaker = new CircuitBreaker(options);
    this.streamBreaker = new CircuitBreaker(options);
  }

  /** As the selection and metrics see it, given until when the endpoint's budget is cooling. */
  state(now: number, coolingUntil: number): LaneState {
    const breaker: BreakerState = this.breaker.state(now);
    if (this.disabledReason && breaker === "open") return "disabled";
    if (breaker === "open") return "open";
    if (breaker === "half-open") return "half-open";
    if (coolingUntil > now) return "cooling";
    return "healthy";
  }

  /** State of the stream circuit. */
  streamCircuit(now: number): BreakerState {
    return this.streamBreaker.state(now);
  }

  /** Epoch ms when an open endpoint circuit lets a probe through (0 when not open). */
  get reopensAt(): number {
    return this.breaker.reopensAt;
  }

  /** False while a 404 keeps `model` out; once its time is up the model is tried again. */
  serves(model: string, now: number): boolean {
    if (this.disabledModels.size === 0) return true;
    const until = this.disabledModels.get(model);
    if (until === undefined) return true;
    if (now < until) return false;
    this.disabledModels.delete(model);
    return true;
  }

  /** Models a 404 took out and not yet due to be tried again. */
  disabledFor(now: number): string[] {
    return [...this.disabledModels].filter(([, until]) => until > now).map(([model]) => model);
  }

  /** Both circuits must pass for a stream; the endpoint's circuit for anything else. */
  passes(kind: RequestKind, now: number): boolean {
    return this.breaker.canPass(now) && (kind !== "stream" || this.streamBreaker.canPass(now));
  }

  /** False when a stream could not start now even with budget and a slot (its circuit is closed to it). */
  streamsPass(now: number): boolean {
    return this.streamBreaker.canPass(now);
  }

  /** 0 when an attempt of `kind` may pass now, the time to the probe when open, Infinity while a probe is out. */
  msUntilPass(kind: RequestKind, now: number): number {
    const endpoint = msUntilPass(this.breaker, now);
    return kind === "stream" ? Math.max(endpoint, msUntilPass(this.streamBreaker, now)) : endpoint;
  }

  /** Records an admitted attempt's start (call only after `passes`). */
  start(kind: RequestKind, now: number): HealthPasses {
    const endpointPass = this.breaker.start(now);
    if (endpointPass.transition) this.report(endpointPass.transition, this.breaker, now);
    let streamPass: BreakerPass | undefined;
    if (kind === "stream") {
      streamPass = this.streamBreaker.start(now);
      if (streamPass.transition) this.report(streamPass.transition, this.streamBreaker, now);
    }
    return { endpointPass, streamPass };
  }

  /**
   * A successful attempt. When it closes the endpoint's circuit (the endpoint came back), `onRecovered`
   * runs before the event goes out, so a listener already sees the lane as it is after recovery.
   */
  succeeded(passes: HealthPasses, now: number, onRecovered: () => void): void {
    const closed = this.breaker.success(passes.endpointPass);
    if (closed) {
      this.disabledReason = undefined;
      onRecovered();
      this.report(closed, this.breaker, now);
    }
    if (passes.streamPass) {
      const streamClosed = this.streamBreaker.success(passes.streamPass);
      if (streamClosed) this.report(streamClosed, this.streamBreaker, now);
    }
  }

  /** An attempt whose verdict says nothing about the endpoint's health (aborted, throttled, a 400). */
  neutral(passes: HealthPasses): void {
    this.breaker.neutral(passes.endpointPass);
    if (passes.streamPass) this.streamBreaker.neutral(passes.streamPass);
  }

  /**
   * A failed attempt blames a circuit. After a stream's headers the endpoint did answer: only its
   * stream circuit takes the blame.
   */
  failed(passes: HealthPasses, afterHeaders: boolean, reason: Failure["kind"], now: number): void {
    const { endpointPass, streamPass } = passes;
    if (afterHeaders && streamPass) {
      this.breaker.neutral(endpointPass);
      this.blame(this.streamBreaker, streamPass, reason, now);
    } else {
      if (streamPass) this.streamBreaker.neutral(streamPass);
      this.blame(this.breaker, endpointPass, reason, now);
    }
  }

  /** A refusal of the endpoint itself (401/403): out of service until a probe after `disabledProbeMs`. */
  disable(failure: Failure, now: number): void {
    const ms = this.options.disabledProbeMs;
    this.disabledReason = failure.kind;
    this.breaker.trip(now, ms);
    this.emit({
      type: "endpoint-disabled",
      at: now,
      endpoint: this.endpoint,
      reason: failure.kind,
      status: failure.status,
      until: now + ms,
    });
  }

  /** A 404 for one model's deployment: that model is out for `disabledProbeMs`, the rest still served. */
  disableModel(passes: HealthPasses, model: string, status: number | undefined, now: number): void {
    const until = now + this.options.disabledProbeMs;
    this.disabledModels.set(model, until);
    this.neutral(passes);
    this.emit({ type: "model-disabled", at: now, endpoint: this.endpoint, model, status, until });
  }

  private blame(breaker: CircuitBreaker, pass: BreakerPass, reason: Failure["kind"], now: number): void {
    const transition = breaker.failure(pass, now);
    if (transition) this.report(transition, breaker, now, reason);
  }

  private report(
    transition: NonNullable<BreakerTransition>,
    breaker: CircuitBreaker,
    now: number,
    reason?: Failure["kind"],
  ): void {
    const scope = breaker === this.streamBreaker ? ("streams" as const) : ("endpoint" as const);
    if (transition === "opened") {
      this.emit({
        type: "circuit-opened",
        at: now,
        endpoint: this.endpoint,
        scope,
        until: breaker.reopensAt,
        reason: reason ?? "unknown",
      });
    } else if (transition === "half-opened") {
      this.emit({ type: "circuit-half-opened", at: now, endpoint: this.endpoint, scope });
    } else {
      this.emit({ type: "recovered", at: now, endpoint: this.endpoint, scope });
    }
  }
}

/** 0 when a call may pass now, the time to the probe when open, Infinity while a probe is out. */
function msUntilPass(breaker: CircuitBreaker, now: number): number {
  if (breaker.state(now) === "open") return breaker.reopensAt - now;
  return breaker.canPass(now) ? 0 : Number.POSITIVE_INFINITY;
}
