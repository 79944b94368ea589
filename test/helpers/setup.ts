import { createRouter, type Router, type RouterConfig, type RouterDependencies } from "../../src/index.js";
import { startFleet } from "../../src/sim/index.js";
import { type RouterEndpointExtras, toRouterEndpoints } from "../../src/sim/router-endpoints.js";
import { FastForward } from "./virtual-time.js";

type FleetOptions = Parameters<typeof startFleet>[0];
type Fleet = Awaited<ReturnType<typeof startFleet>>;

/** A fleet and a router over it, closed together. */
export interface Rig {
  readonly fleet: Fleet;
  readonly router: Router;
  close(): Promise<void>;
}

/** Starts a simulated fleet and a router over every endpoint of it. */
export async function rig(
  fleetOptions: FleetOptions,
  routerConfig: Omit<RouterConfig, "endpoints"> & { extras?: Record<string, RouterEndpointExtras> } = {},
  dependencies: RouterDependencies = {},
): Promise<Rig> {
  const fleet = await startFleet(fleetOptions);
  const { extras, ...config } = routerConfig;
  const router = createRouter({ ...config, endpoints: toRouterEndpoints(fleet, extras ?? {}) }, dependencies);
  return {
    fleet,
    router,
    async close() {
      await router.close();
      await fleet.close();
    },
  };
}

/** A small chat body. */
export function chat(content = "hello", maxTokens = 16, model = "gpt-4o") {
  return { model, messages: [{ role: "user" as const, content }], max_tokens: maxTokens };
}

/** Counts attempts per endpoint from the fleet's own stats. */
export function requestsPer(fleet: Fleet, names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, fleet.stats(n).requests]));
}

/** A rig whose router and fleet share one virtual clock, plus `idle()` for `FastForward.runUntil`. */
export async function virtualRig(
  fleetOptions: FleetOptions,
  routerConfig: Parameters<typeof rig>[1] = {},
): Promise<Rig & { clock: FastForward; idle: () => boolean }> {
  const clock = new FastForward();
  const r = await rig({ ...fleetOptions, now: clock.now }, { scheduler: clock.scheduler, ...routerConfig });
  return { ...r, clock, idle: () => r.router.snapshot().totals.inflight === 0 };
}
