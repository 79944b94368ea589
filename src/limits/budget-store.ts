import type { BudgetView } from "../strategies/types.js";
import { requestBucketCapacity, TokenBucket } from "./token-bucket.js";

/** Configured limits of one lane; absent = unknown until the service's headers tell. */
export interface LaneBudgetLimits {
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
}

/** What a response's `x-ratelimit-*` headers said (see `parseRateLimitHeaders`). */
export interface RateLimitReport {
  readonly requests: { readonly limit?: number; readonly remaining?: number; readonly resetMs?: number };
  readonly tokens: { readonly limit?: number; readonly remaining?: number; readonly resetMs?: number };
}

/** A charge taken at admission. Settled exactly once with `commit` or `refund`. */
export interface Reservation {
  readonly lane: string;
  readonly tokens: number;
  readonly at: number;
  /** Running totals right after this charge, to reconcile later headers with what was sent since. */
  readonly requestsCharged: number;
  readonly tokensCharged: number;
}

/** A budget of a lane as the metrics show it. */
export interface BudgetState {
  readonly rpm: BudgetView;
  readonly tpm: BudgetView;
  /** Epoch ms until which the lane takes no requests (a 429's retry-after); 0 when not cooling. */
  readonly coolingUntil: number;
  /** Reservations not yet committed or refunded. */
  readonly outstanding: number;
}

/** Limits learned from the service's headers, reported so the router can say so in events$. */
export interface LearnedLimits {
  readonly rpm?: number;
  readonly tpm?: number;
}

/**
 * Where budgets and cooldowns live. The in-process store is the default; a shared store (e.g. Redis,
 * for many router processes spending one quota) implements the same interface. Reservation is a single
 * check-and-charge of both the request and the token budget, so concurrency cannot overshoot.
 */
export interface BudgetStore {
  register(lane: string, limits: LaneBudgetLimits, now: number): void;
  /** Checks and charges 1 request + `tokens` atomically, or charges nothing and returns undefined. */
  reserve(lane: string, tokens: number, now: number): Reservation | undefined;
  /** 0 when `tokens` could be reserved now, else ms until they could; Infinity when they never fit. */
  msUntilAvailable(lane: string, tokens: number, now: number): number;
  /** The call reached the service: the charge stands (services do not give unused output back). */
  commit(reservation: Reservation): void;
  /** The call never reached the service (or was refused with 429, which the service does not charge). */
  refund(reservation: Reservation, now: number): void;
  /** Stops admission until `until`; `drain` also empties the named budget (a 429 shrinks it). */
  cool(lane: string, until: number, drain: "requests" | "tokens" | "both" | "none", now: number): void;
  coolingUntil(lane: string): number;
  /** Corrects the buckets from a response's headers; returns limits learned or changed, if any. */
  calibrate(
    lane: string,
    report: RateLimitReport,
    reservation: Reservation | undefined,
    now: number,
  ): LearnedLimits | undefined;
  view(lane: string, now: number): BudgetState;
}

interface LaneBudget {
  requests: TokenBucket | undefined;
  tokens: TokenBucket | undefined;
  requestsCharged: number;
  tokensCharged: number;
  coolingUntil: number;
  outstanding: number;
}

const UNLIMITED: BudgetView = {
  msUntilFull: 0,
  limit: undefined,
  remaining: Number.POSITIVE_INFINITY,
  capacity: Number.POSITIVE_INFINITY,
};

/** The default store: token buckets in this process's memory. */
export class InMemoryBudgetStore implements BudgetStore {
  private readonly lanes = new Map<string, LaneBudget>();

  register(lane: string, limits: LaneBudgetLimits, now: number): void {
    this.lanes.set(lane, {
      requests: limits.rpm ? new TokenBucket(requestBucketCapacity(limits.rpm), limits.rpm, now) : undefined,
      tokens: limits.tpm ? new TokenBucket(limits.tpm, limits.tpm, now) : undefined,
      requestsCharged: 0,
      tokensCharged: 0,
      coolingUntil: 0,
      outstanding: 0,
    });
  }

  reserve(lane: string, tokens: number, now: number): Reservation | undefined {
    const b = this.get(lane);
    if (b.coolingUntil > now) return undefined;
    if (b.requests && b.requests.available(now) < 1 - 1e-9) return undefined;
    if (b.tokens && !b.tokens.tryTake(tokens, now)) return undefined;
    b.requests?.tryTake(1, now);
    b.requestsCharged += 1;
    b.tokensCharged += tokens;
    b.outstanding += 1;
    return { lane, tokens, at: now, requestsCharged: b.requestsCharged, tokensCharged: b.tokensCharged };
  }

  msUntilAvailable(lane: string, tokens: number, now: number): number {
    const b = this.get(lane);
    const cooling = Math.max(0, b.coolingUntil - now);
    const requests = b.requests ? b.requests.msUntil(1, now) : 0;
    const tokenWait = b.tokens ? b.tokens.msUntil(tokens, now) : 0;
    return Math.max(cooling, requests, tokenWait);
  }

  commit(reservation: Reservation): void {
    this.get(reservation.lane).outstanding -= 1;
  }

  refund(reservation: Reservation, now: number): void {
    const b = this.get(reservation.lane);
    b.outstanding -= 1;
    // A refunded call was never sent: calibrate() must not count it among the calls sent since a header.
    b.requestsCharged -= 1;
    b.tokensCharged -= reservation.tokens;
    b.requests?.giveBack(1, now);
    b.tokens?.giveBack(reservation.tokens, now);
  }

  cool(lane: string, until: number, drain: "requests" | "tokens" | "both" | "none", now: number): void {
    const b = this.get(lane);
    b.coolingUntil = Math.max(b.coolingUntil, until);
    if (drain === "requests" || drain === "both") b.requests?.clampTo(0, now);
    if (drain === "tokens" || drain === "both") b.tokens?.clampTo(0, now);
  }

  coolingUntil(lane: string): number {
    return this.get(lane).coolingUntil;
  }

  calibrate(
    lane: string,
    report: RateLimitReport,
    reservation: Reservation | undefined,
    now: number,
  ): LearnedLimits | undefined {
    const b = this.get(lane);
    let learned: { rpm?: number; tpm?: number } | undefined;
    const { requests, tokens } = report;
    if (requests.limit !== undefined && requests.limit > 0) {
      if (!b.requests) {
        b.requests = new TokenBucket(requestBucketCapacity(requests.limit), requests.limit, now);
        learned = { ...learned, rpm: requests.limit };
      } else if (Math.abs(b.requests.perMinute - requests.limit) > 1e-6) {
        b.requests.reconfigure(requestBucketCapacity(requests.limit), requests.limit, now);
        learned = { ...learned, rpm: requests.limit };
      }
    }
    if (tokens.limit !== undefined && tokens.limit > 0) {
      if (!b.tokens) {
        b.tokens = new TokenBucket(tokens.limit, tokens.limit, now);
        learned = { ...learned, tpm: tokens.limit };
      } else if (Math.abs(b.tokens.perMinute - tokens.limit) > 1e-6) {
        b.tokens.reconfigure(tokens.limit, tokens.limit, now);
        learned = { ...learned, tpm: tokens.limit };
      }
    }
    // The header describes the service's bucket when it admitted this call. What we sent since then and
    // what refilled since then are accounted for, so only a real disagreement (another client spending
    // the same quota) lowers our bucket; a stale header never raises it.
    if (reservation) {
      const elapsed = Math.max(0, now - reservation.at);
      if (requests.remaining !== undefined && b.requests) {
        const since = b.requestsCharged - reservation.requestsCharged;
        b.requests.clampTo(requests.remaining + (elapsed * b.requests.perMinute) / 60_000 - since, now);
      }
      if (tokens.remaining !== undefined && b.tokens) {
        const since = b.tokensCharged - reservation.tokensCharged;
        b.tokens.clampTo(tokens.remaining + (elapsed * b.tokens.perMinute) / 60_000 - since, now);
      }
    }
    return learned;
  }

  view(lane: string, now: number): BudgetState {
    const b = this.get(lane);
    return {
      rpm: b.requests ? bucketView(b.requests, now) : UNLIMITED,
      tpm: b.tokens ? bucketView(b.tokens, now) : UNLIMITED,
      coolingUntil: b.coolingUntil > now ? b.coolingUntil : 0,
      outstanding: b.outstanding,
    };
  }

  private get(lane: string): LaneBudget {
    const b = this.lanes.get(lane);
    if (!b) throw new Error(`budget store: unknown lane "${lane}"`);
    return b;
  }
}

function bucketView(bucket: TokenBucket, now: number): BudgetView {
  return {
    limit: bucket.perMinute,
    remaining: bucket.available(now),
    capacity: bucket.capacity,
    msUntilFull: bucket.msUntilFull(now),
  };
}
