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
});
