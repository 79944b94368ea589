/**
 * Counts events per second over a sliding window of one-second buckets, so metrics can show
 * requests/s and tokens/min without keeping per-event timestamps.
 */
export class RateMeter {
  private readonly buckets: Float64Array;
  private readonly stamps: Float64Array;

  /** @param windowSeconds how far back the meter looks @default 60 */
  constructor(private readonly windowSeconds = 60) {
    this.buckets = new Float64Array(windowSeconds);
    this.stamps = new Float64Array(windowSeconds).fill(-1);
  }

  add(amount: number, now: number): void {
    const second = Math.floor(now / 1000);
    const i = second % this.windowSeconds;
    if (this.stamps[i] !== second) {
      this.stamps[i] = second;
      this.buckets[i] = 0;
    }
    this.buckets[i] = (this.buckets[i] ?? 0) + amount;
  }

  /** Sum over the last `seconds` complete-or-current seconds. */
  sum(now: number, seconds = this.windowSeconds): number {
    const current = Math.floor(now / 1000);
    const span = Math.min(seconds, this.windowSeconds);
    let total = 0;
    for (let k = 0; k < span; k++) {
      const second = current - k;
      const i = ((second % this.windowSeconds) + this.windowSeconds) % this.windowSeconds;
      if (this.stamps[i] === second) total += this.buckets[i] ?? 0;
    }
    return total;
  }

  /** Events per second averaged over the last `seconds` (default 5). */
  perSecond(now: number, seconds = 5): number {
    return this.sum(now, seconds) / seconds;
  }
}
