import type { Strategy } from "./types.js";

/**
 * Round-robin over lane `index`, with one rotation per model.
 *
 * The rotation remembers the index last picked for each model and takes the first candidate
 * after it (cyclically). Lanes that cannot admit right now are simply absent from the candidates,
 * so they are skipped without losing their place, and get their turn again when they return.
 * Keeping one counter per model (not one shared by all models) keeps each model's rotation even
 * when models interleave.
 * @example
 * const strategy = createRoundRobin();
 * strategy(lanes, { model: "gpt-4o", kind: "chat", tokens: 120 }, { rng: Math.random });
 */
export function createRoundRobin(): Strategy {
  const lastIndexByModel = new Map<string, number>();
  return (lanes, request) => {
    const last = lastIndexByModel.get(request.model) ?? -1;
    // One pass: the smallest index after `last`, else the smallest index overall (wrap around).
    let next: { id: string; index: number } | undefined;
    let lowest: { id: string; index: number } | undefined;
    for (const lane of lanes) {
      if (lowest === undefined || lane.index < lowest.index) lowest = lane;
      if (lane.index > last && (next === undefined || lane.index < next.index)) next = lane;
    }
    const chosen = next ?? lowest;
    if (chosen === undefined) return undefined;
    lastIndexByModel.set(request.model, chosen.index);
    return chosen.id;
  };
}
