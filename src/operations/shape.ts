/**
 * Hand-written shape checks shared by the per-surface body validators (chat, embeddings): cheap on
 * the hot path (a few `typeof` per field, no allocation while the body is right), exact about what is
 * wrong (`path: what`) when it is not. A problem's path is built only when there is a problem.
 */

/** What the validators return when a body is right: one frozen empty list, never allocated again. */
export const NO_PROBLEMS: readonly string[] = Object.freeze([]);

/** At most this many problems are listed: a garbage body of a million items does not build a million lines. */
export const MAX_PROBLEMS = 20;

/** Deepest nesting a JSON value may have (deeper, or circular, is reported). */
const MAX_DEPTH = 64;
/** Most values one JSON check visits (a huge or self-repeating structure is reported, not walked forever). */
const MAX_NODES = 1_000_000;

/** Collects problems; allocates its list at the first one. */
export class Problems {
  private list: string[] | undefined;

  add(path: string, message: string): void {
    if (this.list === undefined) this.list = [];
    const list = this.list;
    if (list.length < MAX_PROBLEMS) list.push(`${path}: ${message}`);
    else if (list.length === MAX_PROBLEMS) list.push("…: more problems not listed");
  }

  get found(): boolean {
    return this.list !== undefined;
  }

  result(): readonly string[] {
    return this.list ?? NO_PROBLEMS;
  }
}

/** A record: an object that is not an array (class instances count). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Joins a path and a key the way config issues do (`messages.1.content`). */
export function at(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

/** `undefined`, `null`, or what `check` accepts; else a problem saying what it must be. */
export function optional(
  out: Problems,
  path: string,
  value: unknown,
  ok: (value: unknown) => boolean,
  what: string,
): void {
  if (value !== undefined && value !== null && !ok(value)) out.add(path, `must be ${what}`);
}

export const isString = (v: unknown): boolean => typeof v === "string";
export const isBoolean = (v: unknown): boolean => typeof v === "boolean";
export const isFiniteNumber = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
export const isInteger = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v);

/**
 * Reports a value that is not JSON (what goes over the wire): a bigint, symbol or function (JSON
 * throws or drops them), a NaN or infinite number (sent as `null`), nesting beyond 64 levels or a
 * cycle. Objects with `toJSON` (dates) are taken as they serialize. Walks without allocating while
 * everything is fine; on a problem, walks again to name its path.
 */
export function checkJson(out: Problems, path: string, value: unknown): void {
  const budget = { nodes: MAX_NODES };
  if (isJson(value, 0, budget)) return;
  if (budget.nodes <= 0) {
    out.add(path, "is too large or too deeply self-referencing to be sent as JSON");
    return;
  }
  out.add(...firstNonJson(path, value, 0));
}

function isJson(value: unknown, depth: number, budget: { nodes: number }): boolean {
  if (--budget.nodes <= 0) return false;
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isJson(value[i], depth + 1, budget)) return false;
        return true;
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") return true;
      for (const key of Object.keys(value))
        if (!isJson((value as Record<string, unknown>)[key], depth + 1, budget)) return false;
      return true;
    }
    default:
      return false;
  }
}

function firstNonJson(path: string, value: unknown, depth: number): [string, string] {
  switch (typeof value) {
    case "number":
      return [path, "must be a finite number (JSON has no NaN or Infinity)"];
    case "bigint":
      return [path, "must be JSON (a bigint cannot be sent; use a number or a string)"];
    case "function":
    case "symbol":
      return [path, `must be JSON (a ${typeof value} cannot be sent)`];
    case "object": {
      if (value === null) break;
      if (depth >= MAX_DEPTH) return [path, `is nested deeper than ${MAX_DEPTH} levels (or circular)`];
      const budget = { nodes: MAX_NODES };
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (!isJson(value[i], depth + 1, budget)) return firstNonJson(at(path, i), value[i], depth + 1);
        break;
      }
      for (const key of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (!isJson(v, depth + 1, budget)) return firstNonJson(at(path, key), v, depth + 1);
      }
      break;
    }
    default:
      break;
  }
  return [path, "must be JSON"];
}
