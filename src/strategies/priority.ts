import { createLeastBusy } from "./least-busy.js";
import type { LaneSnapshot, Strategy } from "./types.js";

/** Options of {@link createPriority}. */
export interface PriorityOptions {
  /**
   * How to choose among the lanes of the best tier present.
   * @default createLeastBusy()
   */
  readonly within?: Strategy;
}

/**
 * Tiers by `priority`, lower value first (as Azure API Management's backend pools): only the
 * candidates of the lowest priority value present compete, chosen by `within`. Since candidates
 * are exactly the lanes that can admit now, a spill tier gets traffic only while every lane of the
 * better tiers is saturated, out of budget or cooling down.
 * @example
 * const strategy = createPriority({ within: createRoundRobin() });
 */
export function createPriority(options: PriorityOptions = {}): Strategy {
  const within = options.within ?? createLeastBusy();
  return (lanes, request, context) => {
    let best = Number.POSITIVE_INFINITY;
    let mixed = false;
    for (const lane of lanes) {
      if (best !== Number.POSITIVE_INFINITY && lane.priority !== best) mixed = true;
      best = Math.min(best, lane.priority);
    }
    // Common case (one tier): hand the array through without copying.
    const tier: readonly LaneSnapshot[] = mixed ? lanes.filter((lane) => lane.priority === best) : lanes;
    // Non-numeric priorities (rejected by config validation) must not leave `within` with nothing.
    return within(tier.length > 0 ? tier : lanes, request, context);
  };
}
