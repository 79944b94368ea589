import type { RouterMetrics } from "../types.js";

/** What `/readyz` answers: ready, or the reason for each model that has no endpoint able to serve it. */
export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/**
 * Ready when every model the router serves has an endpoint that can take it: one not disabled, whose
 * circuit is closed, half-open or open with its probe due (a probe would go), and that has not
 * disabled the model after a 404. Cooling (a 429's retry-after) counts as able: it will serve soon.
 * This is the router's own evidence: an endpoint that went down is seen once calls failed on it.
 */
export function readiness(snapshot: RouterMetrics, models: readonly string[]): Readiness {
  const reasons: string[] = [];
  for (const model of models) {
    const serving = snapshot.endpoints.filter((e) => e.models.includes(model));
    const able = serving.some(
      (e) =>
        !e.disabledModels.includes(model) &&
        (e.state === "healthy" ||
          e.state === "cooling" ||
          e.state === "half-open" ||
          (e.state === "open" && e.reopensAt <= snapshot.at)),
    );
    if (able) continue;
    const why = serving.map((e) => {
      if (e.disabledModels.includes(model)) return `${e.name}: model disabled after a 404`;
      if (e.state === "open")
        return `${e.name}: circuit open for ${Math.max(0, e.reopensAt - snapshot.at)} ms`;
      return `${e.name}: ${e.state}`;
    });
    reasons.push(`model ${model}: no endpoint can serve it (${why.join("; ") || "none configured"})`);
  }
  return { ready: reasons.length === 0, reasons };
}
