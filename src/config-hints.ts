import { z } from "zod";

/**
 * The keys an object in the config may have, found by walking the schema along `path` (with the
 * input, to pick the branch of a discriminated union such as an endpoint's `type`).
 */
export function knownKeysAt(
  schema: z.ZodType,
  path: readonly PropertyKey[],
  input: unknown,
): readonly string[] {
  let node: z.ZodType | undefined = unwrap(schema, input);
  let value = input;
  for (const key of path) {
    if (node === undefined) return [];
    value =
      typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    if (node instanceof z.ZodObject) node = node.shape[String(key)] as z.ZodType | undefined;
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else return [];
    node = node === undefined ? undefined : unwrap(node, value);
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** Peels defaults, optionals and the discriminated union of endpoints down to an object schema. */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType | undefined {
  let node: z.ZodType = schema;
  for (let depth = 0; depth < 10; depth++) {
    if (node instanceof z.ZodDefault || node instanceof z.ZodOptional || node instanceof z.ZodNullable) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodDiscriminatedUnion) {
      const tag = node.def.discriminator;
      const wanted =
        typeof value === "object" && value !== null ? (value as Record<string, unknown>)[tag] : undefined;
      const options = node.options as readonly z.ZodType[];
      const match = options.find((o) => {
        const field = o instanceof z.ZodObject ? (o.shape[tag] as z.ZodType | undefined) : undefined;
        return field instanceof z.ZodLiteral && field.values.has(wanted as never);
      });
      if (match === undefined) return undefined;
      node = match;
    } else return node;
  }
  return node;
}

/**
 * The known key closest to a mistyped one, if it is close enough to be what was meant: the same
 * letters in another case, or an edit distance of at most a third of the key's length (at least 1).
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        (d[(i - 1) * cols + j] ?? 0) + 1,
        (d[i * cols + j - 1] ?? 0) + 1,
        (d[(i - 1) * cols + j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (d[(i - 2) * cols + j - 2] ?? 0) + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1] ?? 0;
}
