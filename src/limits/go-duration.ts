/**
 * Parsing of Go duration strings, the format of openai.com's `x-ratelimit-reset-*` headers
 * (`1s`, `6m0s`, `20ms`, `1m30.5s`).
 */

/** Milliseconds per Go duration unit (both micro signs, U+00B5 and U+03BC, are accepted, as Go does). */
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
});

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
// "ms" before "m" so alternation does not stop at the shorter unit.
const UNIT = "(?:ns|us|µs|μs|ms|s|m|h)";
const WHOLE = new RegExp(`^(?:${NUMBER}${UNIT})+$`);
const BARE_SECONDS = new RegExp(`^${NUMBER}$`);
const PART = new RegExp(`(${NUMBER})(${UNIT})`, "g");

/**
 * Parses a Go duration (`1h2m3s`, `1m30.5s`, `20ms`, `500us`, `500µs`, `10ns`, `0s`, `0`) into
 * milliseconds. A bare number is read as seconds, as some proxies send. Negative values (a reset
 * time cannot be in the past) and anything else unparseable give `undefined`.
 * @example
 * parseGoDuration("6m0s"); // 360000
 */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "") return undefined;
  if (BARE_SECONDS.test(s)) return Number(s) * 1_000;
  if (!WHOLE.test(s)) return undefined;
  let ms = 0;
  // matchAll works on a copy of the regex, so the shared global regex keeps no state between calls.
  for (const [, value, unit] of s.matchAll(PART)) ms += Number(value) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  return Number.isFinite(ms) ? ms : undefined;
}
