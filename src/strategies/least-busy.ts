import { checkNumberOption, pickAmong, SCORE_EPSILON } from "./tie-break.js";
import type { LaneSnapshot, Strategy } from "./types.js";

/** Options of {@link createLeastBusy}. */
export interface LeastBusyOptions {
  /**
   * Concurrency assumed for a lane whose concurrency is unlimited (`Infinity`), so its load
   * `inflight / unlimitedConcurrencyAs` can be compared with bounded lanes' `inflight / concurrency`.
   * With the default, an unlimited lane with 100 calls in flight counts as 1% busy.
   * @default 10_000
   */
  readonly unlimitedConcurrencyAs?: number;
}

/**
 * Picks the lane with the lowest load `inflight / concurrency`; equal loads are broken at random
 * with the injected rng, so ties do not all land on the first configured endpoint.
 * @example
 * const strategy = createLeastBusy({ unlimitedConcurrencyAs: 1_000 });
 * @throws RangeError when `unlimitedConcurrencyAs` is not a positive number.
 */
export function createLeastBusy(options: LeastBusyOptions = {}): Strategy {
  const unlimited = options.unlimitedConcurrencyAs ?? 10_000;
  checkNumberOption("unlimitedConcurrencyAs", unlimited, 0, { exclusiveMin: true });

  const load = (lane: LaneSnapshot): number => {
    const capacity = Number.isFinite(lane.concurrency) ? lane.concurrency : unlimited;
    // A lane with no slots is never a candidate; if one slips through, rank it last.
    return capacity > 0 ? lane.inflight / capacity : Number.POSITIVE_INFINITY;
  };

  return (lanes, _request, context) => {
    let best = Number.POSITIVE_INFINITY;
    for (const lane of lanes) best = Math.min(best, load(lane));
    if (best === Number.POSITIVE_INFINITY) return pickAmong(lanes, () => true, context);
    return pickAmong(lanes, (lane) => load(lane) <= best + SCORE_EPSILON, context);
  };
}
