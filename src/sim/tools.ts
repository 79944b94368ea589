import { generateFromSchema, type JsonSchema } from "./json-schema.js";
import { type Rng, randomBase62 } from "./prng.js";

/**
 * Which tools a simulated model calls, and with what arguments. Shared by chat completions and the
 * Responses API: both parse their own wire shapes into {@link FunctionTool} and {@link ToolChoice}
 * and render the {@link ToolCallPlan}s this returns.
 *
 * The rule (documented in docs/sim.md, "Tool calls"):
 * - `none`, or no tools → no call;
 * - a named function → exactly one call of that function;
 * - `required` → at least one call;
 * - `auto` → no call when the conversation ends with a tool result (the model answers it in text);
 *   otherwise a call when the last user text names one of the tools, else a call when a seeded draw
 *   is below {@link AUTO_CALL_PROBABILITY};
 * - when calling under `auto`/`required` with `parallel_tool_calls` (default true) and several
 *   tools, 1 to {@link MAX_PARALLEL_CALLS} distinct tools are called (seeded), otherwise one.
 * Arguments are JSON text valid against the function's `parameters` schema ({} when it has none).
 */

/** A function tool, flavour-neutral (chat's `{type, function:{…}}` and Responses' flat `{type, name, …}`). */
export interface FunctionTool {
  readonly name: string;
  readonly description?: string | undefined;
  /** JSON Schema of the arguments object; absent means "no parameters". */
  readonly parameters?: JsonSchema | undefined;
  readonly strict?: boolean | undefined;
}

/** `tool_choice`, flavour-neutral: a mode, or one named function. */
export type ToolChoice = "none" | "auto" | "required" | { readonly name: string };

/** One call the model makes. */
export interface ToolCallPlan {
  /** `call_…`, the id a `tool` message (or `function_call_output` item) answers. */
  readonly id: string;
  readonly name: string;
  /** JSON text of the arguments. */
  readonly arguments: string;
}

/** Inputs of {@link chooseToolCalls}. */
export interface ToolCallInput {
  readonly tools: readonly FunctionTool[];
  /** @default "auto" when tools are present, as on the services */
  readonly toolChoice?: ToolChoice | undefined;
  /** @default true */
  readonly parallelToolCalls?: boolean | undefined;
  /** True when the last input message is a tool result (`tool` message / `function_call_output`). */
  readonly afterToolResult?: boolean | undefined;
  /** Text of the last user message; under `auto`, naming a tool in it calls that tool. */
  readonly lastUserText?: string | undefined;
  /** Seeded by (seed, prompt): the same request always makes the same calls. */
  readonly rng: Rng;
}

/** Under `auto`, the probability of a call when no tool is named in the last user message. */
export const AUTO_CALL_PROBABILITY = 0.5;
/** Most calls one parallel answer makes. */
export const MAX_PARALLEL_CALLS = 3;

/** A `call_` id as the services issue them (24 base62 characters). */
export function toolCallId(rng: Rng): string {
  return `call_${randomBase62(rng, 24)}`;
}

function callOf(tool: FunctionTool, rng: Rng): ToolCallPlan {
  const id = toolCallId(rng);
  const value = tool.parameters === undefined ? {} : generateFromSchema(tool.parameters, rng);
  return { id, name: tool.name, arguments: JSON.stringify(value) };
}

function namedIn(text: string, tools: readonly FunctionTool[]): FunctionTool | undefined {
  const lower = text.toLowerCase();
  return tools.find((t) => lower.includes(t.name.toLowerCase()));
}

/**
 * The calls to make for a request, or `[]` for a text answer. Deterministic in `rng`.
 *
 * @example
 * ```ts
 * const calls = chooseToolCalls({
 *   tools: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }],
 *   toolChoice: "required",
 *   rng: mulberry32(1),
 * }); // → [{ id: "call_…", name: "get_weather", arguments: '{"city":"…"}' }]
 * ```
 */
export function chooseToolCalls(input: ToolCallInput): readonly ToolCallPlan[] {
  const { tools, rng } = input;
  const choice = input.toolChoice ?? "auto";
  if (tools.length === 0 || choice === "none") return [];
  if (typeof choice === "object") {
    const tool = tools.find((t) => t.name === choice.name);
    return tool === undefined ? [] : [callOf(tool, rng)];
  }
  let first: FunctionTool | undefined;
  if (choice === "auto") {
    if (input.afterToolResult === true) return [];
    first = input.lastUserText === undefined ? undefined : namedIn(input.lastUserText, tools);
    if (first === undefined && rng() >= AUTO_CALL_PROBABILITY) return [];
  }
  const pool = tools.filter((t) => t !== first);
  // Seeded Fisher–Yates: the order the model "thinks of" the tools.
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const ordered = first === undefined ? pool : [first, ...pool];
  const parallel = input.parallelToolCalls !== false;
  const count = parallel ? 1 + Math.floor(rng() * Math.min(MAX_PARALLEL_CALLS, ordered.length)) : 1;
  return ordered.slice(0, count).map((t) => callOf(t, rng));
}

/**
 * Splits arguments JSON into the fragments a stream carries, token-sized as on the services
 * (`{"`, `city`, `":"`, `Paris`, `"}`); joined, they give `args` back exactly.
 */
export function argumentFragments(args: string): string[] {
  return args.match(/ ?[A-Za-z]+| ?\d{1,3}|\s+|[^\sA-Za-z\d]{1,3}/gu) ?? [];
}
