/**
 * Built-in selection strategies and a factory by name. Every call of a factory returns a fresh
 * instance with its own rotation state, so two routers never share counters.
 */

import { createLeastBusy, type LeastBusyOptions } from "./least-busy.js";
import { createLeastLatency, type LeastLatencyOptions } from "./least-latency.js";
import { createPriority } from "./priority.js";
import { createRoundRobin } from "./round-robin.js";
import type { Strategy, StrategyName } from "./types.js";
import { createUsageBased } from "./usage-based.js";
import { createWeighted } from "./weighted.js";

export { createLeastBusy, type LeastBusyOptions } from "./least-busy.js";
export { createLeastLatency, type LeastLatencyOptions } from "./least-latency.js";
export { createPriority, type PriorityOptions } from "./priority.js";
export { createRoundRobin } from "./round-robin.js";
export type {
  BudgetView,
  LaneSnapshot,
  LaneState,
  RequestKind,
  SelectionRequest,
  Strategy,
  StrategyContext,
  StrategyName,
} from "./types.js";
export { createUsageBased, usageHeadroom } from "./usage-based.js";
export { createWeighted } from "./weighted.js";

/** Names of the built-in strategies, in documentation order. */
export const strategyNames: readonly StrategyName[] = Object.freeze([
  "round-robin",
  "least-busy",
  "least-latency",
  "usage-based",
  "weighted",
  "priority",
] as const);

/** Options accepted by {@link createStrategy}; each strategy reads the fields it knows and ignores the rest. */
export interface StrategyOptions extends LeastBusyOptions, LeastLatencyOptions {
  /**
   * For `priority`: how to choose within the best tier, as a strategy or the name of a built-in
   * one (built with the same options).
   * @default "least-busy"
   */
  readonly within?: Strategy | Exclude<StrategyName, "priority">;
}

/** True when `name` is a built-in strategy name (for validating user input). */
export function isStrategyName(name: unknown): name is StrategyName {
  return typeof name === "string" && (strategyNames as readonly string[]).includes(name);
}

/**
 * Creates a fresh instance of a built-in strategy.
 * @example
 * const strategy = createStrategy("least-latency", { explorationInterval: 50 });
 * @throws RangeError when `name` is unknown or an option is out of range.
 */
export function createStrategy(name: StrategyName, options: StrategyOptions = {}): Strategy {
  switch (name) {
    case "round-robin":
      return createRoundRobin();
    case "least-busy":
      return createLeastBusy(options);
    case "least-latency":
      return createLeastLatency(options);
    case "usage-based":
      return createUsageBased();
    case "weighted":
      return createWeighted();
    case "priority": {
      const within = options.within ?? "least-busy";
      if ((within as string) === "priority") {
        throw new RangeError('Expected `within` to name a strategy other than "priority", got "priority".');
      }
      return createPriority({
        within: typeof within === "function" ? within : createStrategy(within, options),
      });
    }
    default:
      throw new RangeError(
        `Expected \`strategy\` to be one of ${strategyNames.join(", ")}, got ${JSON.stringify(name as unknown)}.`,
      );
  }
}
