import type { BudgetView } from "../strategies/types.js";
import type {
  BudgetReport,
  BudgetState,
  BudgetStore,
  LaneBudgetLimits,
  LearnedLimits,
  RateLimitReport,
  Reservation,
  ThrottleOptions,
} from "./budget-store.js";
import { DEFAULT_PACING, evidenceLeft, type PacingOptions, throttleVerdict } from "./pacing.js";
import { DEFAULT_REQUEST_WINDOW_SECONDS, requestBucketCapacity, TokenBucket } from "./token-bucket.js";

/** When one budget last met a 429, and last saw the service spend faster than we did. */
interface Evidence {
  throttledAt: number;
  foreignAt: number;
  /**
   * What this budget would hold if only our own calls spent it: full limit, never throttled, never
   * calibrated. The service's counters below it show spending that was not ours.
   */
  own: TokenBucket | undefined;
  /** The level right after each recent charge, with its time (a ring of `LOW_WATER` entries). */
  readonly lows: { at: number; left: number }[];
  next: number;
}

/** How many recent charges a budget remembers to find its low-water mark since a refused call. */
const LOW_WATER = 256;

interface LaneBudget {
  readonly windowSeconds: number;
  requests: TokenBucket | undefined;
  tokens: TokenBucket | undefined;
  requestsCharged: number;
  tokensCharged: number;
  coolingUntil: number;
  outstanding: number;
  readonly requestEvidence: Evidence;
  readonly tokenEvidence: Evidence;
}

const freshEvidence = (own: TokenBucket | undefined): Evidence => ({
  throttledAt: Number.NEGATIVE_INFINITY,
  foreignAt: Number.NEGATIVE_INFINITY,
  own,
  lows: [],
  next: 0,
});

/** Notes the level right after a charge. */
function noteLow(evidence: Evidence, at: number, left: number): void {
  const entry = evidence.lows[evidence.next];
  if (entry) {
    entry.at = at;
    entry.left = left;
  } else evidence.lows.push({ at, left });
  evidence.next = (evidence.next + 1) % LOW_WATER;
}

/**
 * The lowest level the budget reached from `since` on: calls charged together reach the service in
 * any order, so the margin a refused call had is the least any call charged with or after it left.
 */
function lowSince(evidence: Evidence, since: number, left: number): number {
  let low = left;
  for (const e of evidence.lows) if (e.at >= since && e.left < low) low = e.left;
  return low;
}

/** A bucket like `bucket`, to keep count of our own spending (see `Evidence.own`). */
const ownCount = (bucket: TokenBucket | undefined, now: number): TokenBucket | undefined =>
  bucket && new TokenBucket(bucket.capacity, bucket.perMinute, now);

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
  private readonly throttle: PacingOptions;
  /** The lane `get` found last (see `get`). */
  private lastLane: string | undefined;
  private lastBudget: LaneBudget | undefined;

  constructor(options: { readonly throttle?: Partial<ThrottleOptions> } = {}) {
    // Keys given as undefined keep their defaults.
    const given = Object.entries(options.throttle ?? {}).filter(([, v]) => v !== undefined);
    this.throttle = { ...DEFAULT_PACING, ...Object.fromEntries(given) };
  }

  register(lane: string, limits: LaneBudgetLimits, now: number): void {
    const windowSeconds = limits.requestWindowSeconds ?? DEFAULT_REQUEST_WINDOW_SECONDS;
    const requests = limits.rpm
      ? this.requestBucket(requestBucketCapacity(limits.rpm, windowSeconds), limits.rpm, now)
      : undefined;
    const tokens = limits.tpm ? new TokenBucket(limits.tpm, limits.tpm, now) : undefined;
    this.lastLane = undefined;
    this.lastBudget = undefined;
    this.lanes.set(lane, {
      windowSeconds,
      requests,
      tokens,
      requestsCharged: 0,
      tokensCharged: 0,
      coolingUntil: 0,
      outstanding: 0,
      requestEvidence: freshEvidence(ownCount(requests, now)),
      tokenEvidence: freshEvidence(ownCount(tokens, now)),
    });
  }

  reserve(lane: string, tokens: number, now: number): Reservation | undefined {
    const b = this.get(lane);
    if (b.coolingUntil > now) return undefined;
    if (b.requests && !b.requests.canTake(1, now)) return undefined;
    if (b.tokens && !b.tokens.tryTake(tokens, now)) return undefined;
    b.requests?.tryTake(1, now);
    b.requestEvidence.own?.spend(1, now);
    b.tokenEvidence.own?.spend(tokens, now);
    const requestsLeft = b.requests?.available(now);
    const tokensLeft = b.tokens?.available(now);
    if (requestsLeft !== undefined) noteLow(b.requestEvidence, now, requestsLeft);
    if (tokensLeft !== undefined) noteLow(b.tokenEvidence, now, tokensLeft);
    b.requestsCharged += 1;
    b.tokensCharged += tokens;
    b.outstanding += 1;
    // One literal of one shape (no conditional spreads): it is built on every admission.
    return {
      lane,
      tokens,
      at: now,
      requestsCharged: b.requestsCharged,
      tokensCharged: b.tokensCharged,
      requestsLeft,
      tokensLeft,
    };
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
    b.requestEvidence.own?.giveBack(1, now);
    b.tokenEvidence.own?.giveBack(reservation.tokens, now);
  }

  cool(
    lane: string,
    until: number,
    drain: "requests" | "tokens" | "both" | "none",
    now: number,
    refused?: Reservation,
  ): void {
    const b = this.get(lane);
    b.coolingUntil = Math.max(b.coolingUntil, until);
    const { factor, minShare, recoveryMs, quietMs } = this.throttle;
    for (const [bucket, named, evidence, left] of [
      [b.requests, drain === "requests" || drain === "both", b.requestEvidence, refused?.requestsLeft],
      [b.tokens, drain === "tokens" || drain === "both", b.tokenEvidence, refused?.tokensLeft],
    ] as const) {
      if (!bucket || !named) continue;
      const verdict = throttleVerdict(this.throttle, {
        now,
        ratePerMs: bucket.perMinute / 60_000,
        ...(refused && left !== undefined
          ? { admittedAt: refused.at, leftAtAdmission: lowSince(evidence, refused.at, left) }
          : {}),
        throttledAt: evidence.throttledAt,
        foreignAt: evidence.foreignAt,
      });
      evidence.throttledAt = now;
      // The service has no room for this charge until `until`: neither have we. At the edge of our own
      // pacing the bucket holds just what refills by then, so the lane goes again once the cooldown
      // and the cushion have passed (an empty bucket would idle for a whole charge's refill more).
      const charge = bucket === b.requests ? 1 : (refused?.tokens ?? 0);
      const refillsBy = (Math.max(0, until - now) * bucket.perMinute) / 60_000;
      bucket.clampTo(verdict === "edge" ? Math.max(0, charge - refillsBy) : 0, now);
      if (verdict !== "edge") bucket.throttle(factor, minShare, recoveryMs, now, quietMs);
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
    let createdRequests = false;
    let createdTokens = false;
    const { requests, tokens } = report;
    if (requests.limit !== undefined && requests.limit > 0) {
      const capacity = requestBucketCapacity(requests.limit, b.windowSeconds);
      if (!b.requests) {
        createdRequests = true;
        b.requests = this.requestBucket(capacity, requests.limit, now);
        b.requestEvidence.own = ownCount(b.requests, now);
        learned = { ...learned, rpm: requests.limit };
      } else if (Math.abs(b.requests.perMinute - requests.limit) > 1e-6) {
        b.requests.reconfigure(capacity, requests.limit, now);
        b.requestEvidence.own?.reconfigure(capacity, requests.limit, now);
        learned = { ...learned, rpm: requests.limit };
      }
    }
    if (tokens.limit !== undefined && tokens.limit > 0) {
      if (!b.tokens) {
        createdTokens = true;
        b.tokens = new TokenBucket(tokens.limit, tokens.limit, now);
        b.tokenEvidence.own = ownCount(b.tokens, now);
        learned = { ...learned, tpm: tokens.limit };
      } else if (Math.abs(b.tokens.perMinute - tokens.limit) > 1e-6) {
        b.tokens.reconfigure(tokens.limit, tokens.limit, now);
        b.tokenEvidence.own?.reconfigure(tokens.limit, tokens.limit, now);
        learned = { ...learned, tpm: tokens.limit };
      }
    }
    // The header describes the service's bucket when it admitted this call. What we sent since then and
    // what refilled since then are accounted for, so only a real disagreement (another client spending
    // the same quota) lowers our bucket; a stale header never raises it, and a header that cannot be
    // true for our window (see `evidenceLeft`) lowers it no further than what it does prove.
    if (reservation) {
      const elapsed = Math.max(0, now - reservation.at);
      const correct = (
        bucket: TokenBucket | undefined,
        report: BudgetReport,
        since: number,
        evidence: Evidence,
        fresh: boolean,
      ) => {
        if (!bucket) return;
        const seen = evidenceLeft(report, bucket.capacity, bucket.perMinute / 60_000);
        if (seen === undefined) return;
        const target = seen.left + (elapsed * bucket.perMinute * bucket.share(now)) / 60_000 - since;
        // The service counts more spent than we sent, even if it had already counted every call we
        // charged after this one (calls overtake each other on the way), beyond the rounding of whole
        // counts when no reset time pins the fraction down: someone else spends this quota. Our own
        // calls reach the service after we charged them, so alone we never see such a gap.
        // Also beyond `edgeMs` of refill: the service starts refilling when our first call arrives, a
        // little after we charged it, and that lag alone must not read as another consumer.
        const tolerance = (seen.exact ? 0 : 1) + (this.throttle.edgeMs * bucket.perMinute) / 60_000;
        const own = evidence.own?.available(now) ?? bucket.available(now);
        // A bucket learned from this very answer has no history of our own spending to compare.
        if (!fresh && target + since < own - tolerance) {
          evidence.foreignAt = now;
          bucket.restartRecovery(now);
        }
        bucket.clampTo(target, now);
      };
      const since = (charged: number, then: number) => charged - then;
      correct(
        b.requests,
        requests,
        since(b.requestsCharged, reservation.requestsCharged),
        b.requestEvidence,
        createdRequests,
      );
      correct(
        b.tokens,
        tokens,
        since(b.tokensCharged, reservation.tokensCharged),
        b.tokenEvidence,
        createdTokens,
      );
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

  /**
   * A requests bucket, with the pacing cushion. Token buckets have none: a token charge is an estimate
   * the service makes the same way, and a lane bound by tokens rarely spends to the last one (the
   * next request waits for its whole charge); the goodput benchmark sees no 429 on them.
   */
  private requestBucket(capacity: number, perMinute: number, now: number): TokenBucket {
    return new TokenBucket(capacity, perMinute, now, this.throttle.marginMs);
  }

  private get(lane: string): LaneBudget {
    // A request asks about the same lane several times in a row (check, reserve, snapshot, commit).
    if (lane === this.lastLane && this.lastBudget !== undefined) return this.lastBudget;
    const b = this.lanes.get(lane);
    if (!b) throw new Error(`budget store: unknown lane "${lane}"`);
    this.lastLane = lane;
    this.lastBudget = b;
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
