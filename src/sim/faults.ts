import type { Clock } from "./clock.js";
import type { Faults } from "./options.js";
import { deriveSeed, mulberry32, type Rng } from "./prng.js";

/** Retry-after of a 429 injected by `errorRate` when the faults give no `errorRetryAfterMs`. */
export const DEFAULT_INJECTED_RETRY_AFTER_MS = 1000;

/**
 * The faults of one endpoint and the seeded draws that decide which requests they hit.
 * Every `set` reseeds the draws, so a test that sets the same faults sees the same outcomes
 * regardless of the traffic that came before.
 */
export class FaultState {
  #faults: Faults = {};
  #stormUntil = 0;
  #errorRng: Rng;
  #resetRng: Rng;

  constructor(
    private readonly seed: number,
    private readonly name: string,
    private readonly now: Clock,
  ) {
    this.#errorRng = mulberry32(deriveSeed(seed, name, "fault-error"));
    this.#resetRng = mulberry32(deriveSeed(seed, name, "fault-reset"));
  }

  get current(): Faults {
    return this.#faults;
  }

  set(faults: Faults): void {
    this.#faults = faults;
    this.#stormUntil = faults.rateLimitStormMs ? this.now() + faults.rateLimitStormMs : 0;
    this.#errorRng = mulberry32(deriveSeed(this.seed, this.name, "fault-error"));
    this.#resetRng = mulberry32(deriveSeed(this.seed, this.name, "fault-reset"));
  }

  /** Milliseconds left in the current rate-limit storm; 0 when there is none. */
  stormRemainingMs(): number {
    if (this.#stormUntil === 0) return 0;
    const left = this.#stormUntil - this.now();
    if (left > 0) return left;
    this.#stormUntil = 0;
    return 0;
  }

  /** Whether this request's socket is reset before headers. */
  drawReset(): boolean {
    const share = this.#faults.resetBeforeHeaders;
    return share !== undefined && share > 0 && this.#resetRng() < share;
  }

  /** The status this request fails with, or undefined when it passes. */
  drawError(): number | undefined {
    const rate = this.#faults.errorRate;
    if (rate === undefined || rate <= 0 || this.#errorRng() >= rate) return undefined;
    return this.#faults.errorStatus ?? 500;
  }
}
