/**
 * The contract between lanes and strategies. Strategies see frozen snapshots of the lanes that
 * can admit a request *now* and return the id of one of them; they know nothing about HTTP,
 * clocks or queues, and never call `Math.random` (an `rng` comes in the context).
 */

/** Health of a lane, as the selection sees it. */
export type LaneState = "healthy" | "cooling" | "open" | "half-open" | "disabled";

/** What kind of call a request is; least-latency compares lanes on the matching latency figure. */
export type RequestKind = "chat" | "stream" | "embeddings";

/** Remaining budget of one limit (requests or tokens per minute). */
export interface BudgetView {
  /** The configured or learned limit per minute; `undefined` when unknown (unlimited). */
  readonly limit: number | undefined;
  /** Units that could be admitted right now. `Infinity` when unlimited. */
  readonly remaining: number;
  /** Bucket capacity (the largest burst), `Infinity` when unlimited. */
  readonly capacity: number;
  /** Milliseconds until the bucket is full again (the `x-ratelimit-reset-*` meaning); 0 when full or unlimited. */
  readonly msUntilFull: number;
  /** Share of the limit spent now: below 1 for a while after a 429 said the limit is lower (see `throttle`). */
  readonly share: number;
}

/** A frozen, read-only view of one lane at selection time. */
export interface LaneSnapshot {
  /** Endpoint name, unique in the router. */
  readonly id: string;
  /** Position in the config: a stable order for rotations and tie-breaks. */
  readonly index: number;
  readonly state: LaneState;
  /** Calls in flight (streams count until they end). */
  readonly inflight: number;
  /** Concurrency limit, `Infinity` when unlimited. */
  readonly concurrency: number;
  /** Static weight for `weighted` (default 1). */
  readonly weight: number;
  /** Tier for `priority`; lower is tried first (default 0). */
  readonly priority: number;
  /** Time-decayed EWMA of milliseconds per output token of non-streamed chat; undefined until sampled. */
  readonly msPerToken: number | undefined;
  /** Time-decayed EWMA of time to first token of streams, ms. */
  readonly ttftMs: number | undefined;
  /** Time-decayed EWMA of whole-request latency (embeddings and chat), ms. */
  readonly latencyMs: number | undefined;
  readonly rpm: BudgetView;
  readonly tpm: BudgetView;
}

/** The request, as far as a strategy needs to know it. */
export interface SelectionRequest {
  readonly model: string;
  readonly kind: RequestKind;
  /** Tokens the request will be charged (prompt estimate + output cap). */
  readonly tokens: number;
}

/** Non-deterministic inputs a strategy may use, injected so tests are deterministic. */
export interface StrategyContext {
  /** Uniform random number in [0, 1). */
  readonly rng: () => number;
}

/**
 * Picks one lane among `lanes` (every one of which can admit the request now; never empty)
 * and returns its id, or `undefined` to leave the request waiting.
 * Stateful strategies (rotations) keep their state in the closure of their factory.
 * @example
 * const first: Strategy = (lanes) => lanes[0]?.id;
 */
export type Strategy = (
  lanes: readonly LaneSnapshot[],
  request: SelectionRequest,
  context: StrategyContext,
) => string | undefined;

/** Built-in strategy names. */
export type StrategyName =
  | "round-robin"
  | "least-busy"
  | "least-latency"
  | "usage-based"
  | "weighted"
  | "priority";
