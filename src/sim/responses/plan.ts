import { generateReply } from "../content.js";
import { generateFromSchema, generateJsonObject } from "../json-schema.js";
import { tokenLogprobs } from "../logprobs.js";
import { hashString, mulberry32, type Rng, randomHex } from "../prng.js";
import type { PromptPiece } from "../prompt-cache.js";
import type { TokenCounter } from "../tokens.js";
import { argumentFragments, chooseToolCalls } from "../tools.js";
import { type Item, itemId, type MessageItem, pieceOf } from "./items.js";
import type { PlannedOutput, ResponsePlan } from "./render.js";
import type { ResponsesRequest } from "./validate.js";

/** What {@link planResponse} decides from. */
export interface PlanInput {
  readonly req: ResponsesRequest;
  /** The model name the response reports. */
  readonly model: string;
  /** Everything the model reads, earlier turns first (instructions aside). */
  readonly context: readonly Item[];
  readonly pieces: readonly PromptPiece[];
  readonly inputTokens: number;
  readonly cachedTokens: number;
  readonly writtenTokens: number;
  /** Draws the ids of the response and its items. */
  readonly ids: Rng;
  readonly seed: number;
  readonly tokens: TokenCounter;
  /** Sim clock, ms. */
  readonly now: number;
}

/**
 * The answer to a Responses request, seeded by its prompt: function calls when the tool-call chooser
 * calls (arguments valid against each function's schema), otherwise one assistant message of text
 * or, with `text.format` json_object / json_schema, of JSON; `max_output_tokens` cuts it
 * (`incomplete`).
 */
export function planResponse(p: PlanInput): ResponsePlan {
  const { req, model, context, pieces, inputTokens, cachedTokens, writtenTokens, ids, seed, tokens } = p;
  let promptKey = "";
  for (const p of pieces) promptKey += `${p.role}\u0001${p.text}\u0002`;
  const rng = mulberry32(hashString(promptKey, seed ^ 0x5e5));
  const last = context[context.length - 1];
  let lastUserText: string | undefined;
  for (let i = context.length - 1; i >= 0 && lastUserText === undefined; i--) {
    const item = context[i]!;
    if (item.type === "message" && item.role === "user") lastUserText = pieceOf(item).text;
  }
  const calls = chooseToolCalls({
    tools: req.functions,
    toolChoice: req.toolChoice,
    parallelToolCalls: req.parallelToolCalls,
    afterToolResult: last?.type === "function_call_output",
    lastUserText,
    rng,
  });
  const id = `resp_${randomHex(ids, 48)}`;
  const base = {
    id,
    createdAt: Math.floor(p.now / 1000),
    model,
    echo: req.echo,
    inputTokens,
    cachedTokens,
    writtenTokens,
    obfuscation: req.obfuscation,
  };
  if (calls.length > 0) {
    const outputs: PlannedOutput[] = calls.map((c) => ({
      item: {
        id: itemId("fc", ids),
        type: "function_call",
        status: "completed",
        arguments: c.arguments,
        call_id: c.id,
        name: c.name,
      },
      pieces: argumentFragments(c.arguments),
    }));
    // As chat counts a call: one token for the name, then its argument fragments.
    let outputTokens = 0;
    for (const o of outputs) outputTokens += 1 + o.pieces.length;
    return { ...base, outputs, status: "completed", outputTokens };
  }

  let piecesOut: string[];
  let complete: boolean;
  let outputTokens: number;
  const max = req.maxOutputTokens ?? undefined;
  if (req.format.type === "text") {
    const reply = generateReply(seed, promptKey, 0, max);
    piecesOut = [...reply.tokens];
    complete = reply.finishReason === "stop";
    outputTokens = piecesOut.length;
  } else {
    const value =
      req.format.type === "json_schema"
        ? generateFromSchema(req.format.schema, rng)
        : generateJsonObject(rng);
    const full = JSON.stringify(value);
    piecesOut = argumentFragments(full);
    const natural = tokens.count(full);
    complete = max === undefined || natural <= max;
    if (!complete) piecesOut = piecesOut.slice(0, Math.floor((piecesOut.length * max!) / natural));
    outputTokens = complete ? natural : tokens.count(piecesOut.join(""));
  }
  const text = piecesOut.join("");
  const logprobs =
    req.logprobs === undefined
      ? undefined
      : tokenLogprobs(piecesOut, req.logprobs, mulberry32(hashString(text, seed ^ 0x10b)));
  const item: MessageItem = {
    id: itemId("msg", ids),
    type: "message",
    status: complete ? "completed" : "incomplete",
    role: "assistant",
    content: [{ type: "output_text", annotations: [], logprobs: logprobs ?? [], text }],
  };
  return {
    ...base,
    outputs: [
      logprobs === undefined
        ? { item, text, pieces: piecesOut }
        : { item, text, pieces: piecesOut, logprobs },
    ],
    status: complete ? "completed" : "incomplete",
    outputTokens,
  };
}
