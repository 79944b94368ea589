import { checkNumberOption, pickAmong } from "./tie-break.js";
import type { LaneSnapshot, RequestKind, Strategy } from "./types.js";

/** Options of {@link createLeastLatency}. */
export interface LeastLatencyOptions {
  /**
   * Every candidate lane is picked at least once in any `explorationInterval` consecutive
   * selections of its model: once a lane has gone `explorationInterval − 1` selections without
   * being picked, the next selection goes to it (the most starved first). Each lane thus keeps a
   * share of about `1 / explorationInterval`, so a slow or recovering endpoint keeps being measured
   * and wins traffic back within a bounded number of requests. Counted in requests, not time, so
   * it scales with the load instead of probing an idle fleet. When several lanes fall due at the
   * same selection (e.g. all return from a cooldown together) they are served one per selection,
   * so each may wait a few selections longer once. `1` degenerates to a rotation.
   * @default 20
   */
  readonly explorationInterval?: number;
  /**
   * Lanes whose figure is within this fraction of the best one count as tied and are chosen
   * between at random, so near-equal endpoints share load instead of one taking everything
   * on noise.
   * @default 0.05
   */
  readonly tieTolerance?: number;
}

interface ModelState {
  /** Selections made for this model so far. */
  count: number;
  /** Lane id → value of `count` right after the lane was last picked (or when first seen). */
  readonly lastPick: Map<string, number>;
}

type Figure = (lane: LaneSnapshot) => number | undefined;

const ttft: Figure = (lane) => lane.ttftMs;
const perToken: Figure = (lane) => lane.msPerToken;
const whole: Figure = (lane) => lane.latencyMs;

/**
 * The figure compared for a request kind. Chat compares ms per output token (independent of the
 * answer's length) when any candidate has that figure, and whole-request latency otherwise; the
 * two are never mixed across lanes because they are in different units.
 */
function figureFor(kind: RequestKind, lanes: readonly LaneSnapshot[]): Figure {
  if (kind === "stream") return ttft;
  if (kind === "embeddings") return whole;
  for (const lane of lanes) if (lane.msPerToken !== undefined) return perToken;
  return whole;
}

/**
 * Picks the lane with the lowest time-decayed latency figure for the request's kind
 * (`stream` → time to first token, `chat` → ms per output token, `embeddings` → latency).
 *
 * In order: a lane with no sample yet for the figure is picked first (it must be measured); then a
 * lane starved for `explorationInterval − 1` selections; otherwise the fastest, with near-ties
 * (within `tieTolerance`) broken at random. Failures reach this strategy as penalty samples
 * recorded by the lane, so a throttling endpoint looks slow rather than fast.
 * @example
 * const strategy = createLeastLatency({ explorationInterval: 50 });
 * @throws RangeError when `explorationInterval` is not an integer ≥ 1 or `tieTolerance` is negative.
 */
export function createLeastLatency(options: LeastLatencyOptions = {}): Strategy {
  const interval = options.explorationInterval ?? 20;
  const tolerance = options.tieTolerance ?? 0.05;
  checkNumberOption("explorationInterval", interval, 1, { integer: true });
  checkNumberOption("tieTolerance", tolerance, 0);

  const states = new Map<string, ModelState>();

  return (lanes, request, context) => {
    let state = states.get(request.model);
    if (state === undefined) {
      state = { count: 0, lastPick: new Map() };
      states.set(request.model, state);
    }
    const { count, lastPick } = state;
    // A lane seen for the first time starts unstarved: it has not been passed over yet.
    for (const lane of lanes) if (!lastPick.has(lane.id)) lastPick.set(lane.id, count);
    const starvation = (lane: LaneSnapshot): number => count - (lastPick.get(lane.id) ?? count);

    const figure = figureFor(request.kind, lanes);
    const mostStarved = (eligible: (lane: LaneSnapshot) => boolean): string | undefined => {
      let max = -1;
      for (const lane of lanes) if (eligible(lane)) max = Math.max(max, starvation(lane));
      if (max < 0) return undefined;
      return pickAmong(lanes, (lane) => eligible(lane) && starvation(lane) === max, context);
    };

    let chosen =
      mostStarved((lane) => figure(lane) === undefined) ??
      mostStarved((lane) => starvation(lane) >= interval - 1);
    if (chosen === undefined) {
      // NaN would poison the comparison; rank it with the slowest.
      const rank = (lane: LaneSnapshot): number => {
        const value = figure(lane);
        return value === undefined || Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
      };
      let best = Number.POSITIVE_INFINITY;
      for (const lane of lanes) best = Math.min(best, rank(lane));
      const limit = best * (1 + tolerance);
      chosen = pickAmong(lanes, (lane) => rank(lane) <= limit, context);
    }
    if (chosen === undefined) return undefined;
    state.count = count + 1;
    lastPick.set(chosen, state.count);
    return chosen;
  };
}
