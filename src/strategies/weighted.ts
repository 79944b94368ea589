import type { LaneSnapshot, Strategy } from "./types.js";

/** A usable weight: negative or non-finite weights count as 0. */
function weightOf(lane: LaneSnapshot): number {
  return Number.isFinite(lane.weight) && lane.weight > 0 ? lane.weight : 0;
}

/**
 * Smooth weighted round-robin (the algorithm nginx uses for upstreams), one state per model.
 *
 * Each pick adds every candidate's weight to its running "current weight", takes the candidate
 * with the largest current weight (the lower index on a tie) and subtracts the candidates' total
 * weight from the winner. Picks interleave instead of coming in runs: weights 5, 1, 1 give
 * a a b a c a a. Lanes that cannot admit are not candidates, so they neither gain nor lose
 * current weight while away. Weight-0 lanes are used, in rotation, only when no positive-weight
 * lane is a candidate.
 * @example
 * const strategy = createWeighted(); // lanes carry `weight` from the endpoint config
 */
export function createWeighted(): Strategy {
  const currentByModel = new Map<string, Map<string, number>>();
  return (lanes, request) => {
    let current = currentByModel.get(request.model);
    if (current === undefined) {
      current = new Map();
      currentByModel.set(request.model, current);
    }
    let hasPositive = false;
    for (const lane of lanes) {
      if (weightOf(lane) > 0) {
        hasPositive = true;
        break;
      }
    }
    // Only zero-weight lanes left: rotate over them evenly, as if each weighed 1.
    const effective = hasPositive ? weightOf : () => 1;

    let total = 0;
    let winner: LaneSnapshot | undefined;
    let winnerWeight = Number.NEGATIVE_INFINITY;
    for (const lane of lanes) {
      const weight = effective(lane);
      if (weight <= 0) continue;
      total += weight;
      const updated = (current.get(lane.id) ?? 0) + weight;
      current.set(lane.id, updated);
      if (
        updated > winnerWeight ||
        (updated === winnerWeight && winner !== undefined && lane.index < winner.index)
      ) {
        winner = lane;
        winnerWeight = updated;
      }
    }
    if (winner === undefined) return undefined;
    current.set(winner.id, winnerWeight - total);
    return winner.id;
  };
}
