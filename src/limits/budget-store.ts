import type { RouterEvent } from "../events.js";
import type { BudgetView } from "../strategies/types.js";
import type { PacingOptions } from "./pacing.js";

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
   * it said both: comparable with our bucket whatever size the service's bucket has, as long as it fits
   * our bucket (a larger deficit means the windows differ; negative means remaining > limit; see
   * `evidenceLeft` for what the store makes of each).
   */
  readonly spent?: number;
  readonly resetMs?: number;
}

/** What a response's `x-ratelimit-*` headers said (see `toBudgetReport`). */
export interface RateLimitReport {
  readonly requests: BudgetReport;
  readonly tokens: BudgetReport;
}

/**
 * How budgets are paced, and how a 429 that shows other consumers of the quota shrinks the budget it
 * names (see `TokenBucket.throttle` and docs/limits-and-quotas.md, "Pacing").
 */
export type ThrottleOptions = Pick<PacingOptions, "factor" | "minShare" | "recoveryMs"> &
  Partial<Pick<PacingOptions, "windowMs" | "quietMs" | "edgeMs" | "marginMs">>;

/** A charge taken at admission. Settled exactly once with `commit` or `refund`. */
export interface Reservation {
  readonly lane: string;
  readonly tokens: number;
  readonly at: number;
  /** Running totals right after this charge, to reconcile later headers with what was sent since. */
  readonly requestsCharged: number;
  readonly tokensCharged: number;
  /**
   * What the buckets held right after this charge (absent: no such budget). A 429 for a call that
   * left a margin shows other consumers; one at the edge of our own pacing shows only jitter.
   */
  readonly requestsLeft?: number | undefined;
  readonly tokensLeft?: number | undefined;
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
  /**
   * Stops admission until `until`; `drain` also empties the named budget (a 429). With `refused`, the
   * reservation of the call the service refused, the store tells a 429 at the edge of its own pacing
   * (no shrink) from one that shows other consumers (shrink); without it, every drain shrinks.
   */
  cool(
    lane: string,
    until: number,
    drain: "requests" | "tokens" | "both" | "none",
    now: number,
    refused?: Reservation,
  ): void;
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
