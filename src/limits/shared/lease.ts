/**
 * The slices of one lane's shared buckets that this process holds: spent synchronously at admission,
 * with no round trip. Each grant expires on its own (`expiresAt`, this process's clock): a unit leased
 * long ago must not be spent after the shared bucket has refilled past it, or replicas together could
 * send more than a window's worth. Expired units are handed back to Redis on the next call (safe: the
 * shared bucket is never left above what it would hold had they never been taken).
 */
interface Grant {
  requests: number;
  tokens: number;
  readonly expiresAt: number;
}

/** What a lease gives back to the shared bucket. */
export interface Handback {
  readonly requests: number;
  readonly tokens: number;
}

/** One lane's lease. Invariant: `requests` and `tokens` are the sums over the live grants. */
export class Lease {
  private readonly grants: Grant[] = [];
  /** Live units (sums over the grants). */
  requests = 0;
  tokens = 0;
  /** Units of expired (or refunded-after-expiry) grants not yet handed back. */
  private returnRequests = 0;
  private returnTokens = 0;

  /** Adds a grant from Redis. */
  add(requests: number, tokens: number, expiresAt: number): void {
    if (requests <= 0 && tokens <= 0) return;
    this.grants.push({ requests, tokens, expiresAt });
    this.requests += requests;
    this.tokens += tokens;
  }

  /** Moves the grants that expired by `now` to the hand-back. */
  expire(now: number): void {
    const g = this.grants;
    while (g.length > 0 && (g[0] as Grant).expiresAt <= now) {
      const grant = g.shift() as Grant;
      this.requests -= grant.requests;
      this.tokens -= grant.tokens;
      this.returnRequests += grant.requests;
      this.returnTokens += grant.tokens;
    }
  }

  /** True when 1 request and `tokens` tokens are held now (an unlimited dimension is not checked). */
  covers(tokens: number, limitedRequests: boolean, limitedTokens: boolean, now: number): boolean {
    const first = this.grants[0];
    if (first !== undefined && first.expiresAt <= now) this.expire(now);
    return (!limitedRequests || this.requests >= 1) && (!limitedTokens || this.tokens >= tokens);
  }

  /** Spends 1 request and `tokens` tokens, oldest grants first. Call only after `covers`. */
  take(tokens: number, limitedRequests: boolean, limitedTokens: boolean): void {
    let needR = limitedRequests ? 1 : 0;
    let needT = limitedTokens ? tokens : 0;
    this.requests -= needR;
    this.tokens -= needT;
    for (const grant of this.grants) {
      if (needR === 0 && needT === 0) break;
      const r = Math.min(grant.requests, needR);
      grant.requests -= r;
      needR -= r;
      const t = Math.min(grant.tokens, needT);
      grant.tokens -= t;
      needT -= t;
    }
    while (this.grants.length > 0) {
      const head = this.grants[0] as Grant;
      if (head.requests > 0 || head.tokens > 0) break;
      this.grants.shift();
    }
  }

  /**
   * Keeps at most `most` requests spendable: the excess (newest grants first) waits to be handed back
   * with the next call. A renewal asks for what the cap leaves once the flight's spending is done; if
   * less was spent meanwhile, this keeps the cap exact at no extra round trip.
   */
  trimRequests(most: number): void {
    let excess = this.requests - most;
    for (let i = this.grants.length - 1; i >= 0 && excess > 0; i--) {
      const grant = this.grants[i] as Grant;
      const r = Math.min(grant.requests, excess);
      grant.requests -= r;
      excess -= r;
      this.requests -= r;
      this.returnRequests += r;
    }
  }

  /** A 429 emptied the named budget: the units held for it are destroyed, not handed back. */
  destroy(requests: boolean, tokens: boolean): void {
    for (const grant of this.grants) {
      if (requests) grant.requests = 0;
      if (tokens) grant.tokens = 0;
    }
    if (requests) {
      this.requests = 0;
      this.returnRequests = 0;
    }
    if (tokens) {
      this.tokens = 0;
      this.returnTokens = 0;
    }
  }

  /** Takes what waits to be handed back (the caller sends it; on failure, `restore` it). */
  takeHandback(): Handback {
    const back = { requests: this.returnRequests, tokens: this.returnTokens };
    this.returnRequests = 0;
    this.returnTokens = 0;
    return back;
  }

  /** A hand-back that could not be sent. */
  restore(back: Handback): void {
    this.returnRequests += back.requests;
    this.returnTokens += back.tokens;
  }

  /** Everything held, live or expired, for `close()`; the lease is empty afterwards. */
  surrender(): Handback {
    const back = {
      requests: this.requests + this.returnRequests,
      tokens: this.tokens + this.returnTokens,
    };
    this.grants.length = 0;
    this.requests = 0;
    this.tokens = 0;
    this.returnRequests = 0;
    this.returnTokens = 0;
    return back;
  }

  /** True when expired units wait to be handed back. */
  get owesHandback(): boolean {
    return this.returnRequests > 0 || this.returnTokens > 0;
  }
}
