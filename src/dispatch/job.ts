import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import type { EmbeddingCreateParams } from "openai/resources/embeddings";
import type { ResponseCreateParams } from "openai/resources/responses/responses";
import type { AttemptRecord } from "../errors.js";
import type { RequestKind } from "../strategies/types.js";
import type { Queued } from "./wait-queue.js";

/** Body of a queued request (a call on a stored response has only its `model`, when known). */
export type JobBody = ChatCompletionCreateParams | EmbeddingCreateParams | ResponseCreateParams;

/**
 * The API call a job makes. `kind` (chat / stream / embeddings) is how the queue and the lanes class
 * it; this is what the attempt sends.
 */
export type JobOp =
  | "chat"
  | "embeddings"
  | "responses"
  | "responses.retrieve"
  | "responses.delete"
  | "responses.cancel"
  | "responses.input_items";

/** Where a job is in its life. Exactly one transition into `settled`. */
export type JobState = "queued" | "running" | "backoff" | "settled";

/** A request inside the router, from admission to its single outcome. */
export interface Job extends Queued {
  readonly id: string;
  readonly kind: RequestKind;
  /** The body as sent (its `model` changes when a fallback takes over). */
  body: JobBody;
  /** The model currently being tried (the requested one, or a fallback). */
  model: string;
  readonly requestedModel: string;
  /** Budget charge: prompt estimate + output cap. */
  tokens: number;
  /** Absolute deadline (epoch ms): `timeout` covers queue time and the call. */
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly attempts: AttemptRecord[];
  /** Lanes the next attempt should avoid (they failed this job). */
  avoid: Set<string> | undefined;
  /** Fallback models not yet tried. */
  fallbacks: string[];
  state: JobState;
  /** When it last entered the queue (for `queuedMs`). */
  queuedAt: number;
  readonly op: JobOp;
  /**
   * The only lane that may serve it (hard affinity: the endpoint holding the stored response it
   * continues or reads). It waits for that lane, never goes elsewhere.
   */
  pin: string | undefined;
  /** A lane to take when it can admit the job now (soft affinity: its prompt cache); else the strategy. */
  prefer: string | undefined;
}
