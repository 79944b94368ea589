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
  /** After a throttle, each period this long without another one doubles the recovery pace. */
  private quietMs = Number.POSITIVE_INFINITY;
  /** Refill time kept unspent below every charge (see `cushion`). */
  private readonly marginMs: number;

  /**
   * @param capacity the largest burst (bucket size)
   * @param perMinute refill rate per minute
   * @param now current time in ms
   * @param marginMs refill time kept unspent below each charge (see {@link cushion}); 0 spends to the last unit
   */
  constructor(capacity: number, perMinute: number, now: number, marginMs = 0) {
    this.cap = capacity;
    this.ratePerMs = perMinute / 60_000;
    this.tokens = capacity;
    this.last = now;
    this.marginMs = Math.max(0, marginMs);
  }

  /**
   * Units the bucket keeps unspent below a charge: `marginMs` of refill. The service counts a call when
   * it arrives, a little after the router charged it, and arrivals jitter; pacing at exactly the limit
   * turns that jitter into 429s. A cushion of `marginMs` lets an arrival be that much early. It costs
   * `marginMs` once (the first wait after the bucket runs dry), not a share of the rate.
   */
  get cushion(): number {
    return this.ratePerMs * this.marginMs;
  }

  /** What must be in the bucket to take `n`: `n` plus the cushion, but never more than the bucket holds now. */
  private need(n: number, now: number): number {
    const room = this.cap * this.share(now);
    return n >= room ? n : Math.min(n + this.cushion, room);
  }

  get capacity(): number {
    return this.cap;
  }

  get perMinute(): number {
    return this.ratePerMs * 60_000;
  }

  /**
   * The share of its limit the bucket spends at `now`: 1 normally; after `throttle`, lower, climbing
   * back to 1 at `1 / recoveryMs` per ms, a pace that doubles after each `quietMs` without another
   * throttle (so a shrink that the service does not confirm is undone in a few quiet periods).
   */
  share(now: number): number {
    if (this.shareFloor >= 1) return 1;
    const share =
      this.shareFloor + recovered(Math.max(0, now - this.throttledAt), this.quietMs) / this.recoveryMs;
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
  throttle(
    factor: number,
    minShare: number,
    recoveryMs: number,
    now: number,
    quietMs = Number.POSITIVE_INFINITY,
  ): void {
    this.refill(now);
    this.shareFloor = Math.max(minShare, this.share(now) * factor);
    this.throttledAt = now;
    this.recoveryMs = recoveryMs;
    this.quietMs = quietMs;
    this.tokens = Math.min(this.tokens, this.cap * this.shareFloor);
  }

  /**
   * Keeps a throttled bucket's recovery at its starting pace: the service still shows other consumers,
   * so the quiet periods that would double the pace start again from `now`. No-op when not throttled.
   */
  restartRecovery(now: number): void {
    this.refill(now);
    const share = this.share(now);
    if (share >= 1) return;
    this.shareFloor = share;
    this.throttledAt = now;
  }

  /** Tokens available at `now`. */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** True when `n` could be taken now (they are there, with the cushion below them). */
  canTake(n: number, now: number): boolean {
    this.refill(now);
    return this.tokens + 1e-9 >= this.need(n, now);
  }

  /** Takes `n` tokens if they are all there with the cushion below them; never goes negative. */
  tryTake(n: number, now: number): boolean {
    if (!this.canTake(n, now)) return false;
    this.tokens -= n;
    return true;
  }

  /** Takes `n` tokens whatever the bucket holds, never below 0 (a bucket that only keeps count). */
  spend(n: number, now: number): void {
    this.refill(now);
    this.tokens = Math.max(0, this.tokens - n);
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

  /**
   * Milliseconds until `n` tokens can be taken (with the cushion below them); `Infinity` when `n`
   * exceeds the capacity.
   */
  msUntil(n: number, now: number): number {
    if (n > this.cap) return Number.POSITIVE_INFINITY;
    return this.msUntilLevel(this.need(n, now), now);
  }

  /** Milliseconds until the bucket is full again (the `x-ratelimit-reset-*` meaning). */
  msUntilFull(now: number): number {
    return this.msUntilLevel(this.cap, now);
  }

  private msUntilLevel(n: number, now: number): number {
    this.refill(now);
    if (this.tokens + 1e-9 >= n) return 0;
    const share = this.share(now);
    // A throttled bucket holds less: wait for the share to grow enough too (an estimate: refill and
    // recovery overlap, so the real wait is shorter, and the dispatcher checks again when it wakes).
    const untilRoom = n > this.cap * share ? Math.ceil((n / this.cap - share) * this.recoveryMs) : 0;
    return Math.max(untilRoom, Math.ceil((n - this.tokens) / (this.ratePerMs * share)));
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

/**
 * Share recovered (in units of `1 / recoveryMs`) `elapsed` ms after a throttle, when the pace doubles
 * after each `quietMs`: `elapsed` itself when `quietMs` is infinite.
 */
function recovered(elapsed: number, quietMs: number): number {
  if (!Number.isFinite(quietMs) || quietMs <= 0) return elapsed;
  // Past 30 doublings every share is long recovered; the cap keeps 2 ** k finite.
  const k = Math.min(30, Math.floor(elapsed / quietMs));
  const pace = 2 ** k;
  return quietMs * (pace - 1) + (elapsed - k * quietMs) * pace;
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
