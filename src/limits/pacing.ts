/**
 * The rules that decide how hard the router leans on a budget: what a 429 proves, and what a
 * service's rate-limit counters prove. Pure functions over numbers, so every store (in-process or
 * shared) can apply the same rules.
 *
 * Why: pacing at exactly the limit, arrival jitter alone makes a service refuse a call now and then (it
 * counts the call when it arrives, a little after the router charged it). Treating such a 429 like
 * proof of another consumer halves the budget for minutes and costs far more than the 429 itself; and
 * a counter that cannot be true for the router's window (a per-minute limit with a per-window
 * remaining) must not empty a lane after every response.
 */

/** Pacing and throttling options (`throttle` in the router config). */
export interface PacingOptions {
  /** The share kept after a 429 that shows other consumers of the quota. @default 0.5 */
  readonly factor: number;
  /** The share never drops below this. @default 0.1 */
  readonly minShare: number;
  /**
   * Time to climb from share 0 back to the whole limit at the starting pace (the pace then doubles
   * after each `quietMs` without another 429). @default 120000 @unit milliseconds
   */
  readonly recoveryMs: number;
  /**
   * A 429 for a call admitted after an earlier 429 on the same budget, within this long of it, or
   * within this long of the service's counters showing spending that was not ours, shows other
   * consumers. @default 10000 @unit milliseconds
   */
  readonly windowMs: number;
  /**
   * After a shrink, each period this long without another 429 doubles the recovery pace, so a shrink
   * the service does not confirm is undone quickly while one it keeps confirming recovers at the
   * starting pace (which lets several routers on one quota settle on their shares).
   * @default 30000 @unit milliseconds
   */
  readonly quietMs: number;
  /**
   * A refused call whose charge left at least this much refill time in its budget was not at the edge
   * of our own pacing: the service saw spending we did not (another consumer, or a limit set too
   * high). Below it, the 429 is our own jitter: the lane cools for its retry-after and is not shrunk.
   * Also the tolerance before the service's counters count as "spending that was not ours".
   * @default 1000 @unit milliseconds
   */
  readonly edgeMs: number;
  /**
   * Refill time each budget keeps unspent below every charge, so a call that reaches the service that
   * much earlier than the router's pacing expected still finds room. Costs this long once, when a
   * budget first runs dry, not a share of the rate. 0 paces at exactly the limit.
   * @default 250 @unit milliseconds
   */
  readonly marginMs: number;
}

/** The defaults of {@link PacingOptions}. */
export const DEFAULT_PACING: PacingOptions = Object.freeze({
  factor: 0.5,
  minShare: 0.1,
  recoveryMs: 120_000,
  windowMs: 10_000,
  quietMs: 30_000,
  edgeMs: 1_000,
  marginMs: 250,
});

/** What a 429 on one budget proves. Anything but `edge` shrinks the budget. */
export type ThrottleVerdict =
  /** Our own pacing was at the limit and the call arrived a little early: cool, do not shrink. */
  | "edge"
  /** Our accounting still had a margin when the call was admitted: the service saw spending we did not. */
  | "margin"
  /** A call admitted after an earlier 429 was refused too, within `windowMs`. */
  | "repeated"
  /** The service's counters fell faster than we spent, within `windowMs`. */
  | "foreign";

/** What is known about a 429 and its budget. */
export interface ThrottleFacts {
  readonly now: number;
  /** The budget's refill rate. @unit units per millisecond */
  readonly ratePerMs: number;
  /** When the refused call was charged; absent when the caller did not say (then: `margin`). */
  readonly admittedAt?: number | undefined;
  /**
   * The least the budget held right after the refused call's charge or any charge after it (calls
   * charged together reach the service in any order, so this is the margin the refusal had).
   */
  readonly leftAtAdmission?: number | undefined;
  /** The budget's previous 429 (`-Infinity` for none). */
  readonly throttledAt: number;
  /** The last time the service's counters showed spending that was not ours (`-Infinity` for never). */
  readonly foreignAt: number;
}

/**
 * Tells a 429 caused by our own jitter from one that shows other consumers of the quota.
 * @example
 * throttleVerdict(DEFAULT_PACING, { now: 5_000, ratePerMs: 0.015, admittedAt: 4_900, leftAtAdmission: 0.2,
 *   throttledAt: -Infinity, foreignAt: -Infinity }); // "edge"
 */
export function throttleVerdict(options: PacingOptions, facts: ThrottleFacts): ThrottleVerdict {
  const { now, admittedAt, leftAtAdmission, throttledAt, foreignAt } = facts;
  if (admittedAt === undefined || leftAtAdmission === undefined) return "margin";
  if (leftAtAdmission >= options.edgeMs * facts.ratePerMs) return "margin";
  // Calls already on their way when the first 429 came were paced before we knew: only a call
  // admitted after it, refused again, says the first one was not a fluke.
  if (admittedAt > throttledAt && now - throttledAt <= options.windowMs) return "repeated";
  if (now - foreignAt <= options.windowMs) return "foreign";
  return "edge";
}

/** One budget as a service's headers describe it, in the store's terms (see `toBudgetReport`). */
export interface CounterReport {
  /** `limit − remaining` in the service's own units; negative when remaining > limit. */
  readonly spent?: number | undefined;
  readonly remaining?: number | undefined;
  /** Time until the service's bucket is full again. @unit milliseconds */
  readonly resetMs?: number | undefined;
}

/**
 * What the service had left in a budget when it answered, in the units of our bucket of `capacity`
 * refilling at `ratePerMs`, or `undefined` when the headers prove nothing:
 * - a deficit (`limit − remaining`) that fits our bucket: `capacity − deficit`;
 * - a deficit larger than our whole bucket (a per-minute limit with a per-window remaining, or a
 *   bucket larger than ours): not comparable, so only `remaining` itself bounds what is left;
 * - remaining > limit, negative or non-finite values: impossible, ignored;
 * - counts are whole numbers rounded down, so the truth lies up to one unit above; the reset time
 *   (`deficit / rate`) tells where, when it agrees, so the fraction refilled is not lost on every call.
 * @example
 * evidenceLeft({ spent: 280, remaining: 20 }, 50, 0.005); // { left: 20, exact: false }: not 50 − 280
 */
export function evidenceLeft(
  report: CounterReport,
  capacity: number,
  ratePerMs: number,
): { readonly left: number; readonly exact: boolean } | undefined {
  const remaining = validCount(report.remaining);
  const spent = report.spent;
  if (remaining === undefined) return undefined;
  let left: number;
  if (spent === undefined) left = Math.min(capacity, remaining);
  else if (!Number.isFinite(spent) || spent < 0) return undefined;
  else left = spent <= capacity ? capacity - spent : Math.min(capacity, remaining);
  const resetMs = validCount(report.resetMs);
  if (resetMs === undefined || !(ratePerMs > 0)) return { left, exact: false };
  // The reset is rounded up to whole ms: allow one ms of refill either way.
  const precise = capacity - resetMs * ratePerMs;
  const slack = ratePerMs;
  if (precise < left - slack || precise > left + 1 + slack) return { left, exact: false };
  return { left: Math.min(left + 1, Math.max(left, precise)), exact: true };
}

function validCount(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}
