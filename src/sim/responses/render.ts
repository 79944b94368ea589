import type { StreamEvent } from "../chat.js";
import type { TokenLogprob } from "../logprobs.js";
import { type Rng, randomBase62 } from "../prng.js";
import type { FunctionCallItem, Item, MessageItem } from "./items.js";

/** One output item with the pieces a stream sends for it (tokens of text, fragments of arguments). */
export type PlannedOutput =
  | {
      readonly item: MessageItem;
      readonly text: string;
      readonly pieces: readonly string[];
      /** With `include: ["message.output_text.logprobs"]`: one entry per piece. */
      readonly logprobs?: readonly TokenLogprob[];
    }
  | { readonly item: FunctionCallItem; readonly pieces: readonly string[] };

/** Everything needed to render one response, as JSON or as a stream of typed events. */
export interface ResponsePlan {
  readonly id: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly model: string;
  readonly echo: Readonly<Record<string, unknown>>;
  readonly outputs: readonly PlannedOutput[];
  readonly status: "completed" | "incomplete" | "failed";
  /** A failed plan: its last output was cut mid-stream, so it gets no `…done` events. */
  readonly interrupted?: boolean;
  readonly inputTokens: number;
  readonly cachedTokens: number;
  /** Prompt tokens this request wrote to the endpoint's prompt cache. */
  readonly writtenTokens: number;
  readonly outputTokens: number;
  /** Streams: pad each delta with an `obfuscation` field, as the service does by default. */
  readonly obfuscation: boolean;
}

/** The usage block of a finished response. */
export function usageOf(plan: ResponsePlan) {
  return {
    input_tokens: plan.inputTokens,
    input_tokens_details: { cached_tokens: plan.cachedTokens, cache_write_tokens: plan.writtenTokens },
    output_tokens: plan.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: plan.inputTokens + plan.outputTokens,
  };
}

/**
 * The `response` object, fields in the service's order. `status` other than the plan's final one
 * gives the in-progress snapshot streams open with (empty output, null usage).
 */
export function responseObject(
  plan: ResponsePlan,
  status: "queued" | "in_progress" | "completed" | "incomplete" | "failed" | "cancelled",
  createdAtOverride?: number,
): Record<string, unknown> {
  const done = status === "completed" || status === "incomplete" || status === "failed";
  const e = plan.echo;
  const body: Record<string, unknown> = {
    id: plan.id,
    object: "response",
    created_at: createdAtOverride ?? plan.createdAt,
    status,
    background: e.background,
    completed_at: status === "completed" ? plan.createdAt : null,
    error: status === "failed" ? SERVER_ERROR : null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: e.instructions,
    max_output_tokens: e.max_output_tokens,
    max_tool_calls: e.max_tool_calls,
    model: plan.model,
    output: done ? plan.outputs.map((o) => o.item) : [],
    parallel_tool_calls: e.parallel_tool_calls,
    previous_response_id: e.previous_response_id,
    prompt_cache_key: e.prompt_cache_key,
    prompt_cache_retention: e.prompt_cache_retention,
    reasoning: e.reasoning,
    safety_identifier: e.safety_identifier,
    service_tier: e.service_tier,
    store: e.store,
    temperature: e.temperature,
    text: e.text,
    tool_choice: e.tool_choice,
    tools: e.tools,
    top_logprobs: e.top_logprobs,
    top_p: e.top_p,
    truncation: e.truncation,
    usage: done ? usageOf(plan) : null,
    metadata: e.metadata,
  };
  if (e.user !== null) body.user = e.user; // a string when given, absent otherwise (spec: string)
  return body;
}

/** What the service reports in a `response.failed` it sends after the stream has started. */
const SERVER_ERROR = {
  code: "server_error",
  message:
    "An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.",
} as const;

/**
 * The plan of a stream that fails after `afterChunks` deltas (fault `responseFailedAfterChunks`):
 * the outputs so far, the one being streamed cut and `incomplete`, status `failed`. Undefined when
 * the reply has no more than `afterChunks` deltas: it completes unaffected.
 */
export function failedPlan(plan: ResponsePlan, afterChunks: number): ResponsePlan | undefined {
  let left = afterChunks;
  const outputs: PlannedOutput[] = [];
  let outputTokens = 0;
  for (const o of plan.outputs) {
    const call = o.item.type === "function_call" ? 1 : 0;
    if (left >= o.pieces.length) {
      outputs.push(o);
      outputTokens += call + o.pieces.length;
      left -= o.pieces.length;
      continue;
    }
    const pieces = o.pieces.slice(0, left);
    const partial = pieces.join("");
    outputs.push(
      o.item.type === "message"
        ? {
            item: {
              ...o.item,
              status: "incomplete",
              content: [{ type: "output_text", annotations: [], logprobs: [], text: partial }],
            },
            text: partial,
            pieces,
          }
        : { item: { ...o.item, status: "incomplete", arguments: partial }, pieces },
    );
    outputTokens += call + pieces.length;
    return { ...plan, outputs, status: "failed", outputTokens, interrupted: true };
  }
  return undefined;
}

/** The final response object: the JSON body of a non-streamed create, and what is stored. */
export function finalResponse(plan: ResponsePlan): Record<string, unknown> {
  return responseObject(plan, plan.status);
}

/** An in-progress copy of an output item, as `response.output_item.added` carries it. */
function openedItem(o: PlannedOutput): Item {
  if (o.item.type === "message") return { ...o.item, status: "in_progress", content: [] };
  return { ...o.item, status: "in_progress", arguments: "" };
}

/**
 * The typed SSE events of a streamed response, in the service's order, each `event: <type>` plus
 * `data: {type, sequence_number, …}`; no `[DONE]`. `content` events are the deltas (one per token or
 * argument fragment) at the position of their token, so the latency model paces them.
 */
export function renderResponseEvents(plan: ResponsePlan, rng: Rng): StreamEvent[] {
  const events: StreamEvent[] = [];
  let seq = 0;
  const push = (
    type: string,
    fields: Record<string, unknown>,
    kind: StreamEvent["kind"],
    position: number,
  ) => {
    const data = JSON.stringify({ type, sequence_number: seq++, ...fields });
    events.push({ data: `event: ${type}\ndata: ${data}\n\n`, kind, position });
  };
  const pad = (): Record<string, unknown> =>
    plan.obfuscation ? { obfuscation: randomBase62(rng, 2 + Math.floor(rng() * 14)) } : {};

  push("response.created", { response: responseObject(plan, "in_progress") }, "preamble", 0);
  push("response.in_progress", { response: responseObject(plan, "in_progress") }, "preamble", 0);

  let position = 0;
  plan.outputs.forEach((o, output_index) => {
    const item_id = o.item.id;
    push("response.output_item.added", { output_index, item: openedItem(o) }, "tail", position);
    if (o.item.type === "message") {
      const content_index = 0;
      const text = "text" in o ? o.text : "";
      const lps = "logprobs" in o ? o.logprobs : undefined;
      push(
        "response.content_part.added",
        {
          item_id,
          output_index,
          content_index,
          part: { type: "output_text", annotations: [], logprobs: [], text: "" },
        },
        "tail",
        position,
      );
      o.pieces.forEach((delta, i) => {
        const logprobs = lps === undefined ? [] : [lps[i]];
        push(
          "response.output_text.delta",
          { item_id, output_index, content_index, delta, logprobs, ...pad() },
          "content",
          position++,
        );
      });
      const last = Math.max(0, position - 1);
      if (plan.interrupted === true && output_index === plan.outputs.length - 1) return;
      push(
        "response.output_text.done",
        { item_id, output_index, content_index, text, logprobs: lps ?? [] },
        "tail",
        last,
      );
      push(
        "response.content_part.done",
        {
          item_id,
          output_index,
          content_index,
          part: { type: "output_text", annotations: [], logprobs: lps ?? [], text },
        },
        "tail",
        last,
      );
    } else {
      for (const delta of o.pieces) {
        push(
          "response.function_call_arguments.delta",
          { item_id, output_index, delta, ...pad() },
          "content",
          position++,
        );
      }
      if (plan.interrupted === true && output_index === plan.outputs.length - 1) return;
      push(
        "response.function_call_arguments.done",
        { item_id, name: o.item.name, output_index, arguments: o.item.arguments },
        "tail",
        Math.max(0, position - 1),
      );
    }
    push("response.output_item.done", { output_index, item: o.item }, "tail", Math.max(0, position - 1));
  });
  const final = `response.${plan.status}`;
  push(final, { response: finalResponse(plan) }, "tail", Math.max(0, position - 1));
  return events;
}
