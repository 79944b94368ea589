/**
 * Seeded randomness for the simulator. Everything the fleet varies (ids, keys, content, fault draws,
 * jitter) comes from here, so one seed reproduces a whole run; `Math.random` is never used.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast and good enough for simulation; not for cryptography. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 32-bit string hash (two murmur-style lanes folded together) mixed with a seed. Stable across
 * runs and platforms, so "same seed + same prompt" always selects the same reply.
 */
export function hashString(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

/** Derives an independent stream seed from a base seed and labels (e.g. endpoint name, purpose). */
export function deriveSeed(seed: number, ...labels: readonly string[]): number {
  return hashString(labels.join("\u0000"), seed >>> 0);
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX = "0123456789abcdef";

/** `length` characters drawn from [0-9A-Za-z]. */
export function randomBase62(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[Math.floor(rng() * 62)];
  return out;
}

/** `length` lowercase hex characters. */
export function randomHex(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += HEX[Math.floor(rng() * 16)];
  return out;
}

/** A version-4-shaped UUID (Azure's `apim-request-id` looks like this). */
export function randomUuid(rng: Rng): string {
  const h = randomHex(rng, 32);
  const variant = HEX[8 + Math.floor(rng() * 4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
