/**
 * Formats a duration the way Go's `time.Duration.String()` does, because that is how openai.com and
 * Azure write `x-ratelimit-reset-*` headers: `0s`, `20ms`, `1.5µs`, `1s`, `1m30.5s`, `6m0s`, `2h0m0s`.
 *
 * The input is milliseconds (fractions allowed, resolved to whole nanoseconds, like Go).
 *
 * @example
 * ```ts
 * formatGoDuration(90_500); // "1m30.5s"
 * formatGoDuration(20);     // "20ms"
 * ```
 * @throws RangeError for a non-finite input.
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`Expected a finite duration in ms, got ${ms}`);
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  ns = Math.abs(ns);

  // Below one second Go switches to the largest unit that keeps an integer part: ns, µs or ms.
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${fraction(ns, 1e3)}µs`;
  if (ns < 1e9) return `${sign}${fraction(ns, 1e6)}ms`;

  const hours = Math.floor(ns / 3.6e12);
  let rest = ns - hours * 3.6e12;
  const minutes = Math.floor(rest / 6e10);
  rest -= minutes * 6e10;
  const seconds = `${fraction(rest, 1e9)}s`;
  // Go always prints the smaller units once a larger one is present (`1h0m0s`, `6m0s`).
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/** `value / unit` printed with the fraction's trailing zeros trimmed, without float rounding noise. */
function fraction(value: number, unit: number): string {
  const whole = Math.floor(value / unit);
  const rem = value - whole * unit;
  if (rem === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rem).padStart(digits, "0").replace(/0+$/, "")}`;
}
