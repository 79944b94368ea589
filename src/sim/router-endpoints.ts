import type { AzureEndpointConfig, OpenAIEndpointConfig } from "../config.js";
import type { Fleet } from "./fleet.js";

/** What the router should know about a simulated endpoint besides its address and key. */
export interface RouterEndpointExtras {
  readonly limits?: {
    readonly rpm?: number;
    readonly tpm?: number;
    readonly concurrency?: number;
    readonly requestWindowSeconds?: number;
  };
  readonly priority?: number;
  readonly weight?: number;
}

/**
 * Router endpoint configs for a running fleet: the glue the demo, tests and benchmarks share.
 * @example
 * const router = createRouter({ endpoints: toRouterEndpoints(fleet, { east: { limits: { rpm: 600 } } }) });
 */
export function toRouterEndpoints(
  fleet: Fleet,
  extras: Readonly<Record<string, RouterEndpointExtras>> = {},
): (AzureEndpointConfig | OpenAIEndpointConfig)[] {
  return fleet.endpoints.map((e) => {
    const extra = extras[e.name] ?? {};
    const common = {
      name: e.name,
      apiKey: e.apiKey,
      ...(extra.limits ? { limits: { ...extra.limits } } : {}),
      ...(extra.priority !== undefined ? { priority: extra.priority } : {}),
      ...(extra.weight !== undefined ? { weight: extra.weight } : {}),
    };
    return e.type === "azure"
      ? { ...common, type: "azure" as const, endpoint: e.endpoint, deployments: { ...e.deployments } }
      : { ...common, type: "openai" as const, baseURL: e.baseURL, models: [...e.models] };
  });
}
