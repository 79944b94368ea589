import type { Subscription } from "rxjs";
import type { BudgetView } from "../../strategies/types.js";
import type { LearnedLimits, Reservation } from "../budget-store.js";
import { requestBucketCapacity } from "../token-bucket.js";
import { Lease } from "./lease.js";
import { LocalShare, type Spent } from "./local-share.js";

/**
 * One lane as the shared store keeps it in this process: its mirror of the shared buckets (as the
 * last reply from Redis described them), its lease, its demand, and the state of its renewals. The
 * sizing and spacing of renewals live here as pure functions over it.
 */

/** A reservation of the shared store: where its units came from decides where a refund goes. */
export interface SharedReservation extends Reservation {
  readonly source: "lease" | "local" | "free";
}

/** One lane's state (see the module's summary). */
export interface LaneBudget {
  readonly id: string;
  readonly key: string;
  /** The lane's replicas set (heartbeats and renewals keep this replica in it). */
  readonly members: string;
  readonly window: number;
  readonly configured: { readonly rpm: number; readonly tpm: number };
  rpm: number;
  tpm: number;
  rcap: number;
  tcap: number;
  /** The shared levels and shares at the last reply (`at`, this process's clock). */
  levelR: number;
  levelT: number;
  shareR: number;
  shareT: number;
  at: number;
  coolingUntil: number;
  readonly lease: Lease;
  outstanding: number;
  requestsCharged: number;
  tokensCharged: number;
  /** Demand since the last renewal, and its smoothed rate (requests/s) and tokens per request. */
  admitted: number;
  admittedTokens: number;
  since: number;
  rate: number;
  tokensPerRequest: number;
  want: number;
  starved: boolean;
  neededTokens: number;
  inflight: boolean;
  /** No renewal before this (a partial grant spaces the next one). */
  nextAt: number;
  /** When Redis said enough would be there for the last request that found too little. */
  readyAt: number;
  timer: Subscription | undefined;
  local: LocalShare | undefined;
  debt: Spent | undefined;
}

/** A renewal starts when the lease holds less than this share of what the next one would want. */
export const LOW_WATER = 0.5;
/**
 * A renewal's reply is counted on no sooner than this (ms), nor sooner than twice the measured round
 * trip: the lease must last that long at the recent rate, and no longer.
 */
export const MIN_AHEAD_MS = 50;
/** No single grant exceeds this share of a bucket: a burst in one replica leaves some for the others. */
const MAX_LEASE_SHARE = 0.5;
/** A partial grant is not asked again sooner than enough for this many requests at the recent rate. */
const REQUESTS_PER_CONTENDED_LEASE = 8;
/**
 * What all replicas together may hold in leases, as a share of the limit's minute: at most 1%. A unit
 * is counted in Redis when granted and reaches the service when spent, so over any stretch of time the
 * service receives the refill plus what the leases held at its start minus what they hold at its end.
 * Leases sized to 1.5 s of each replica's rate (and units a stalled replica held until they expired)
 * let one minute of a 600-RPM endpoint serve up to 619 in the 4-replica soak (issue 11); held within
 * 1% of the minute, a minute stays within the limit + 1%.
 */
export const HELD_SHARE_OF_MINUTE = 0.01;
const MIN_SPACING_MS = 50;
const MAX_SPACING_MS = 1_000;
/** Wake-up hint while a renewal is under way (its reply announces the lane anyway). */
export const WAIT_HINT_MS = 20;

/** The view of a budget with no limit. */
export const UNLIMITED: BudgetView = {
  msUntilFull: 0,
  limit: undefined,
  remaining: Number.POSITIVE_INFINITY,
  capacity: Number.POSITIVE_INFINITY,
  share: 1,
};

/** A lane as registered: its buckets believed full until Redis says otherwise. */
export function newLaneBudget(
  lane: string,
  prefix: string,
  window: number,
  rpm: number,
  tpm: number,
  now: number,
): LaneBudget {
  const rcap = rpm > 0 ? requestBucketCapacity(rpm, window) : 0;
  // The lane is the hash tag: every key of a lane lands in one Redis Cluster slot.
  const tag = lane.replace(/[{}]/g, (c) => (c === "{" ? "%7B" : "%7D"));
  return {
    id: lane,
    key: `${prefix}:{${tag}}:budget`,
    members: `${prefix}:{${tag}}:replicas`,
    window,
    configured: { rpm, tpm },
    rpm,
    tpm,
    rcap,
    tcap: tpm,
    levelR: rcap,
    levelT: tpm,
    shareR: 1,
    shareT: 1,
    at: now,
    coolingUntil: 0,
    lease: new Lease(),
    outstanding: 0,
    requestsCharged: 0,
    tokensCharged: 0,
    admitted: 0,
    admittedTokens: 0,
    since: now,
    rate: 0,
    tokensPerRequest: 0,
    want: 1,
    starved: false,
    neededTokens: 0,
    inflight: false,
    nextAt: 0,
    readyAt: 0,
    timer: undefined,
    local: undefined,
    debt: undefined,
  };
}

/**
 * The most requests one replica's lease holds: its share (among `replicas`) of
 * {@link HELD_SHARE_OF_MINUTE} of the lane's minute, at least one request.
 */
export function heldCap(b: LaneBudget, replicas: number): number {
  return Math.max(1, Math.floor((b.rpm * HELD_SHARE_OF_MINUTE) / Math.max(1, replicas)));
}

/**
 * What the next renewal asks for: `coverMs` of the recent rate (at least one request), doubled while
 * requests found the lease short, never more than half a bucket, nor more than brings the lease to this
 * replica's {@link heldCap} once the reply lands (`target` is that size before what the lease still
 * holds is deducted: the next low-water mark is half of it, so a lease is not renewed a few units at a
 * time); tokens for that many requests of the recent size, and at least what the request that starved
 * needs. What the lease will still hold then is what it holds now less what the recent rate spends in
 * `flightMs` (the measured round trip): deducting what it holds at the ask instead made each grant
 * bring the cap less a flight's worth (~5 of 7 in the 30-s bench), as renewals go out ahead of need.
 * If less was spent, the reply trims the excess ({@link Lease.trimRequests}). Updates the rate figures.
 */
export function sizeRenewal(
  b: LaneBudget,
  now: number,
  coverMs: number,
  replicas: number,
  flightMs = 0,
): { want: number; target: number; wantT: number; minT: number } {
  const elapsed = now - b.since;
  if (elapsed >= 100) {
    const rate = (b.admitted * 1_000) / elapsed;
    b.rate = b.rate === 0 ? rate : 0.5 * b.rate + 0.5 * rate;
    if (b.admitted > 0) {
      const perRequest = b.admittedTokens / b.admitted;
      b.tokensPerRequest =
        b.tokensPerRequest === 0 ? perRequest : 0.7 * b.tokensPerRequest + 0.3 * perRequest;
    }
    b.admitted = 0;
    b.admittedTokens = 0;
    b.since = now;
  }
  let want = Math.max(1, Math.ceil((b.rate * coverMs) / 1_000));
  if (b.starved) want = Math.max(want, b.want * 2);
  let target = want;
  if (b.rcap > 0) {
    target = Math.min(want, Math.max(1, Math.floor(b.rcap * MAX_LEASE_SHARE)), heldCap(b, replicas));
    // The cap is on what the lease holds after the grant, not on one grant.
    const spentInFlight = Math.floor((b.rate * Math.max(0, flightMs)) / 1_000);
    const heldAtReply = Math.max(0, b.lease.requests - spentInFlight);
    want = Math.min(target, Math.max(1, heldCap(b, replicas) - heldAtReply));
  }
  const minT = b.tpm > 0 ? Math.max(b.neededTokens, Math.ceil(b.tokensPerRequest), 1) : 0;
  let wantT = Math.max(minT, Math.ceil(want * Math.max(b.tokensPerRequest, b.neededTokens)));
  if (b.tcap > 0) wantT = Math.min(wantT, Math.max(minT, Math.floor(b.tcap * MAX_LEASE_SHARE)));
  return { want, target, wantT, minT };
}

/**
 * The low-water mark in requests: a renewal goes out when the lease holds less than this. Half the
 * lease's target size, or, if less, what the recent rate spends while a renewal is on its way
 * (`aheadMs`, at least one request). Under the held cap a lease is small (7 requests for each of four
 * replicas on 3000 RPM): renewed at half of it, each grant brought ~4 and the 30-s bench sent 0.27
 * Redis commands per request. Renewed when what is left covers only the flight, a grant brings nearly
 * the whole cap, and what the lease holds is never more than before (the cap bounds it either way).
 * A request that finds the lease empty during the flight waits for that grant; it is not refused.
 */
export function lowWater(b: LaneBudget, aheadMs: number): number {
  const flight = Math.max(1, Math.ceil((b.rate * Math.max(MIN_AHEAD_MS, aheadMs)) / 1_000));
  return Math.max(1, Math.min(b.want * LOW_WATER, flight));
}

/**
 * True when a reply leaves the shared bucket too little beyond its cushion for another full lease
 * (`heldCap` requests): the replicas contend for the refill. The next renewal is then spaced as after a
 * partial grant. Asked at once, it would find only the refill of its own round trip: a saturated
 * replica spends a full grant at once and came straight back for one or two requests, so half the
 * renewals of the 30-s bench brought almost nothing.
 */
export function contended(b: LaneBudget, cushionMs: number, replicas: number): boolean {
  if (b.rpm <= 0) return false;
  const cushion = Math.min(b.rcap * b.shareR - 1, (b.rpm * b.shareR * cushionMs) / 60_000);
  return b.levelR - Math.max(0, cushion) < heldCap(b, replicas);
}

/**
 * How long after a contended grant the next renewal may go: enough for about eight requests at the
 * recent rate (fewer round trips under contention), or for what the lease may hold if that is less
 * (a replica that asked later than it could spend would leave refill unclaimed), never less than
 * Redis's own wait, and never longer than half the time the grantable part of the bucket takes to
 * refill (refill nobody claims before the bucket is full is lost).
 */
export function spacingAfterPartial(
  b: LaneBudget,
  waitMs: number,
  ttl: number,
  margin: number,
  replicas: number,
): number {
  const perLease =
    b.rpm > 0 ? Math.min(REQUESTS_PER_CONTENDED_LEASE, heldCap(b, replicas)) : REQUESTS_PER_CONTENDED_LEASE;
  const spacing = b.rate > 0 ? (perLease * 1_000) / b.rate : MIN_SPACING_MS;
  const room = b.window * 1_000 - ttl - margin;
  const most = Math.max(MIN_SPACING_MS, Math.min(MAX_SPACING_MS, room / 2));
  return Math.max(waitMs, Math.min(most, Math.max(MIN_SPACING_MS, spacing)));
}

/** Applies limits learned from headers (or another replica), keeping each bucket's fill ratio. */
export function learnLimits(
  b: LaneBudget,
  rpm: number | undefined,
  tpm: number | undefined,
): LearnedLimits | undefined {
  let learned: { rpm?: number; tpm?: number } | undefined;
  if (rpm !== undefined && rpm > 0 && Math.abs(rpm - b.rpm) > 1e-6) {
    const ratio = b.rpm > 0 && b.rcap > 0 ? b.levelR / b.rcap : 1;
    b.rpm = rpm;
    b.rcap = requestBucketCapacity(rpm, b.window);
    b.levelR = Math.min(b.rcap, ratio * b.rcap);
    learned = { rpm };
  }
  if (tpm !== undefined && tpm > 0 && Math.abs(tpm - b.tpm) > 1e-6) {
    const ratio = b.tpm > 0 && b.tcap > 0 ? b.levelT / b.tcap : 1;
    b.tpm = tpm;
    b.tcap = tpm;
    b.levelT = Math.min(tpm, ratio * tpm);
    learned = { ...learned, tpm };
  }
  return learned;
}

/** A budget's view: what this process holds plus what the shared bucket holds by now (an estimate). */
export function bucketView(
  held: number,
  level: number,
  cap: number,
  perMinute: number,
  share: number,
  at: number,
  now: number,
): BudgetView {
  const rate = (perMinute * share) / 60_000;
  const shared = sharedLevel(level, cap, perMinute, share, at, now);
  return {
    limit: perMinute,
    remaining: held + Math.max(0, shared),
    capacity: cap,
    msUntilFull: rate > 0 ? Math.ceil(Math.max(0, cap * share - shared) / rate) : 0,
    share,
  };
}

/** A shared bucket's level at `now`, from its level at the last reply (`at`) and its refill since. */
export function sharedLevel(
  level: number,
  cap: number,
  perMinute: number,
  share: number,
  at: number,
  now: number,
): number {
  return Math.min(cap * share, level + (Math.max(0, now - at) * perMinute * share) / 60_000);
}

/** The arguments every script starts with: the clock, then the lane's configured limits and window. */
export function bucketArgs(b: LaneBudget, time: string): string[] {
  return [time, String(b.configured.rpm), String(b.configured.tpm), String(b.window)];
}

/**
 * This replica's budget for an outage: its share among `replicas` of what the shared bucket held
 * beyond its cushion. The cushion is what the services' buckets still hold for units already on their
 * way, not spare quota.
 */
export function outageShare(b: LaneBudget, cushionMs: number, replicas: number, now: number): LocalShare {
  const spare = (level: number, cap: number, perMinute: number, share: number) =>
    Math.max(
      0,
      sharedLevel(level, cap, perMinute, share, b.at, now) - (perMinute * share * cushionMs) / 60_000,
    );
  return new LocalShare(
    {
      rpm: b.rpm * b.shareR,
      tpm: b.tpm * b.shareT,
      requestCapacity: b.rcap * b.shareR,
      tokenCapacity: b.tcap * b.shareT,
      requestFill: b.rcap > 0 ? spare(b.levelR, b.rcap, b.rpm, b.shareR) / b.rcap : 1,
      tokenFill: b.tcap > 0 ? spare(b.levelT, b.tcap, b.tpm, b.shareT) / b.tcap : 1,
    },
    replicas,
    now,
  );
}

/** Which of a lane's budgets a 429's `drain` empties. */
export function drained(drain: string): { readonly requests: boolean; readonly tokens: boolean } {
  return {
    requests: drain === "requests" || drain === "both",
    tokens: drain === "tokens" || drain === "both",
  };
}

/** Redis is back: what this replica spent alone in the outage becomes its debt (at most a bucket's worth). */
export function endOutage(b: LaneBudget): void {
  if (!b.local) return;
  b.debt = {
    requests: Math.min(Math.max(0, b.local.spent.requests), b.rcap),
    tokens: Math.min(Math.max(0, b.local.spent.tokens), b.tcap),
  };
  b.local = undefined;
}
