/** Options of {@link Ewma}. */
export interface EwmaOptions {
  /**
   * Time after which old evidence has half its weight: a sample arriving `halfLifeMs` after the
   * previous one moves the figure half-way towards itself.
   * @unit milliseconds
   */
  readonly halfLifeMs: number;
  /**
   * Smallest weight a new sample gets, however soon after the previous one it arrives, so a
   * burst of samples (e.g. a run of slow penalties) still moves the figure quickly.
   * @default 0.2
   */
  readonly minAlpha?: number;
}

/**
 * A time-decayed exponentially weighted moving average.
 *
 * Each sample gets weight `alpha = max(minAlpha, 1 − 2^(−dt / halfLifeMs))`, where `dt` is the
 * time since the previous update. Unlike an all-time mean, old evidence fades with time, so an
 * endpoint that got slow (or recovered) shows it within a few samples or one half-life. The first
 * sample sets the value. Time is passed in, which keeps the average pure and testable.
 * @example
 * const latency = new Ewma({ halfLifeMs: 10_000 });
 * latency.update(120, now);
 * latency.value; // 120
 */
export class Ewma {
  private readonly halfLifeMs: number;
  private readonly minAlpha: number;
  private current: number | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  private count = 0;

  /** @throws RangeError when `halfLifeMs` is not positive or `minAlpha` is outside [0, 1]. */
  constructor(options: EwmaOptions) {
    const { halfLifeMs, minAlpha = 0.2 } = options;
    if (!(halfLifeMs > 0) || !Number.isFinite(halfLifeMs)) {
      throw new RangeError(`Expected \`halfLifeMs\` to be a finite number > 0, got ${String(halfLifeMs)}.`);
    }
    if (!(minAlpha >= 0 && minAlpha <= 1)) {
      throw new RangeError(`Expected \`minAlpha\` to be a number in [0, 1], got ${String(minAlpha)}.`);
    }
    this.halfLifeMs = halfLifeMs;
    this.minAlpha = minAlpha;
  }

  /** Adds a sample observed at `now` (ms). Non-finite samples are ignored so one bad reading cannot poison the figure. */
  update(sample: number, now: number): void {
    if (!Number.isFinite(sample)) return;
    this.count++;
    if (this.current === undefined) {
      this.current = sample;
      this.lastAt = now;
      return;
    }
    // A clock that steps backwards counts as no time passing.
    const dt = Math.max(0, now - this.lastAt);
    const alpha = Math.max(this.minAlpha, 1 - 2 ** (-dt / this.halfLifeMs));
    this.current += alpha * (sample - this.current);
    if (now > this.lastAt) this.lastAt = now;
  }

  /** The current average; `undefined` until the first sample. */
  get value(): number | undefined {
    return this.current;
  }

  /** Number of samples taken into account. */
  get samples(): number {
    return this.count;
  }
}
