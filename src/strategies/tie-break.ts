/**
 * Shared helpers for strategies: random tie-breaks without allocating, and option checks.
 * Internal to `src/strategies`.
 */

import type { LaneSnapshot, StrategyContext } from "./types.js";

/**
 * Picks uniformly among the lanes for which `isTie` holds, using the injected rng once.
 * Two passes over `lanes` instead of collecting ties into an array: selection runs once per
 * request on the hot path, and candidate lists are short.
 * Returns `undefined` only when no lane matches.
 */
export function pickAmong(
  lanes: readonly LaneSnapshot[],
  isTie: (lane: LaneSnapshot) => boolean,
  context: StrategyContext,
): string | undefined {
  let count = 0;
  let only: LaneSnapshot | undefined;
  for (const lane of lanes) {
    if (isTie(lane)) {
      count++;
      only = lane;
    }
  }
  if (count <= 1) return only?.id;
  // Clamp: a misbehaving rng returning 1 must not run past the last tie.
  let target = Math.min(count - 1, Math.floor(context.rng() * count));
  for (const lane of lanes) {
    if (isTie(lane)) {
      if (target === 0) return lane.id;
      target--;
    }
  }
  return only?.id;
}

/** Relative tolerance under which two scores count as equal (floating-point noise, not policy). */
export const SCORE_EPSILON = 1e-9;

/** Throws a `RangeError` naming the option when `value` is not a finite number ≥ `min` (and an integer if asked). */
export function checkNumberOption(
  name: string,
  value: number,
  min: number,
  opts: { integer?: boolean; exclusiveMin?: boolean } = {},
): void {
  const tooSmall = opts.exclusiveMin ? value <= min : value < min;
  if (!Number.isFinite(value) || tooSmall || (opts.integer === true && !Number.isInteger(value))) {
    const what = `${opts.integer ? "an integer" : "a finite number"} ${opts.exclusiveMin ? ">" : "≥"} ${min}`;
    throw new RangeError(`Expected \`${name}\` to be ${what}, got ${String(value)}.`);
  }
}
