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
  /** Share of the limit spent after a throttle (see `throttle`); 1 otherwise. */
  private shareFloor = 1;
  private throttledAt = 0;
  private recoveryMs = Number.POSITIVE_INFINITY;

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

  /**
   * The share of its limit the bucket spends at `now`: 1 normally; after `throttle`, lower, climbing
   * back linearly to 1 over `recoveryMs` without another throttle.
   */
  share(now: number): number {
    if (this.shareFloor >= 1) return 1;
    const share = this.shareFloor + Math.max(0, now - this.throttledAt) / this.recoveryMs;
    if (share < 1) return share;
    this.shareFloor = 1;
    return 1;
  }

  /**
   * The service refused a call the bucket admitted (a 429): its real limit is lower than ours (another
   * client spends the same quota, or ours is configured too high). Spend `factor` of the current share
   * from now on (size and refill), never less than `minShare`, recovering over `recoveryMs`:
   * multiplicative decrease, linear recovery, so several routers on one quota settle near their shares.
   */
  throttle(factor: number, minShare: number, recoveryMs: number, now: number): void {
    this.refill(now);
    this.shareFloor = Math.max(minShare, this.share(now) * factor);
    this.throttledAt = now;
    this.recoveryMs = recoveryMs;
    this.tokens = Math.min(this.tokens, this.cap * this.shareFloor);
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
    this.tokens = Math.min(this.cap * this.share(now), this.tokens + n);
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
    const share = this.share(now);
    // A throttled bucket holds less: wait for the share to grow enough too (an estimate: refill and
    // recovery overlap, so the real wait is shorter, and the dispatcher checks again when it wakes).
    const untilRoom = n > this.cap * share ? Math.ceil((n / this.cap - share) * this.recoveryMs) : 0;
    return Math.max(untilRoom, Math.ceil((n - this.tokens) / (this.ratePerMs * share)));
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
      const share = this.share(now);
      this.tokens = Math.min(this.cap * share, this.tokens + (now - this.last) * this.ratePerMs * share);
      this.last = now;
    }
  }
}

/** The window over which Azure enforces RPM unless told otherwise ("typically 1 or 10 seconds"). */
export const DEFAULT_REQUEST_WINDOW_SECONDS = 10;

/**
 * Bucket size for a requests-per-minute limit: one enforcement window's worth (ten seconds by default),
 * as Azure enforces RPM over short windows; never less than one request.
 */
export function requestBucketCapacity(rpm: number, windowSeconds = DEFAULT_REQUEST_WINDOW_SECONDS): number {
  return Math.max(1, (rpm * windowSeconds) / 60);
}
