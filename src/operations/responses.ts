import type { CompletionUsage } from "openai/resources/completions";
import type {
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
  Response as ResponseObject,
  ResponseStreamEvent,
} from "openai/resources/responses/responses";
import { ResponseEventStream } from "../dispatch/response-stream.js";
import type { RoutedStream, StreamReader } from "../dispatch/routed-stream.js";
import { imageTokens } from "../limits/image-tokens.js";
import type { TokenEstimator } from "../limits/token-estimate.js";
import { describe } from "./chat-answer.js";
import { isRecord } from "./shape.js";
import type { Surface } from "./surface.js";

/**
 * The Responses API as the router sees it: what a valid body looks like, what a TPM limiter charges
 * for it, where a stream's content starts (after which it cannot fail over), how a stream ends, and
 * the usage it reports. Pure functions; no HTTP.
 */

/** Tokens a message item costs besides its text (role and separators), as chat messages do. */
const TOKENS_PER_ITEM = 3;

/** Every problem of a Responses `create` body, each with its path; empty when the shape is right. */
export function validateResponsesBody(body: unknown): string[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return ["body: must be an object"];
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof b.model !== "string" || b.model.length === 0) problems.push("model: must be a non-empty string");
  const input = b.input;
  if (input !== undefined && typeof input !== "string") {
    if (!Array.isArray(input)) problems.push("input: must be a string or an array of items");
    else
      input.forEach((item: unknown, i) => {
        if (typeof item !== "object" || item === null || Array.isArray(item))
          problems.push(`input.${i}: must be an object`);
        else if (typeof (item as { type?: unknown }).type !== "string" && !("role" in item))
          problems.push(`input.${i}: needs a \`type\` or a \`role\``);
      });
  }
  if (input === undefined && b.previous_response_id === undefined && b.prompt === undefined)
    problems.push("input: required unless previous_response_id or prompt is given");
  for (const key of ["instructions", "previous_response_id", "prompt_cache_key"] as const)
    optional(problems, b, key, "string");
  for (const key of ["stream", "store", "background"] as const) optional(problems, b, key, "boolean");
  const max = b.max_output_tokens;
  if (max !== undefined && max !== null && !(typeof max === "number" && Number.isInteger(max) && max > 0))
    problems.push("max_output_tokens: must be a positive integer");
  if (b.tools !== undefined && !Array.isArray(b.tools)) problems.push("tools: must be an array");
  for (const key of ["text", "metadata", "reasoning"] as const) {
    const v = b[key];
    if (v !== undefined && v !== null && (typeof v !== "object" || Array.isArray(v)))
      problems.push(`${key}: must be an object`);
  }
  const conversation = b.conversation;
  if (conversation !== undefined && conversation !== null && conversationOf(b) === undefined)
    problems.push("conversation: must be an id or an object with an `id`");
  return problems;
}

function optional(problems: string[], b: Record<string, unknown>, key: string, type: string): void {
  const v = b[key];
  if (v !== undefined && v !== null && typeof v !== type) problems.push(`${key}: must be a ${type}`);
}

/** The id of the conversation a request continues (`conversation` as an id or `{ id }`). */
export function conversationOf(body: { conversation?: unknown }): string | undefined {
  const c = body.conversation;
  if (typeof c === "string") return c;
  const id = (c as { id?: unknown } | null | undefined)?.id;
  return typeof id === "string" ? id : undefined;
}

/**
 * Input tokens of a Responses request as a TPM limiter counts them: instructions, every input item
 * (message text, function-call arguments and outputs, images at the chat rate), tool definitions.
 * A continued conversation's stored context is added by the caller (it is invisible in the body).
 */
export function estimateResponsesInput(body: Record<string, unknown>, estimator: TokenEstimator): number {
  // One estimate: every string of the request shares the estimator's cap on text tokenized.
  return estimator.within(() => countInput(body, estimator));
}

function countInput(body: Record<string, unknown>, estimator: TokenEstimator): number {
  let tokens = 0;
  if (typeof body.instructions === "string")
    tokens += estimator.countText(body.instructions) + TOKENS_PER_ITEM;
  const input = body.input;
  if (typeof input === "string") tokens += estimator.countText(input) + TOKENS_PER_ITEM;
  else if (Array.isArray(input)) for (const item of input) tokens += itemTokens(item, estimator);
  if (Array.isArray(body.tools) && body.tools.length > 0)
    tokens += estimator.countText(JSON.stringify(body.tools));
  return tokens;
}

function itemTokens(item: unknown, estimator: TokenEstimator): number {
  if (typeof item !== "object" || item === null) return 0;
  const i = item as Record<string, unknown>;
  let tokens = TOKENS_PER_ITEM;
  const content = i.content;
  if (typeof content === "string") tokens += estimator.countText(content);
  else if (Array.isArray(content)) {
    for (const part of content as unknown[]) {
      const p = part as Record<string, unknown> | null;
      if (typeof p?.text === "string") tokens += estimator.countText(p.text);
      else if (p?.type === "input_image") {
        const detail = p.detail === "low" || p.detail === "high" ? p.detail : "auto";
        tokens += imageTokens({ url: typeof p.image_url === "string" ? p.image_url : "", detail });
      }
    }
  }
  for (const key of ["arguments", "output", "name"] as const) {
    const v = i[key];
    if (typeof v === "string") tokens += estimator.countText(v);
  }
  return tokens;
}

/** The output a limiter reserves: the cap the request sets, else the router's default. */
export function responsesOutputCap(
  body: { max_output_tokens?: unknown },
  defaultOutputTokens: number,
): number {
  const m = body.max_output_tokens;
  return typeof m === "number" && m > 0 ? m : defaultOutputTokens;
}

/** A Responses usage in the chat shape the lanes and metrics count (cached and reasoning kept). */
export function responsesUsage(response: Pick<ResponseObject, "usage"> | undefined) {
  const u = response?.usage;
  if (!u) return undefined;
  return {
    prompt_tokens: u.input_tokens,
    completion_tokens: u.output_tokens,
    total_tokens: u.total_tokens,
    prompt_tokens_details: { cached_tokens: u.input_tokens_details?.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.output_tokens_details?.reasoning_tokens ?? 0 },
  };
}

/** Events that carry output: once one reached the caller, the stream can no longer fail over. */
export function isResponsesContent(event: ResponseStreamEvent): boolean {
  switch (event.type) {
    case "response.output_text.delta":
    case "response.function_call_arguments.delta":
    case "response.refusal.delta":
    case "response.reasoning_summary_text.delta":
    case "response.reasoning_text.delta":
      return true;
    default:
      return false;
  }
}

/** How a Responses stream event ends the stream, if it does. Only these mean the service finished. */
export function responsesStreamEnd(event: ResponseStreamEvent): "completed" | "failed" | undefined {
  switch (event.type) {
    case "response.completed":
    case "response.incomplete":
      return "completed";
    case "response.failed":
    case "error":
      return "failed";
    default:
      return undefined;
  }
}

/** What is wrong with a Responses answer, if anything: it must be a `response` object with `output`. */
export function responseObjectProblem(data: unknown): string | undefined {
  if (!isRecord(data)) return data === undefined ? "an empty body" : `not a JSON object (${describe(data)})`;
  if (typeof data.id !== "string") return "no response `id`";
  if (!Array.isArray(data.output)) return "no `output` array";
  return undefined;
}

/**
 * The Responses surface: input items and tools counted for the budgets, the service's final event as
 * the only completion, the stored response read from that event (its owner is where it was made).
 */
export const responsesSurface: Surface = {
  validate: validateResponsesBody,
  estimate: (body, estimator, defaultOutputTokens) =>
    estimateResponsesInput(body as unknown as Record<string, unknown>, estimator) +
    responsesOutputCap(body as { max_output_tokens?: unknown }, defaultOutputTokens),
  call: (body, _target, common) => ({
    kind: "responses",
    body: body as ResponseCreateParamsNonStreaming,
    common,
  }),
  answerProblem: (result) => (result.kind === "responses" ? responseObjectProblem(result.data) : undefined),
  usage: (result) => (result.kind === "responses" ? responsesUsage(result.data) : undefined),
  stream: {
    call: (body, common) => ({
      kind: "responses-stream",
      body: { ...(body as ResponseCreateParamsStreaming), stream: true },
      common,
    }),
    isItem: (item) => isRecord(item) && typeof item.type === "string",
    isContent: (item) => isResponsesContent(item as ResponseStreamEvent),
    // A response may complete with no text at all (a bare tool call, an empty answer).
    finishedEarly: (buffered) =>
      buffered.some((e) => responsesStreamEnd(e as ResponseStreamEvent) === "completed"),
    open: (parts) => {
      const reader = new ResponseEventReader();
      const stream = new ResponseEventStream({
        ...(parts as unknown as ConstructorParameters<typeof ResponseEventStream>[0]),
        reader,
      });
      return { stream: stream as unknown as RoutedStream<never>, reader: reader as never };
    },
  },
};

/** Reads the final event: the response as stored, its usage, and whether the service finished it. */
export class ResponseEventReader implements StreamReader<ResponseStreamEvent> {
  usage: CompletionUsage | undefined;
  complete = false;
  /** The response as the final event carries it (its id is what later calls refer to). */
  response: ResponseObject | undefined;

  see(event: ResponseStreamEvent): ResponseStreamEvent {
    const end = responsesStreamEnd(event);
    if (end !== undefined && "response" in event) {
      this.response = event.response;
      this.usage = responsesUsage(event.response);
    }
    if (end === "completed") this.complete = true;
    return event;
  }
}
