import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import type { EmbeddingCreateParams } from "openai/resources/embeddings";
import type { AttemptRecord } from "../errors.js";
import type { RequestKind } from "../strategies/types.js";
import type { Queued } from "./wait-queue.js";

/** Body of a queued request. */
export type JobBody = ChatCompletionCreateParams | EmbeddingCreateParams;

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
}
