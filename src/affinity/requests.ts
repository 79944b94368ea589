/**
 * What affinity reads from a request and learns from its answer: the stored state it continues (hard
 * affinity), its cache key (soft affinity), and the owners an answer makes.
 */
import type { Response as ResponseObject } from "openai/resources/responses/responses";
import type { JobBody, JobOp } from "../dispatch/job.js";
import { conversationOf } from "../operations/responses.js";
import { type Affinity, affinityKeyOf } from "./affinity.js";

/** The stored state a Responses request continues: `previous_response_id`, else its conversation or an item. */
export function continuedRef(op: JobOp, body: JobBody): string | undefined {
  if (op !== "responses") return undefined;
  const b = body as { previous_response_id?: unknown; conversation?: unknown; input?: unknown };
  if (typeof b.previous_response_id === "string") return b.previous_response_id;
  return conversationOf(b) ?? itemReferenceOf(b.input);
}

/**
 * The first stored item an input refers to (`{ type: "item_reference", id }`): the AI SDK sends
 * earlier turns that way when they are stored, and only the endpoint that stored them can resolve them.
 */
function itemReferenceOf(input: unknown): string | undefined {
  if (!Array.isArray(input)) return undefined;
  for (const item of input as unknown[]) {
    const i = item as { type?: unknown; id?: unknown } | null;
    if (i?.type === "item_reference" && typeof i.id === "string") return i.id;
  }
  return undefined;
}

/** Ids that the endpoints themselves can be asked about (items can only be found in a shared store). */
export function isAskable(ref: string): boolean {
  return ref.startsWith("resp_") || ref.startsWith("conv_");
}

/** The soft-affinity key, scoped by model (two models' caches are two caches). */
export function softKey(model: string, body: JobBody, explicit: string | undefined): string | undefined {
  const key = affinityKeyOf(body as unknown as Record<string, unknown>, explicit);
  return key === undefined ? undefined : `${model}\u0000${key}`;
}

/** What a request that an endpoint answered is, for affinity. */
export interface AnsweredRequest {
  readonly op: JobOp;
  readonly body: JobBody;
  readonly model: string;
  readonly affinityKey: string | undefined;
  /** The stored response a verb was called on. */
  readonly target: { readonly id: string } | undefined;
}

/**
 * What an answer teaches about later requests: the endpoint that served a cache key (soft affinity),
 * the owner of a stored response, of its output items and of its conversation (hard affinity), a
 * deleted response's end.
 */
export function learnFromAnswer(
  affinity: Affinity,
  request: AnsweredRequest,
  endpoint: string,
  response: ResponseObject | undefined,
  now: number,
): void {
  if (request.op === "responses.delete" && request.target) {
    affinity.disown(request.target.id);
    return;
  }
  affinity.served(request.affinityKey, endpoint, now);
  if (request.op !== "responses" || response === undefined) return;
  if ((request.body as { store?: unknown }).store === false || typeof response.id !== "string") return;
  const usage = response.usage;
  const owner = {
    endpoint,
    model: request.model,
    contextTokens: usage ? usage.input_tokens + usage.output_tokens : 0,
  };
  affinity.own(response.id, owner, now);
  // Its output items can be referred to later (`item_reference`): they live there too.
  for (const item of response.output ?? [])
    if (typeof item.id === "string") affinity.own(item.id, owner, now);
  const conversation = conversationOf(request.body as { conversation?: unknown });
  if (conversation !== undefined) affinity.own(conversation, owner, now);
}
