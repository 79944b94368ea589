import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateFromSchema, generateJsonObject, type JsonSchema } from "../../src/sim/json-schema.js";
import { mulberry32 } from "../../src/sim/prng.js";

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

function checkMany(schema: JsonSchema, seeds = 200): void {
  const validate = ajv.compile(schema as object);
  for (let seed = 0; seed < seeds; seed++) {
    const value = generateFromSchema(schema, mulberry32(seed));
    if (!validate(value)) {
      throw new Error(`seed ${seed}: ${JSON.stringify(value)} ${ajv.errorsText(validate.errors)}`);
    }
  }
}

const person = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 3, maxLength: 12 },
    age: { type: "integer", minimum: 0, maximum: 130 },
    score: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
    step: { type: "number", multipleOf: 0.5, minimum: 10, maximum: 20 },
    active: { type: "boolean" },
    role: { enum: ["admin", "user", "guest"] },
    kind: { const: "person" },
    tags: { type: "array", items: { type: "string" }, minItems: 2, maxItems: 4, uniqueItems: true },
    address: {
      type: "object",
      properties: { city: { type: "string" }, zip: { type: ["string", "null"] } },
      required: ["city", "zip"],
      additionalProperties: false,
    },
    contact: { anyOf: [{ type: "string", format: "email" }, { type: "null" }] },
    born: { type: "string", format: "date-time" },
  },
  required: ["name", "age", "score", "step", "active", "role", "kind", "tags", "address", "contact", "born"],
  additionalProperties: false,
} as const;

describe("generateFromSchema", () => {
  // Breaks if any keyword of the structured-outputs subset is ignored (type, bounds, enum, const, required, nesting, anyOf).
  it("produces values valid against a schema using every supported keyword", () => {
    checkMany(person);
  });

  // Breaks if $ref / $defs are not followed or a recursive schema does not terminate.
  it("follows $ref into $defs and terminates on recursive schemas", () => {
    checkMany({
      type: "object",
      properties: { root: { $ref: "#/$defs/node" } },
      required: ["root"],
      additionalProperties: false,
      $defs: {
        node: {
          type: "object",
          properties: {
            value: { type: "integer" },
            children: { type: "array", items: { $ref: "#/$defs/node" } },
          },
          required: ["value", "children"],
          additionalProperties: false,
        },
      },
    });
  });

  // Breaks if allOf members are not merged or type arrays are mishandled.
  it("merges allOf objects and honours type arrays", () => {
    checkMany({
      allOf: [
        { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
        { type: "object", properties: { b: { type: ["integer", "boolean"] } }, required: ["b"] },
      ],
    });
  });

  // Breaks if generation reads anything but the rng (Math.random, time): same seed, same value.
  it("is deterministic in the rng", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(generateFromSchema(person, mulberry32(seed))).toEqual(
          generateFromSchema(person, mulberry32(seed)),
        );
      }),
      { numRuns: 50 },
    );
  });

  // Breaks if the seed does not vary the value (a hard-coded result).
  it("varies with the seed", () => {
    const values = new Set<string>();
    for (let seed = 0; seed < 20; seed++)
      values.add(JSON.stringify(generateFromSchema(person, mulberry32(seed))));
    expect(values.size).toBeGreaterThan(15);
  });

  // Breaks if JSON mode returns something other than a non-empty plain object.
  it("generateJsonObject gives a non-empty object", () => {
    for (let seed = 0; seed < 50; seed++) {
      const o = generateJsonObject(mulberry32(seed));
      expect(typeof o).toBe("object");
      expect(Array.isArray(o)).toBe(false);
      expect(Object.keys(o).length).toBeGreaterThan(0);
    }
  });

  // Breaks if some combination of keywords yields an invalid value (random schemas, checked by ajv).
  it("stays inside open bounds narrower than its rounding (fast-check counterexample)", () => {
    checkMany({ type: "number", exclusiveMinimum: -999999.9902897903, exclusiveMaximum: -999999.9892897903 });
    checkMany({ type: "number", exclusiveMinimum: 0.001, exclusiveMaximum: 0.002 });
    checkMany({ type: "number", minimum: 1.001, maximum: 1.004 });
  });

  it("values are valid for random schemas built from the supported keywords", () => {
    const leaf = fc.oneof(
      fc.record({
        type: fc.constant("string"),
        minLength: fc.integer({ min: 0, max: 5 }),
        maxLength: fc.integer({ min: 5, max: 30 }),
      }),
      fc.record(
        {
          type: fc.constant("string"),
          format: fc.constantFrom("date-time", "date", "email", "uuid", "uri", "ipv4"),
        },
        { requiredKeys: ["type"] },
      ),
      fc
        .tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
        .map(([lo, span]) => ({ type: "integer", minimum: lo, maximum: lo + span })),
      fc
        .tuple(
          fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          fc.double({ min: 0.001, max: 1e6, noNaN: true }),
        )
        .map(([lo, span]) => ({ type: "number", exclusiveMinimum: lo, exclusiveMaximum: lo + span })),
      fc.constantFrom(2, 0.25, 5).map((m) => ({ type: "number", multipleOf: m, minimum: 0, maximum: 100 })),
      fc.constant({ type: "boolean" }),
      fc.constant({ type: "null" }),
      fc
        .uniqueArray(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 5 })
        .map((e) => ({ enum: e })),
      fc.jsonValue().map((v) => ({ const: v })),
    );
    const { schema } = fc.letrec<{ schema: object }>((tie) => ({
      schema: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc
          .tuple(
            fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), tie("schema"), { maxKeys: 4 }),
            fc.boolean(),
            fc.boolean(),
          )
          .map(([properties, allRequired, closed]) => ({
            type: "object",
            properties,
            required: allRequired ? Object.keys(properties) : Object.keys(properties).slice(0, 1),
            additionalProperties: !closed,
          })),
        fc
          .tuple(tie("schema"), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }))
          .map(([items, min, extra]) => ({ type: "array", items, minItems: min, maxItems: min + extra })),
        fc.array(tie("schema"), { minLength: 1, maxLength: 3 }).map((anyOf) => ({ anyOf })),
        fc.constant({ type: ["string", "null"], maxLength: 10 }),
      ),
    }));
    fc.assert(
      fc.property(schema, fc.integer(), (s, seed) => {
        const validate = ajv.compile(s);
        const value = generateFromSchema(s as JsonSchema, mulberry32(seed));
        expect(validate(value), `${JSON.stringify(value)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
