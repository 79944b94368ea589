/**
 * Small statistics helpers shared by the benchmarks. Every figure a benchmark reports is a ratio
 * against a baseline measured in the same run, and rounds are summarised by their median so that a
 * burst of load from another process moves one round, not the result.
 */

/** The value at quantile `q` (0..1) of an ascending array (nearest rank); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Median of any array (copied, then sorted); NaN when empty. */
export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** p50 / p99 / max of a sample, as numbers (sorts `samples` in place). */
export function percentiles(samples: Float64Array | number[]): { p50: number; p99: number; max: number } {
  const sorted = samples instanceof Float64Array ? samples.sort() : samples.sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: quantile(sorted, 1) };
}

/** Nanoseconds since an arbitrary origin, as a number of microseconds (float). */
export function nowMicros(): number {
  return Number(process.hrtime.bigint()) / 1_000;
}

/** User + system CPU time of this process in microseconds. */
export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Rounds to `digits` decimals (for JSON output that stays readable). */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
