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
 * A per-lane circuit breaker over consecutive failures and a failure ratio in a sliding window of
 * recent calls. Time comes in as arguments, so it is deterministic under test.
 */
export class CircuitBreaker {
  private current: BreakerState = "closed";
  private openUntil = 0;
  private probing = false;
  private consecutive = 0;
  private readonly outcomes: boolean[] = [];
  private failuresInWindow = 0;

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

  /** Records that a call started; in half-open it becomes the single probe. */
  onStart(now: number): BreakerTransition {
    if (this.state(now) !== "half-open") return undefined;
    const transition = this.current === "open" ? "half-opened" : undefined;
    this.current = "half-open";
    this.probing = true;
    return transition;
  }

  /** A probe that ended without a verdict (e.g. aborted by the caller) frees the probe slot. */
  onNeutral(): void {
    this.probing = false;
  }

  /**
   * A success closes a half-open breaker (its probe came back). While open, a success can only be a
   * call that started before the breaker opened: it says nothing about the endpoint now, so it is ignored.
   */
  success(): BreakerTransition {
    if (this.current === "open") return undefined;
    this.consecutive = 0;
    this.record(true);
    if (this.current === "half-open") {
      this.current = "closed";
      this.probing = false;
      this.outcomes.length = 0;
      this.failuresInWindow = 0;
      return "closed";
    }
    return undefined;
  }

  failure(now: number): BreakerTransition {
    this.consecutive += 1;
    this.record(false);
    if (this.current === "half-open") return this.trip(now, this.options.cooldownMs);
    if (this.current === "open") return undefined;
    const n = this.outcomes.length;
    const ratioTrips = n >= this.options.minCalls && this.failuresInWindow / n >= this.options.failureRatio;
    if (this.consecutive >= this.options.consecutiveFailures || ratioTrips) {
      return this.trip(now, this.options.cooldownMs);
    }
    return undefined;
  }

  /** Opens the breaker for `ms` whatever its state (a misconfigured endpoint is taken out). */
  trip(now: number, ms: number): BreakerTransition {
    const was = this.current;
    this.current = "open";
    this.openUntil = now + ms;
    this.probing = false;
    this.consecutive = 0;
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
