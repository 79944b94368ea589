/**
 * Reading the limits a service reports: `x-ratelimit-*` headers (to calibrate the budgets) and the
 * retry delay of a 429 (to cool a lane down for exactly as long as the service asks).
 */

import { parseGoDuration } from "./go-duration.js";

/** Response headers, as a fetch `Headers` or a plain record (any key case; Node's multi-value arrays allowed). */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What a service reported about one limit. Absent fields were not sent or were unparseable. */
export interface RateLimitWindow {
  /** The limit per minute (`x-ratelimit-limit-*`). */
  limit?: number;
  /** Units left now (`x-ratelimit-remaining-*`). */
  remaining?: number;
  /** Time until the limit is fully replenished (`x-ratelimit-reset-*`). @unit milliseconds */
  resetMs?: number;
}

/** Rate-limit information from one response. */
export interface RateLimitInfo {
  readonly requests: RateLimitWindow;
  readonly tokens: RateLimitWindow;
}

/** Returns a case-insensitive header reader over either header shape. */
function headerReader(headers: HeaderSource): (name: string) => string | undefined {
  // Duck-typed: the undici package's Headers is not `instanceof` the global Headers class.
  if (typeof (headers as { get?: unknown }).get === "function") {
    const h = headers as { get(name: string): string | null };
    return (name) => h.get(name) ?? undefined;
  }
  const lowered = new Map<string, string>();
  for (const [key, value] of Object.entries(headers as Readonly<Record<string, unknown>>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === "string") lowered.set(key.toLowerCase(), first);
  }
  return (name) => lowered.get(name);
}

const COUNT = /^\d+(?:\.\d+)?$/;

/** A non-negative count, or `undefined` for anything else (empty strings included: `Number("")` is 0). */
function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = text.trim();
  return COUNT.test(s) ? Number(s) : undefined;
}

function readWindow(
  limitText: string | undefined,
  remainingText: string | undefined,
  resetText: string | undefined,
): RateLimitWindow {
  const window: RateLimitWindow = {};
  const limit = parseCount(limitText);
  const remaining = parseCount(remainingText);
  const resetMs = resetText === undefined ? undefined : parseGoDuration(resetText);
  if (limit !== undefined) window.limit = limit;
  if (remaining !== undefined) window.remaining = remaining;
  if (resetMs !== undefined) window.resetMs = resetMs;
  return window;
}

/**
 * Reads `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (case-insensitive). Reset values
 * are Go durations (`6m0s`, `20ms`) or bare seconds; garbage is ignored field by field.
 * @example
 * const info = parseRateLimitHeaders(response.headers);
 * info.tokens.remaining; // e.g. 149_984
 */
export function parseRateLimitHeaders(headers: HeaderSource): RateLimitInfo {
  // Runs on every answer: constant names, each header read once (a Headers lookup is not free).
  const get = headerReader(headers);
  const limitRequests = get("x-ratelimit-limit-requests");
  const remainingRequests = get("x-ratelimit-remaining-requests");
  const limitTokens = get("x-ratelimit-limit-tokens");
  const remainingTokens = get("x-ratelimit-remaining-tokens");
  // A service that sends no limits (a local model server, an unlimited key) costs four lookups.
  if (
    limitRequests === undefined &&
    remainingRequests === undefined &&
    limitTokens === undefined &&
    remainingTokens === undefined
  )
    return NO_LIMITS;
  return {
    requests: readWindow(limitRequests, remainingRequests, get("x-ratelimit-reset-requests")),
    tokens: readWindow(limitTokens, remainingTokens, get("x-ratelimit-reset-tokens")),
  };
}

/** What a response without any rate-limit header says (shared, frozen). */
export const NO_LIMITS: RateLimitInfo = Object.freeze({
  requests: Object.freeze({}),
  tokens: Object.freeze({}),
});

/**
 * What the headers say in the budget store's terms. The services count differently: openai.com's
 * `x-ratelimit-*-requests` describe the minute (limit = RPM), Azure's describe its enforcement window
 * (a 48-RPM deployment with 10 s windows sends limit 8), while both count tokens per minute. So the
 * per-minute limit is `limit × 60 / window` on Azure, and what the service has spent is compared as
 * a deficit (`limit − remaining`), which means the same whatever the size of its bucket.
 * @example
 * toBudgetReport(parseRateLimitHeaders(headers), "azure", 10); // { requests: { limit: 48, spent: 1, … }, … }
 */
export function toBudgetReport(
  info: RateLimitInfo,
  service: "azure" | "openai",
  requestWindowSeconds: number,
): { requests: RateLimitWindow & { spent?: number }; tokens: RateLimitWindow & { spent?: number } } {
  const perMinute = service === "azure" ? 60 / requestWindowSeconds : 1;
  return { requests: inBudgetTerms(info.requests, perMinute), tokens: inBudgetTerms(info.tokens, 1) };
}

function inBudgetTerms(window: RateLimitWindow, perMinute: number): RateLimitWindow & { spent?: number } {
  const out: RateLimitWindow & { spent?: number } = {};
  if (window.limit !== undefined) out.limit = window.limit * perMinute;
  if (window.remaining !== undefined) out.remaining = window.remaining;
  // Negative when remaining > limit: impossible, and the store ignores it (see `evidenceLeft`).
  if (window.limit !== undefined && window.remaining !== undefined)
    out.spent = window.limit - window.remaining;
  if (window.resetMs !== undefined) out.resetMs = window.resetMs;
  return out;
}

const NON_NEGATIVE = /^\+?(?:\d+(?:\.\d*)?|\.\d+)$/;

function parseNonNegative(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = text.trim();
  return NON_NEGATIVE.test(s) ? Number(s) : undefined;
}

// Azure: "Please retry after 6 seconds." / "retry after 1 second"; openai.com: "Please try again in 1.2s." / "in 120ms".
const AZURE_RETRY = /retry after (\d+(?:\.\d+)?) seconds?/i;
const OPENAI_RETRY = /try again in (\d+(?:\.\d+)?)(ms|s)\b/i;

/** The error message in a 429 body: the body itself, `{ error: { message } }`, `{ message }`, or the SDK's error. */
function messageOf(body: unknown): string | undefined {
  if (typeof body === "string") return body;
  if (typeof body !== "object" || body === null) return undefined;
  const { error, message } = body as { error?: unknown; message?: unknown };
  if (typeof error === "object" && error !== null) {
    const inner = (error as { message?: unknown }).message;
    if (typeof inner === "string") return inner;
  }
  return typeof message === "string" ? message : undefined;
}

/**
 * The delay a 429 (or 503) asks for, in ms, in order of precision: `retry-after-ms` (float ms),
 * then `retry-after` (seconds, possibly fractional, or an HTTP date — resolved against `now`, and
 * skipped when `now` is not given; a date in the past means 0), then the message of the error
 * body ("Please retry after N seconds" from Azure, "Please try again in 1.5s" from openai.com).
 * Negative or unparseable values are skipped. No cap is applied here: the caller caps, since
 * Azure may ask for 86400 s on a daily quota.
 * @param headers the response headers
 * @param body the parsed error body, its `error` object, the SDK's `APIError`, or a string
 * @param now current time (epoch ms), needed only for an HTTP-date `retry-after`
 * @example
 * parseRetryAfterMs(error.headers, error, Date.now()); // e.g. 6000
 */
export function parseRetryAfterMs(
  headers: HeaderSource | undefined,
  body?: unknown,
  now?: number,
): number | undefined {
  if (headers !== undefined) {
    const get = headerReader(headers);
    const ms = parseNonNegative(get("retry-after-ms"));
    if (ms !== undefined) return ms;
    const after = get("retry-after");
    if (after !== undefined) {
      const seconds = parseNonNegative(after);
      if (seconds !== undefined) return seconds * 1_000;
      if (now !== undefined && /[a-z]/i.test(after)) {
        const at = Date.parse(after);
        if (Number.isFinite(at)) return Math.max(0, at - now);
      }
    }
  }
  const message = messageOf(body);
  if (message === undefined) return undefined;
  const azure = AZURE_RETRY.exec(message);
  if (azure?.[1] !== undefined) return Number(azure[1]) * 1_000;
  const openai = OPENAI_RETRY.exec(message);
  if (openai?.[1] !== undefined) return Number(openai[1]) * (openai[2]?.toLowerCase() === "ms" ? 1 : 1_000);
  return undefined;
}
