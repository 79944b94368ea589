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

/**
 * Parses a Go duration (`1h2m3s`, `1m30.5s`, `20ms`, `500us`, `500µs`, `10ns`, `0s`, `0`) into
 * milliseconds. A bare number is read as seconds, as some proxies send. Negative values (a reset
 * time cannot be in the past) and anything else unparseable give `undefined`.
 * @example
 * parseGoDuration("6m0s"); // 360000
 */
export function parseGoDuration(text: string): number | undefined {
  // Scanned by hand: it runs on every answer, and a regex with matchAll allocates per part.
  const s = text.trim();
  const n = s.length;
  if (n === 0) return undefined;
  let i = 0;
  let ms = 0;
  while (i < n) {
    const start = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    const whole = i - start;
    let fraction = 0;
    if (i < n && s.charCodeAt(i) === DOT) {
      i++;
      const at = i;
      while (i < n && isDigit(s.charCodeAt(i))) i++;
      fraction = i - at;
    }
    // A number is `1`, `1.`, `1.5` or `.5`, never a lone dot.
    if (whole === 0 && fraction === 0) return undefined;
    const value = Number(s.slice(start, i));
    if (i === n) return start === 0 ? value * 1_000 : undefined;
    const unit = unitAt(s, i);
    if (unit === undefined) return undefined;
    ms += value * (UNIT_MS[unit] ?? Number.NaN);
    i += unit.length;
  }
  return Number.isFinite(ms) ? ms : undefined;
}

const DOT = 46;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The unit at `i`: two-letter units first, so `ms` is not read as `m` followed by `s`. */
function unitAt(s: string, i: number): string | undefined {
  const two = s.slice(i, i + 2);
  if (two === "ms" || two === "ns" || two === "us" || two === "µs" || two === "μs") return two;
  const one = s[i];
  return one === "s" || one === "m" || one === "h" ? one : undefined;
}
