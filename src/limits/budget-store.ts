import type { RouterEvent } from "../events.js";
import type { BudgetView } from "../strategies/types.js";
import { DEFAULT_REQUEST_WINDOW_SECONDS, requestBucketCapacity, TokenBucket } from "./token-bucket.js";

/** Configured limits of one lane; absent = unknown until the service's headers tell. */
export interface LaneBudgetLimits {
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
  /** The window over which the service enforces `rpm` (the requests bucket holds one window's worth). @default 10 */
  readonly requestWindowSeconds?: number | undefined;
}

/** What a service's headers said about one budget, in the store's terms (see `toBudgetReport`). */
export interface BudgetReport {
  /** The limit per minute. */
  readonly limit?: number;
  /** Units left in the service's own bucket (whatever its size). */
  readonly remaining?: number;
  /**
   * Units the service counts as spent and not yet refilled (its bucket's size minus `remaining`), when
   * it said both: comparable with our bucket whatever size the service's bucket has.
   */
  readonly spent?: number;
  readonly resetMs?: number;
}

/** What a response's `x-ratelimit-*` headers said (see `toBudgetReport`). */
export interface RateLimitReport {
  readonly requests: BudgetReport;
  readonly tokens: BudgetReport;
}

/** How a 429 shrinks the budget it names (see `TokenBucket.throttle`). */
export interface ThrottleOptions {
  /** The share kept after a 429. @default 0.5 */
  readonly factor: number;
  /** The share never drops below this. @default 0.1 */
  readonly minShare: number;
  /** Time to climb from share 0 back to the whole limit without another 429. @default 120000 @unit milliseconds */
  readonly recoveryMs: number;
}

const DEFAULT_THROTTLE: ThrottleOptions = { factor: 0.5, minShare: 0.1, recoveryMs: 120_000 };

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
  /**
   * Optional, for a store that changes on its own (a shared store's leases arrive asynchronously, Redis
   * goes away and comes back): the router listens, wakes its queue on `available` and forwards
   * `event`s to `events$`. Returns the unsubscribe function.
   */
  watch?(listener: (signal: BudgetSignal) => void): () => void;
  /** Optional: releases what the store holds (a shared store hands its leases back). */
  close?(): Promise<void>;
}

/** What a store that changes on its own tells the router (see `BudgetStore.watch`). */
export type BudgetSignal =
  /** Budget may have appeared for `lane` (a lease arrived, a refund): waiting requests may go now. */
  | { readonly type: "available"; readonly lane: string }
  /** Something to report on `events$` (a shared store down or up, a limit another replica learned). */
  | { readonly type: "event"; readonly event: RouterEvent };

interface LaneBudget {
  readonly windowSeconds: number;
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
  share: 1,
};

/**
 * The default store: token buckets in this process's memory.
 * @example
 * const store = new InMemoryBudgetStore({ throttle: { factor: 0.7, minShare: 0.2, recoveryMs: 60_000 } });
 * createRouter(config, { budgetStore: store });
 */
export class InMemoryBudgetStore implements BudgetStore {
  private readonly lanes = new Map<string, LaneBudget>();
  private readonly throttle: ThrottleOptions;

  constructor(options: { readonly throttle?: Partial<ThrottleOptions> } = {}) {
    this.throttle = { ...DEFAULT_THROTTLE, ...options.throttle };
  }

  register(lane: string, limits: LaneBudgetLimits, now: number): void {
    const windowSeconds = limits.requestWindowSeconds ?? DEFAULT_REQUEST_WINDOW_SECONDS;
    this.lanes.set(lane, {
      windowSeconds,
      requests: limits.rpm
        ? new TokenBucket(requestBucketCapacity(limits.rpm, windowSeconds), limits.rpm, now)
        : undefined,
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
    const { factor, minShare, recoveryMs } = this.throttle;
    for (const [bucket, named] of [
      [b.requests, drain === "requests" || drain === "both"],
      [b.tokens, drain === "tokens" || drain === "both"],
    ] as const) {
      if (!bucket || !named) continue;
      bucket.clampTo(0, now);
      bucket.throttle(factor, minShare, recoveryMs, now);
    }
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
      const capacity = requestBucketCapacity(requests.limit, b.windowSeconds);
      if (!b.requests) {
        b.requests = new TokenBucket(capacity, requests.limit, now);
        learned = { ...learned, rpm: requests.limit };
      } else if (Math.abs(b.requests.perMinute - requests.limit) > 1e-6) {
        b.requests.reconfigure(capacity, requests.limit, now);
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
      const correct = (bucket: TokenBucket | undefined, report: BudgetReport, since: number) => {
        // What the service had left, in our bucket's terms: its deficit, when it gave its limit too
        // (its bucket may be a window or a minute); else its remaining as it stands.
        const left = report.spent !== undefined ? bucket && bucket.capacity - report.spent : report.remaining;
        if (!bucket || left === undefined) return;
        bucket.clampTo(left + (elapsed * bucket.perMinute * bucket.share(now)) / 60_000 - since, now);
      };
      correct(b.requests, requests, b.requestsCharged - reservation.requestsCharged);
      correct(b.tokens, tokens, b.tokensCharged - reservation.tokensCharged);
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
    share: bucket.share(now),
  };
}
