/**
 * A continuously refilled token bucket. Services refill their limiters continuously (Azure checks
 * RPM over 1 s / 10 s windows), so a fixed per-minute window would either waste quota or burst
 * into 429s. Time is passed in by the caller, which keeps the bucket pure and testable.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private ratePerMs: number;
  private cap: number;

  /**
   * @param capacity the largest burst (bucket size)
   * @param perMinute refill rate per minute
   * @param now current time in ms
   */
  constructor(capacity: number, perMinute: number, now: number) {
    this.cap = capacity;
    this.ratePerMs = perMinute / 60_000;
    this.tokens = capacity;
    this.last = now;
  }

  get capacity(): number {
    return this.cap;
  }

  get perMinute(): number {
    return this.ratePerMs * 60_000;
  }

  /** Tokens available at `now`. */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Takes `n` tokens if they are all there; never goes negative. */
  tryTake(n: number, now: number): boolean {
    this.refill(now);
    if (this.tokens + 1e-9 < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Puts back `n` tokens (a charge for a call that never reached the service). */
  giveBack(n: number, now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.cap, this.tokens + n);
  }

  /** Empties the bucket down to `n` (used when the service reports fewer remaining than we think). */
  clampTo(n: number, now: number): void {
    this.refill(now);
    if (n < this.tokens) this.tokens = Math.max(0, n);
  }

  /** Milliseconds until `n` tokens are available; `Infinity` when `n` exceeds the capacity. */
  msUntil(n: number, now: number): number {
    this.refill(now);
    if (n > this.cap) return Number.POSITIVE_INFINITY;
    if (this.tokens >= n) return 0;
    return Math.ceil((n - this.tokens) / this.ratePerMs);
  }

  /** Milliseconds until the bucket is full again (the `x-ratelimit-reset-*` meaning). */
  msUntilFull(now: number): number {
    return this.msUntil(this.cap, now);
  }

  /** Changes the limit, keeping the fill ratio (a learned or recalibrated limit). */
  reconfigure(capacity: number, perMinute: number, now: number): void {
    this.refill(now);
    const ratio = this.cap > 0 ? this.tokens / this.cap : 1;
    this.cap = capacity;
    this.ratePerMs = perMinute / 60_000;
    this.tokens = Math.min(capacity, ratio * capacity);
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.cap, this.tokens + (now - this.last) * this.ratePerMs);
      this.last = now;
    }
  }
}

/** Bucket size for a requests-per-minute limit: ten seconds' worth, as Azure enforces RPM over short windows. */
export function requestBucketCapacity(rpm: number): number {
  return Math.max(1, rpm / 6);
}
