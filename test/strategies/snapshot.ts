import { mulberry32 } from "../../src/sim/prng.js";
import type { LaneSnapshot, SelectionRequest, StrategyContext } from "../../src/strategies/types.js";

/** Fields of a snapshot a test may override; `id` and `index` default from the position. */
export type LaneOverrides = Partial<Omit<LaneSnapshot, "rpm" | "tpm">> & {
  rpm?: Partial<LaneSnapshot["rpm"]>;
  tpm?: Partial<LaneSnapshot["tpm"]>;
};

const unlimited = {
  limit: undefined,
  remaining: Number.POSITIVE_INFINITY,
  capacity: Number.POSITIVE_INFINITY,
  msUntilFull: 0,
  share: 1,
};

/** A frozen lane snapshot: healthy, idle, unlimited, no latency samples, unless overridden. */
export function lane(id: string, overrides: LaneOverrides = {}): LaneSnapshot {
  const { rpm, tpm, ...rest } = overrides;
  return Object.freeze({
    id,
    index: 0,
    state: "healthy",
    inflight: 0,
    concurrency: Number.POSITIVE_INFINITY,
    weight: 1,
    priority: 0,
    msPerToken: undefined,
    ttftMs: undefined,
    latencyMs: undefined,
    ...rest,
    rpm: Object.freeze({ ...unlimited, ...rpm }),
    tpm: Object.freeze({ ...unlimited, ...tpm }),
  });
}

/** Lanes named after `ids`, indexed in that order, each with its own overrides. */
export function lanes(...specs: ReadonlyArray<string | [string, LaneOverrides]>): LaneSnapshot[] {
  return specs.map((spec, index) =>
    typeof spec === "string" ? lane(spec, { index }) : lane(spec[0], { index, ...spec[1] }),
  );
}

/** A selection request for `model` (default `gpt-4o`, chat, 100 tokens). */
export function request(overrides: Partial<SelectionRequest> = {}): SelectionRequest {
  return { model: "gpt-4o", kind: "chat", tokens: 100, ...overrides };
}

/** A deterministic rng (the sim's mulberry32) so random tie-breaks are reproducible. */
export function seededRng(seed = 42): () => number {
  return mulberry32(seed);
}

/** A strategy context with a seeded rng. */
export function context(seed = 42): StrategyContext {
  return { rng: seededRng(seed) };
}

/** Counts how often each id occurs. */
export function tally(ids: ReadonlyArray<string | undefined>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) if (id !== undefined) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}
