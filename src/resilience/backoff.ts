/** Options of {@link fullJitterBackoff}. */
export interface BackoffOptions {
  /** Delay cap before jitter for the first retry. @default 100 @unit milliseconds */
  readonly baseMs: number;
  /** Largest delay. @default 8000 @unit milliseconds */
  readonly maxMs: number;
}

/**
 * Exponential backoff with full jitter (uniform in [0, min(max, base·2^n)]): retries from many callers
 * spread out instead of arriving together.
 * @example
 * const delay = fullJitterBackoff({ baseMs: 100, maxMs: 8000 });
 * delay(0, Math.random); // 0..100
 */
export function fullJitterBackoff(options: BackoffOptions): (retry: number, rng: () => number) => number {
  return (retry, rng) => rng() * Math.min(options.maxMs, options.baseMs * 2 ** retry);
}
