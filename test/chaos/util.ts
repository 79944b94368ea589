/** The chaos suite's small helpers: seeded randomness, sleeping, counting, reading an error's code. */
import { mulberry32 } from "../../src/sim/prng.js";

/** The suite's own seeded randomness (load, aborts, fault schedule, the router's rng): the sim's mulberry32. */
export const prng = (seed: number): (() => number) => mulberry32(seed);

export const between = (rng: () => number, lo: number, hi: number) => lo + (hi - lo) * rng();
export const intBetween = (rng: () => number, lo: number, hi: number) => Math.floor(between(rng, lo, hi + 1));
export function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}
export function shuffled<T>(rng: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const bump = (record: Record<string, number>, key: string, by = 1) => {
  record[key] = (record[key] ?? 0) + by;
};
export const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};
