import type { Clock } from "./clock.js";
import type { Flavor } from "./errors.js";
import { formatGoDuration } from "./go-duration.js";

/**
 * Output tokens charged against the TPM budget when a chat request sets neither
 * `max_completion_tokens` nor `max_tokens`. The services reserve the output cap at admission and
 * refund nothing; the router uses the same constant so its budgets agree with the fleet's.
 *
 * @example
 * ```ts
 * const charge = promptTokens + (body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_OUTPUT_CHARGE);
 * ```
 */
export const DEFAULT_OUTPUT_CHARGE = 1000;

/** Retry-after given for a request refused because `concurrency` requests are already in flight. */
export const CONCURRENCY_RETRY_AFTER_MS = 1000;

/**
 * Length of the window over which RPM is enforced when `requestWindowSeconds` is not set. Azure
 * documents "typically 1 or 10 seconds"; ten is the more forgiving of the two.
 */
export const DEFAULT_REQUEST_WINDOW_SECONDS = 10;

/**
 * Waits shorter than a nanosecond count as zero, and advertised waits are rounded up only past a
 * nanosecond, so float drift in the refill maths never turns "wait 1 ms" into "wait 2 ms" nor
 * leaves a client that waited exactly the advertised time still short.
 */
const TIME_EPSILON_MS = 1e-6;

/**
 * A continuously refilling token bucket. It starts full; `take` never goes below zero because
 * callers check `msUntil` first. All times come from the injected clock.
 */
export class TokenBucket {
  #level: number;
  #last: number;

  constructor(
    readonly capacity: number,
    /** Tokens added per millisecond. */
    readonly refillPerMs: number,
    private readonly now: Clock,
  ) {
    this.#level = capacity;
    this.#last = now();
  }

  /** Current fill after refilling up to now. */
  level(): number {
    const t = this.now();
    if (t > this.#last) {
      this.#level = Math.min(this.capacity, this.#level + (t - this.#last) * this.refillPerMs);
      this.#last = t;
    }
    return this.#level;
  }

  /** Milliseconds until `amount` tokens are available: 0 if they are now, Infinity if never. */
  msUntil(amount: number): number {
    if (amount > this.capacity) return Number.POSITIVE_INFINITY;
    const wait = (amount - this.level()) / this.refillPerMs;
    return wait <= TIME_EPSILON_MS ? 0 : wait;
  }

  /** Milliseconds until the bucket is full again. */
  msUntilFull(): number {
    return (this.capacity - this.level()) / this.refillPerMs;
  }

  take(amount: number): void {
    this.#level = this.level() - amount;
  }
}

/** Per-endpoint limits; each one absent means unlimited. */
export interface LimitsConfig {
  /** Requests per minute. */
  readonly rpm?: number | undefined;
  /** Tokens per minute (prompt + output cap, charged at admission). */
  readonly tpm?: number | undefined;
  /** Requests in flight at once. */
  readonly concurrency?: number | undefined;
  /**
   * Window over which `rpm` is enforced: the requests bucket holds `rpm × window / 60`.
   * @default 10
   * @unit seconds
   */
  readonly requestWindowSeconds?: number | undefined;
}

/** Capacity of the requests bucket: one window's worth of `rpm`, never less than one request. */
export function requestWindowCapacity(rpm: number, windowSeconds = DEFAULT_REQUEST_WINDOW_SECONDS): number {
  return Math.max(1, (rpm * windowSeconds) / 60);
}

/** Why a request was refused. `tokens-too-large` can never succeed: its charge exceeds the bucket. */
export type RefusalReason = "requests" | "tokens" | "tokens-too-large" | "concurrency";

export type Admission =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: Exclude<RefusalReason, "tokens-too-large">;
      /** Whole milliseconds, at least 1. */
      readonly retryAfterMs: number;
    }
  // No retry-after: waiting never helps a request larger than the whole bucket.
  | { readonly ok: false; readonly reason: "tokens-too-large" };

const ADMITTED: Admission = { ok: true };
const TOO_LARGE: Admission = { ok: false, reason: "tokens-too-large" };

/**
 * The fleet's limit model, which the router mirrors:
 * - requests: bucket of capacity `max(1, rpm × requestWindowSeconds / 60)` (one window's worth, as
 *   Azure enforces RPM over 1 s or 10 s windows; 10 s by default) refilled at `rpm / 60_000` per ms;
 *   each admitted request takes 1;
 * - tokens: bucket of capacity `tpm` refilled at `tpm / 60_000` per ms; each admitted request takes
 *   its charge; nothing is refunded;
 * - concurrency: at most `concurrency` requests in flight.
 * A refused request is charged nothing.
 */
export class EndpointLimiter {
  readonly requests: TokenBucket | undefined;
  readonly tokens: TokenBucket | undefined;

  constructor(
    readonly config: LimitsConfig,
    now: Clock,
  ) {
    const { rpm, tpm, requestWindowSeconds } = config;
    this.requests =
      rpm === undefined
        ? undefined
        : new TokenBucket(requestWindowCapacity(rpm, requestWindowSeconds), rpm / 60_000, now);
    this.tokens = tpm === undefined ? undefined : new TokenBucket(tpm, tpm / 60_000, now);
  }

  /** True when some limit is configured, so responses carry `x-ratelimit-*` headers. */
  get hasRateLimits(): boolean {
    return this.requests !== undefined || this.tokens !== undefined;
  }

  /**
   * Admits (and charges) a request costing `charge` tokens, or says why not and when to retry.
   * `inflight` is the number of requests already being served, not counting this one.
   */
  admit(charge: number, inflight: number): Admission {
    const { concurrency } = this.config;
    if (concurrency !== undefined && inflight >= concurrency) {
      return { ok: false, reason: "concurrency", retryAfterMs: CONCURRENCY_RETRY_AFTER_MS };
    }
    const tokens = this.tokens;
    if (tokens !== undefined && charge > tokens.capacity) return TOO_LARGE;
    const requestWait = this.requests?.msUntil(1) ?? 0;
    const tokenWait = tokens?.msUntil(charge) ?? 0;
    if (requestWait > 0 || tokenWait > 0) {
      // Both buckets refill independently, so the later of the two is when both suffice.
      return {
        ok: false,
        reason: tokenWait > requestWait ? "tokens" : "requests",
        retryAfterMs: wholeMs(Math.max(requestWait, tokenWait)),
      };
    }
    this.requests?.take(1);
    tokens?.take(charge);
    return ADMITTED;
  }

  /**
   * The `x-ratelimit-*` headers describing the buckets now, as `flavor`'s service writes them (call
   * after `admit`, so remaining reflects this request's charge):
   * - azure counts requests per window: limit = the window's capacity, remaining = what is left of it
   *   (a 48-RPM deployment with 10 s windows reports limit 8, then remaining 7 after one request);
   * - openai counts requests per minute: limit = rpm, remaining = rpm minus what the window bucket
   *   is short of full, so an idle endpoint reports remaining == limit.
   * Tokens are per minute on both: limit = tpm, remaining = what is left in the bucket. Every reset is
   * the time until that bucket is full again, as a Go duration.
   */
  headers(flavor: Flavor): Record<string, string> {
    const out: Record<string, string> = {};
    const { requests, tokens } = this;
    if (requests !== undefined) {
      const level = requests.level();
      if (flavor === "azure") {
        out["x-ratelimit-limit-requests"] = String(Math.floor(requests.capacity));
        out["x-ratelimit-remaining-requests"] = String(Math.floor(level));
      } else {
        const rpm = this.config.rpm ?? requests.capacity;
        out["x-ratelimit-limit-requests"] = String(rpm);
        out["x-ratelimit-remaining-requests"] = String(Math.floor(rpm - (requests.capacity - level)));
      }
      out["x-ratelimit-reset-requests"] = formatGoDuration(ceilMs(requests.msUntilFull()));
    }
    if (tokens !== undefined) {
      out["x-ratelimit-limit-tokens"] = String(this.config.tpm);
      out["x-ratelimit-remaining-tokens"] = String(Math.floor(tokens.level()));
      out["x-ratelimit-reset-tokens"] = formatGoDuration(ceilMs(tokens.msUntilFull()));
    }
    return out;
  }
}

function ceilMs(ms: number): number {
  return Math.max(0, Math.ceil(ms - TIME_EPSILON_MS));
}

function wholeMs(ms: number): number {
  return Math.max(1, ceilMs(ms));
}
