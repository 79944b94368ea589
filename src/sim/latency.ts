import type { LatencyConfig } from "./options.js";
import type { Rng } from "./prng.js";

/** The delays of one response, already scaled by faults and jitter. */
export interface Timing {
  /** Before the response headers (fault `slowStartMs`; not jittered). */
  readonly startMs: number;
  /** From the headers to the first content token. */
  readonly ttftMs: number;
  /** Between consecutive tokens. */
  readonly perTokenMs: number;
}

/**
 * Node's timers fire no sooner than 1 ms after they are set, whatever smaller delay is asked for.
 * A reply due sooner than this is sent at once: waiting could only make it later than the model says.
 */
export const TIMER_RESOLUTION_MS = 1;

export const INSTANT: Timing = { startMs: 0, ttftMs: 0, perTokenMs: 0 };

/**
 * Turns an endpoint's latency config into per-request timings. One jitter draw per request scales
 * ttft and per-token time together, as a busy backend slows both.
 */
export class LatencyModel {
  readonly #ttftMs: number;
  readonly #perTokenMs: number;
  readonly #jitter: number;

  constructor(
    config: LatencyConfig | undefined,
    private readonly rng: Rng,
  ) {
    this.#ttftMs = config?.ttftMs ?? 0;
    this.#perTokenMs = config?.tokensPerSecond === undefined ? 0 : 1000 / config.tokensPerSecond;
    this.#jitter = config?.jitter ?? 0;
  }

  sample(slowFactor: number, slowStartMs: number): Timing {
    if (this.#ttftMs === 0 && this.#perTokenMs === 0 && slowStartMs === 0) return INSTANT;
    const factor = slowFactor * (this.#jitter === 0 ? 1 : 1 + this.#jitter * (2 * this.rng() - 1));
    return { startMs: slowStartMs, ttftMs: this.#ttftMs * factor, perTokenMs: this.#perTokenMs * factor };
  }
}

/** When a non-streamed reply of `tokens` tokens is ready: ttft + tokens / speed. */
export function totalDelayMs(t: Timing, tokens: number): number {
  return t.startMs + t.ttftMs + tokens * t.perTokenMs;
}
