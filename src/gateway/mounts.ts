import { collectPrometheus } from "../metrics/prometheus.js";
import type { Router } from "../router.js";

/** The prom-client module's part used here (an optional peer dependency). */
interface PromClient {
  readonly Registry: new () => Parameters<typeof collectPrometheus>[1]["registry"] & {
    metrics(): Promise<string>;
  };
}

/**
 * The router's metrics through prom-client when it is installed: a registry of its own with
 * `collectPrometheus` on it, read at each scrape. `undefined` when prom-client is absent (the gateway
 * then writes the snapshot itself).
 */
export async function mountedMetrics(router: Router): Promise<(() => Promise<string>) | undefined> {
  let prom: PromClient;
  try {
    prom = (await import("prom-client")) as unknown as PromClient;
  } catch {
    return undefined;
  }
  const registry = new prom.Registry();
  collectPrometheus(router, { registry });
  return () => registry.metrics();
}
