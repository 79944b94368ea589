/** Breaker state: closed passes everything, open passes nothing, half-open passes one probe. */
export type BreakerState = "closed" | "open" | "half-open";

/** Options of {@link CircuitBreaker}. */
export interface BreakerOptions {
  /** Opens after this many failures in a row. @default 5 */
  readonly consecutiveFailures: number;
  /** Opens when the failure share of the last `window` calls reaches this (with at least `minCalls`). @default 0.5 */
  readonly failureRatio: number;
  /** How many recent calls the ratio looks at. @default 20 */
  readonly window: number;
  /** The ratio rule needs at least this many calls in the window. @default 10 */
  readonly minCalls: number;
  /** How long the breaker stays open before a probe. @default 15000 @unit milliseconds */
  readonly cooldownMs: number;
}

/** A transition worth reporting. */
export type BreakerTransition = "opened" | "half-opened" | "closed" | undefined;

/**
 * What the breaker said when a call started, handed back with the call's verdict: the verdict of a
 * call that started before the breaker last opened says nothing about the endpoint now, and only the
 * probe's verdict may close (or reopen) a half-open breaker.
 */
export interface BreakerPass {
  /** How many times the breaker had opened when the call started. */
  readonly epoch: number;
  /** The call is the half-open breaker's single probe. */
  readonly probe: boolean;
  /** The transition starting the call caused (`half-opened` for a probe after the cool-down). */
  readonly transition: BreakerTransition;
}

/**
 * A per-lane circuit breaker over consecutive failures and a failure ratio in a sliding window of
 * recent calls. Time comes in as arguments, so it is deterministic under test.
 * @example
 * const pass = breaker.start(now);           // when a call is admitted
 * breaker.failure(pass, later);              // or success(pass) / neutral(pass)
 */
export class CircuitBreaker {
  private current: BreakerState = "closed";
  private openUntil = 0;
  private probing = false;
  private epoch = 0;
  private consecutive = 0;
  private readonly outcomes: boolean[] = [];
  private failuresInWindow = 0;
  /** Shared by every ordinary call of the current epoch: the hot path allocates nothing. */
  private ordinary: BreakerPass = { epoch: 0, probe: false, transition: undefined };

  constructor(private readonly options: BreakerOptions) {}

  /** The state at `now` (open turns half-open once its cool-down has passed). */
  state(now: number): BreakerState {
    if (this.current === "open" && now >= this.openUntil) return "half-open";
    return this.current;
  }

  /** When an open breaker lets a probe through; 0 when not open. */
  get reopensAt(): number {
    return this.current === "open" ? this.openUntil : 0;
  }

  /** True when a call may start now. */
  canPass(now: number): boolean {
    const s = this.state(now);
    return s === "closed" || (s === "half-open" && !this.probing);
  }

  /** Records that a call started (call only after `canPass`); in half-open it becomes the single probe. */
  start(now: number): BreakerPass {
    if (this.state(now) !== "half-open") return this.ordinary;
    const transition = this.current === "open" ? "half-opened" : undefined;
    this.current = "half-open";
    this.probing = true;
    return { epoch: this.epoch, probe: true, transition };
  }

  /** A call ended without a verdict on the endpoint (e.g. aborted by the caller): a probe frees its slot. */
  neutral(pass: BreakerPass): void {
    if (pass.probe && pass.epoch === this.epoch && this.current === "half-open") this.probing = false;
  }

  /** A call succeeded: the probe's success closes a half-open breaker. */
  success(pass: BreakerPass): BreakerTransition {
    if (pass.epoch !== this.epoch) return undefined;
    if (pass.probe) {
      if (this.current !== "half-open") return undefined;
      this.current = "closed";
      this.probing = false;
      this.consecutive = 0;
      this.outcomes.length = 0;
      this.failuresInWindow = 0;
      return "closed";
    }
    this.consecutive = 0;
    this.record(true);
    return undefined;
  }

  /** A call failed: counts toward opening; the probe's failure reopens a half-open breaker. */
  failure(pass: BreakerPass, now: number): BreakerTransition {
    if (pass.epoch !== this.epoch) return undefined;
    if (pass.probe) return this.current === "half-open" ? this.trip(now, this.options.cooldownMs) : undefined;
    if (this.current !== "closed") return undefined;
    this.consecutive += 1;
    this.record(false);
    const n = this.outcomes.length;
    const ratioTrips = n >= this.options.minCalls && this.failuresInWindow / n >= this.options.failureRatio;
    if (this.consecutive >= this.options.consecutiveFailures || ratioTrips) {
      return this.trip(now, this.options.cooldownMs);
    }
    return undefined;
  }

  /**
   * Opens the breaker for `ms` whatever its state (a misconfigured endpoint is taken out). Calls in
   * flight become stale: their verdicts no longer count.
   */
  trip(now: number, ms: number): BreakerTransition {
    const was = this.current;
    this.current = "open";
    this.openUntil = now + ms;
    this.probing = false;
    this.consecutive = 0;
    this.epoch += 1;
    this.ordinary = { epoch: this.epoch, probe: false, transition: undefined };
    return was === "open" ? undefined : "opened";
  }

  private record(ok: boolean): void {
    this.outcomes.push(ok);
    if (!ok) this.failuresInWindow += 1;
    if (this.outcomes.length > this.options.window) {
      const dropped = this.outcomes.shift();
      if (dropped === false) this.failuresInWindow -= 1;
    }
  }
}
