import type { Rng } from "./prng.js";
import { WORDS as REPLY_WORDS } from "./words.js";

/**
 * Seeded generation of JSON values that satisfy a JSON Schema: what the sim puts in a tool call's
 * `arguments` and in a `json_schema` structured-output reply. It covers the subset OpenAI's
 * structured outputs accept (object, array, string, number, integer, boolean, null, enum, const,
 * required, nested objects, `$ref` into `$defs`/`definitions`, `anyOf`) plus the common keywords
 * around them (`minLength`/`maxLength`, `minimum`/`maximum`/exclusive bounds/`multipleOf`,
 * `minItems`/`maxItems`, `uniqueItems`, `format` date-time/date/time/email/uuid/uri/ipv4, `oneOf`
 * and `allOf` of objects). `pattern` is not honoured: a value is drawn as if it were absent.
 * Validity is checked with ajv in test/sim/json-schema.test.ts.
 */

/** A JSON Schema as it arrives on the wire: an object, or `true`/`false`. */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** A JSON value. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [k: string]: JsonValue };

/** Options of {@link generateFromSchema}. */
export interface GenerateOptions {
  /**
   * Nesting depth past which optional properties are left out and arrays take their minimum length,
   * so recursive schemas (`$ref` to an ancestor) terminate.
   * @default 6
   */
  readonly maxDepth?: number;
  /**
   * Probability that an optional (not `required`) property is present.
   * @default 0.5
   */
  readonly optionalProbability?: number;
}

type Schema = { readonly [keyword: string]: unknown };

interface Ctx {
  readonly rng: Rng;
  readonly root: JsonSchema;
  readonly maxDepth: number;
  readonly optional: number;
}

const TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"] as const;

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Resolves a local `$ref` (`#`, `#/$defs/x`, `#/definitions/x`, any JSON pointer into the root). */
function resolveRef(ref: string, root: JsonSchema): JsonSchema | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  const pointer = ref.slice(1);
  if (pointer === "" || pointer === "/") return root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isSchema(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === "boolean" || isSchema(node) ? node : undefined;
}

/** Merges `allOf` members (objects only: properties and required lists are united). */
function mergeAllOf(schema: Schema, ctx: Ctx): Schema {
  const parts = schema.allOf;
  if (!Array.isArray(parts)) return schema;
  const { allOf: _ignored, ...rest } = schema;
  let merged: Record<string, unknown> = { ...rest };
  for (const raw of parts) {
    const part = deref(raw, ctx);
    if (!isSchema(part)) continue;
    const props = {
      ...(merged.properties as object | undefined),
      ...(part.properties as object | undefined),
    };
    const required = [
      ...((merged.required as unknown[] | undefined) ?? []),
      ...((part.required as unknown[] | undefined) ?? []),
    ];
    merged = { ...part, ...merged, properties: props, required };
  }
  return merged;
}

function deref(schema: unknown, ctx: Ctx): unknown {
  let s = schema;
  for (let hops = 0; hops < 32 && isSchema(s) && typeof s.$ref === "string"; hops++) {
    const target = resolveRef(s.$ref, ctx.root);
    if (target === undefined) return {};
    const { $ref: _ref, ...siblings } = s;
    s = Object.keys(siblings).length === 0 ? target : isSchema(target) ? { ...target, ...siblings } : target;
  }
  return s;
}

function chooseType(schema: Schema, ctx: Ctx, depth: number): string {
  const t = schema.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t) && t.length > 0) {
    // Deep in a recursive schema, prefer null when allowed: it ends the recursion.
    if (depth >= ctx.maxDepth && t.includes("null")) return "null";
    const concrete = t.filter((x) => x !== "null");
    return typeof t[0] === "string" && concrete.length > 0 ? String(pick(ctx.rng, concrete)) : String(t[0]);
  }
  if (schema.properties !== undefined || schema.required !== undefined) return "object";
  if (schema.items !== undefined || schema.prefixItems !== undefined) return "array";
  if (schema.minLength !== undefined || schema.maxLength !== undefined || schema.format !== undefined)
    return "string";
  if (schema.minimum !== undefined || schema.maximum !== undefined) return "number";
  return pick(
    ctx.rng,
    TYPES.filter((x) => x !== "object" && x !== "array"),
  );
}

function words(rng: Rng, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(pick(rng, REPLY_WORDS));
  return out.join(" ");
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function hex(rng: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rng() * 16)];
  return s;
}

function formatted(format: string, rng: Rng): string | undefined {
  const y = int(rng, 2000, 2030);
  const mo = pad2(int(rng, 1, 12));
  const d = pad2(int(rng, 1, 28));
  const time = `${pad2(int(rng, 0, 23))}:${pad2(int(rng, 0, 59))}:${pad2(int(rng, 0, 59))}`;
  switch (format) {
    case "date-time":
      return `${y}-${mo}-${d}T${time}Z`;
    case "date":
      return `${y}-${mo}-${d}`;
    case "time":
      return `${time}Z`;
    case "email":
      return `${pick(rng, REPLY_WORDS)}@example.com`;
    case "uuid":
      return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${"89ab"[int(rng, 0, 3)]}${hex(rng, 3)}-${hex(rng, 12)}`;
    case "uri":
    case "url":
      return `https://example.com/${pick(rng, REPLY_WORDS)}`;
    case "hostname":
      return `${pick(rng, REPLY_WORDS)}.example.com`;
    case "ipv4":
      return `192.0.2.${int(rng, 1, 254)}`;
    case "ipv6":
      return `2001:db8::${int(rng, 1, 0xfff).toString(16)}`;
    case "duration":
      return `P${int(rng, 1, 30)}D`;
    default:
      return undefined;
  }
}

function genString(schema: Schema, rng: Rng): string {
  const min = Math.max(0, num(schema.minLength) ?? 0);
  const max = Math.max(min, num(schema.maxLength) ?? Math.max(min, 40));
  const format = typeof schema.format === "string" ? formatted(schema.format, rng) : undefined;
  let s = format ?? words(rng, int(rng, 1, 4));
  // Lengths are in code points; the words are ASCII, so `length` counts them.
  while (s.length < min) s += ` ${pick(rng, REPLY_WORDS)}`;
  if (s.length > max) s = s.slice(0, max);
  if (s.length < min) s = s.padEnd(min, "x");
  return s;
}

function genNumber(schema: Schema, rng: Rng, integer: boolean): number {
  const exMin = num(schema.exclusiveMinimum);
  const exMax = num(schema.exclusiveMaximum);
  let lo = num(schema.minimum) ?? -Number.MAX_VALUE;
  let hi = num(schema.maximum) ?? Number.MAX_VALUE;
  const step = integer ? 1 : Number.EPSILON * 1024;
  if (exMin !== undefined) lo = Math.max(lo, exMin + (integer ? 1 : Math.max(step, Math.abs(exMin) * 1e-9)));
  if (exMax !== undefined) hi = Math.min(hi, exMax - (integer ? 1 : Math.max(step, Math.abs(exMax) * 1e-9)));
  // Draw from a human-sized window inside the allowed range.
  const windowLo = lo === -Number.MAX_VALUE ? (hi === Number.MAX_VALUE ? 0 : Math.min(hi - 100, 0)) : lo;
  const windowHi = hi === Number.MAX_VALUE ? windowLo + 100 : Math.min(hi, windowLo + 1000);
  const multiple = num(schema.multipleOf);
  if (multiple !== undefined && multiple > 0) {
    const first = Math.ceil(windowLo / multiple);
    const last = Math.floor(windowHi / multiple);
    const k = last >= first ? int(rng, first, last) : first;
    return Number((k * multiple).toPrecision(12));
  }
  if (integer) {
    const a = Math.ceil(windowLo);
    const b = Math.floor(windowHi);
    return b >= a ? int(rng, a, b) : a;
  }
  const raw = windowLo + rng() * (windowHi - windowLo);
  // Two decimals read like a model's numbers, but rounding (or a window narrower than the margins
  // above) can step outside an open bound, so fall back to the raw draw, then to the bounds' midpoint.
  const inside = (x: number): boolean =>
    x >= (num(schema.minimum) ?? -Number.MAX_VALUE) &&
    x <= (num(schema.maximum) ?? Number.MAX_VALUE) &&
    (exMin === undefined || x > exMin) &&
    (exMax === undefined || x < exMax);
  const rounded = Math.round(raw * 100) / 100;
  if (inside(rounded)) return rounded;
  if (inside(raw)) return raw;
  const a = exMin ?? lo;
  const b = exMax ?? hi;
  return a / 2 + b / 2;
}

function genArray(schema: Schema, ctx: Ctx, depth: number): JsonValue[] {
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as unknown[]) : [];
  const min = Math.max(prefix.length, num(schema.minItems) ?? 0);
  const max = Math.max(min, num(schema.maxItems) ?? min + 3);
  const length =
    depth >= ctx.maxDepth ? min : int(ctx.rng, Math.max(min, Math.min(1, max)), Math.min(max, min + 3));
  const items = schema.items === undefined || Array.isArray(schema.items) ? {} : schema.items;
  const out: JsonValue[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < length; i++) {
    const itemSchema = i < prefix.length ? prefix[i] : items;
    let value = gen(itemSchema, ctx, depth + 1);
    if (schema.uniqueItems === true) {
      for (let tries = 0; tries < 16 && seen.has(JSON.stringify(value)); tries++) {
        value = gen(itemSchema, ctx, depth + 1);
      }
      const key = JSON.stringify(value);
      if (seen.has(key)) {
        if (out.length >= min) break;
        continue;
      }
      seen.add(key);
    }
    out.push(value);
  }
  return out;
}

function genObject(schema: Schema, ctx: Ctx, depth: number): Record<string, JsonValue> {
  const props = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const out: Record<string, JsonValue> = {};
  for (const [key, sub] of Object.entries(props)) {
    if (!required.has(key) && (depth >= ctx.maxDepth || ctx.rng() >= ctx.optional)) continue;
    out[key] = gen(sub, ctx, depth + 1);
  }
  // A required name without a property schema takes any value.
  for (const key of required) if (!(key in out)) out[key] = words(ctx.rng, 1);
  const minProps = num(schema.minProperties) ?? 0;
  const extra = schema.additionalProperties;
  let i = 0;
  while (Object.keys(out).length < minProps && extra !== false && i < 64) {
    const key = `${pick(ctx.rng, REPLY_WORDS)}_${i++}`;
    if (!(key in out)) out[key] = gen(isSchema(extra) ? extra : { type: "string" }, ctx, depth + 1);
  }
  return out;
}

function gen(raw: unknown, ctx: Ctx, depth: number): JsonValue {
  const resolved = deref(raw, ctx);
  if (resolved === true || resolved === undefined) return words(ctx.rng, 2);
  if (!isSchema(resolved)) return null;
  const schema = mergeAllOf(resolved, ctx);
  if ("const" in schema) return schema.const as JsonValue;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return pick(ctx.rng, schema.enum) as JsonValue;
  const alternatives = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : undefined;
  if (alternatives !== undefined && alternatives.length > 0) {
    const { anyOf: _a, oneOf: _o, ...base } = schema;
    // Deep in a recursion, take a `null` alternative when there is one.
    const nullable =
      depth >= ctx.maxDepth ? alternatives.find((a) => isSchema(a) && a.type === "null") : undefined;
    const chosen = deref(nullable ?? pick(ctx.rng, alternatives), ctx);
    return gen(isSchema(chosen) ? { ...base, ...chosen } : chosen, ctx, depth);
  }
  switch (chooseType(schema, ctx, depth)) {
    case "object":
      return genObject(schema, ctx, depth);
    case "array":
      return genArray(schema, ctx, depth);
    case "string":
      return genString(schema, ctx.rng);
    case "integer":
      return genNumber(schema, ctx.rng, true);
    case "number":
      return genNumber(schema, ctx.rng, false);
    case "boolean":
      return ctx.rng() < 0.5;
    default:
      return null;
  }
}

/**
 * A value valid against `schema`, drawn from `rng` (same schema + same rng state → same value).
 *
 * @example
 * ```ts
 * const args = generateFromSchema(
 *   { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
 *   mulberry32(42),
 * ); // → { city: "Garden stone" } or similar, always with `city`
 * ```
 */
export function generateFromSchema(schema: JsonSchema, rng: Rng, options: GenerateOptions = {}): JsonValue {
  const ctx: Ctx = {
    rng,
    root: schema,
    maxDepth: options.maxDepth ?? 6,
    optional: options.optionalProbability ?? 0.5,
  };
  return gen(schema, ctx, 0);
}

/**
 * The object a `json_object` reply (no schema) carries: a few word-valued fields, so clients that
 * `JSON.parse` the content get an object, as the service promises in JSON mode.
 */
export function generateJsonObject(rng: Rng): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const fields = int(rng, 1, 4);
  for (let i = 0; i < fields; i++) {
    const key = pick(rng, REPLY_WORDS);
    out[key] = rng() < 0.25 ? int(rng, 0, 100) : words(rng, int(rng, 1, 5));
  }
  return out;
}
