/** A seeded uniform generator in [0, 1) (mulberry32): the same seed gives the same workload. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A uniform integer in [min, max]. */
export function uniformInt(rng: () => number, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** An exponential gap with mean `1 / rate` (Poisson arrivals). */
export function exponential(rng: () => number, rate: number): number {
  return -Math.log(1 - rng()) / rate;
}
