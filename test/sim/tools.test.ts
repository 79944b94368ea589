import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/sim/prng.js";
import {
  argumentFragments,
  chooseToolCalls,
  type FunctionTool,
  MAX_PARALLEL_CALLS,
} from "../../src/sim/tools.js";

const ajv = new Ajv2020({ strict: false });

const weather: FunctionTool = {
  name: "get_weather",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { enum: ["c", "f"] } },
    required: ["city", "unit"],
    additionalProperties: false,
  },
};
const time: FunctionTool = {
  name: "get_time",
  parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] },
};
const ping: FunctionTool = { name: "ping" };
const tools = [weather, time, ping];

function calls(seed: number, extra: Partial<Parameters<typeof chooseToolCalls>[0]> = {}) {
  return chooseToolCalls({ tools, rng: mulberry32(seed), ...extra });
}

describe("chooseToolCalls", () => {
  // Breaks if `none` or an empty tool list still calls.
  it("never calls with tool_choice none or without tools", () => {
    for (let s = 0; s < 50; s++) {
      expect(calls(s, { toolChoice: "none" })).toEqual([]);
      expect(chooseToolCalls({ tools: [], toolChoice: "required", rng: mulberry32(s) })).toEqual([]);
    }
  });

  // Breaks if `required` may answer in text, or if parallel calls repeat a tool or exceed the cap.
  it("required always calls, 1..MAX_PARALLEL distinct tools", () => {
    const counts = new Set<number>();
    for (let s = 0; s < 200; s++) {
      const c = calls(s, { toolChoice: "required" });
      expect(c.length).toBeGreaterThanOrEqual(1);
      expect(c.length).toBeLessThanOrEqual(MAX_PARALLEL_CALLS);
      expect(new Set(c.map((x) => x.name)).size).toBe(c.length);
      counts.add(c.length);
    }
    expect(counts.size).toBeGreaterThan(1);
  });

  // Breaks if parallel_tool_calls: false still makes several calls.
  it("parallel_tool_calls false makes exactly one call", () => {
    for (let s = 0; s < 100; s++)
      expect(calls(s, { toolChoice: "required", parallelToolCalls: false })).toHaveLength(1);
  });

  // Breaks if a named function is not the one called.
  it("a named function calls that function once", () => {
    for (let s = 0; s < 50; s++) {
      const c = calls(s, { toolChoice: { name: "get_time" } });
      expect(c.map((x) => x.name)).toEqual(["get_time"]);
    }
  });

  // Breaks if auto ignores the follow-up rule, the naming rule, or always/never calls.
  it("auto: no call after a tool result, the named tool first, otherwise a seeded draw", () => {
    let called = 0;
    for (let s = 0; s < 200; s++) {
      expect(calls(s, { afterToolResult: true })).toEqual([]);
      expect(calls(s, { lastUserText: "What does GET_TIME say?" })[0]?.name).toBe("get_time");
      if (calls(s).length > 0) called++;
    }
    expect(called).toBeGreaterThan(60);
    expect(called).toBeLessThan(140);
  });

  // Breaks if arguments are not JSON valid against the tool's schema, or ids are malformed.
  it("arguments are JSON valid against the parameters schema", () => {
    const byName = new Map(
      tools.map((t) => [
        t.name,
        t.parameters === undefined ? undefined : ajv.compile(t.parameters as object),
      ]),
    );
    for (let s = 0; s < 200; s++) {
      for (const c of calls(s, { toolChoice: "required" })) {
        expect(c.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
        const args: unknown = JSON.parse(c.arguments);
        const v = byName.get(c.name);
        if (v === undefined) expect(args).toEqual({});
        else expect(v(args), JSON.stringify(v.errors)).toBe(true);
      }
    }
  });
});

describe("argumentFragments", () => {
  // Breaks if fragments lose or reorder characters, or the text is not split at all.
  it("splits into several pieces that join back exactly", () => {
    const text = '{"city":"San Francisco, CA","days":12345,"x":[1,2]}';
    const parts = argumentFragments(text);
    expect(parts.join("")).toBe(text);
    expect(parts.length).toBeGreaterThan(10);
    expect(argumentFragments("{}")).toEqual(["{}"]);
  });
});
