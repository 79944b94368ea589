import type { ResolvedConfig } from "../config.js";
import { createBottleneckGate, loadBottleneck } from "./bottleneck-gate.js";
import { Lane, type LaneDeps } from "./lane.js";
import { createNativeGate } from "./lane-gate.js";

/**
 * One lane per configured endpoint, in config order, each behind a concurrency gate of the configured
 * engine (`lanes.engine`: the native gate, or Bottleneck, loaded only when asked for).
 */
export function createLanes(config: ResolvedConfig, deps: Omit<LaneDeps, "config" | "gate">): Lane[] {
  const Bottleneck = config.lanes.engine === "bottleneck" ? loadBottleneck() : undefined;
  return config.endpoints.map((endpoint, index) => {
    const limit = endpoint.limits?.concurrency ?? Number.POSITIVE_INFINITY;
    const gate = Bottleneck ? createBottleneckGate(limit, Bottleneck) : createNativeGate(limit);
    return new Lane(endpoint, index, { ...deps, config, gate });
  });
}
