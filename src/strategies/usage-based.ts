import { pickAmong, SCORE_EPSILON } from "./tie-break.js";
import type { BudgetView, LaneSnapshot, SelectionRequest, Strategy } from "./types.js";

/** Fraction of a budget left after taking `take` units; an unknown or unlimited budget counts as 1. */
function budgetHeadroom(budget: BudgetView, take: number): number {
  if (budget.limit === undefined || !Number.isFinite(budget.capacity) || budget.capacity <= 0) return 1;
  return (budget.remaining - take) / budget.capacity;
}

/**
 * A lane's headroom in [0, 1]: the scarcest of its request budget, its token budget after this
 * request, and its free concurrency, each relative to that lane's own limits. Relative, so a small
 * deployment is not drained just because a large one has more absolute tokens left.
 */
export function usageHeadroom(lane: LaneSnapshot, request: SelectionRequest): number {
  const requests = budgetHeadroom(lane.rpm, 0);
  const tokens = budgetHeadroom(lane.tpm, request.tokens);
  const slots =
    Number.isFinite(lane.concurrency) && lane.concurrency > 0
      ? (lane.concurrency - lane.inflight) / lane.concurrency
      : 1;
  return Math.min(requests, tokens, slots);
}

/**
 * Picks the lane with the most headroom relative to its own limits (see {@link usageHeadroom}),
 * spreading requests and tokens so every endpoint drains at the same relative pace; equal scores
 * are broken at random with the injected rng.
 * @example
 * const strategy = createUsageBased();
 */
export function createUsageBased(): Strategy {
  return (lanes, request, context) => {
    let best = Number.NEGATIVE_INFINITY;
    for (const lane of lanes) best = Math.max(best, usageHeadroom(lane, request));
    if (Number.isNaN(best)) return pickAmong(lanes, () => true, context);
    return pickAmong(lanes, (lane) => usageHeadroom(lane, request) >= best - SCORE_EPSILON, context);
  };
}
