import { TokenBucket } from "../token-bucket.js";

/** What a lane's shared bucket looked like at the last reply from Redis. */
export interface SharedFigures {
  readonly rpm: number;
  readonly tpm: number;
  readonly requestCapacity: number;
  readonly tokenCapacity: number;
  /** Fill of each bucket (0…1) at the last reply: the outage starts from this replica's part of it. */
  readonly requestFill: number;
  readonly tokenFill: number;
}

/** What a replica spent on its own during an outage: its debt to the shared bucket. */
export interface Spent {
  requests: number;
  tokens: number;
}

/**
 * A lane's budget while Redis is unreachable and `whenUnavailable` is `"local-share"`: this replica
 * spends `limit / replicas` (replicas as last counted by the heartbeats), in the in-process
 * `TokenBucket`s, starting from its part of what the shared bucket last held (not from full, which
 * would let every replica burst a window's share at the outage's start).
 */
export class LocalShare {
  private readonly requests: TokenBucket | undefined;
  private readonly tokens: TokenBucket | undefined;
  /** Charges not refunded since the outage began: handed to Redis as a debt on recovery. */
  readonly spent: Spent = { requests: 0, tokens: 0 };

  constructor(figures: SharedFigures, replicas: number, now: number) {
    const n = Math.max(1, replicas);
    if (figures.rpm > 0) {
      this.requests = new TokenBucket(figures.requestCapacity / n, figures.rpm / n, now);
      this.requests.clampTo((figures.requestCapacity / n) * clamp01(figures.requestFill), now);
    }
    if (figures.tpm > 0) {
      this.tokens = new TokenBucket(figures.tokenCapacity / n, figures.tpm / n, now);
      this.tokens.clampTo((figures.tokenCapacity / n) * clamp01(figures.tokenFill), now);
    }
  }

  /** Checks and charges 1 request + `tokens`, both or neither. */
  reserve(tokens: number, now: number): boolean {
    if (this.requests && this.requests.available(now) < 1 - 1e-9) return false;
    if (this.tokens && !this.tokens.tryTake(tokens, now)) return false;
    this.requests?.tryTake(1, now);
    this.spent.requests += 1;
    this.spent.tokens += tokens;
    return true;
  }

  /** ms until 1 request + `tokens` could be reserved; Infinity when they never fit this share. */
  msUntil(tokens: number, now: number): number {
    return Math.max(
      this.requests ? this.requests.msUntil(1, now) : 0,
      this.tokens ? this.tokens.msUntil(tokens, now) : 0,
    );
  }

  refund(tokens: number, now: number): void {
    this.spent.requests -= 1;
    this.spent.tokens -= tokens;
    this.requests?.giveBack(1, now);
    this.tokens?.giveBack(tokens, now);
  }

  /** A 429 during the outage: empties and shrinks the named budget, as the in-process store does. */
  throttle(
    requests: boolean,
    tokens: boolean,
    factor: number,
    minShare: number,
    recoveryMs: number,
    now: number,
  ): void {
    for (const [bucket, named] of [
      [this.requests, requests],
      [this.tokens, tokens],
    ] as const) {
      if (!bucket || !named) continue;
      bucket.clampTo(0, now);
      bucket.throttle(factor, minShare, recoveryMs, now);
    }
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 1;
}
