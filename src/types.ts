import type {
  ChatCompletion,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources/embeddings";
import type { ResponseItemList } from "openai/resources/responses/input-items";
import type {
  ResponseCreateParamsNonStreaming,
  Response as ResponseObject,
} from "openai/resources/responses/responses";
import type { AttemptRecord, RouterError } from "./errors.js";
import type { LaneState } from "./strategies/types.js";

/** Per-call options of the SDK-shaped API, like the SDK's request options. */
export interface RouterCallOptions {
  /** Cancels the request wherever it is (queued, running, between retries): it settles with `ABORTED`. */
  readonly signal?: AbortSignal | undefined;
  /** Lower is served first (like endpoint tiers). Waiting requests age one level per `queue.agingMs`. @default 0 */
  readonly priority?: number | undefined;
  /** Overall deadline: queue time + every attempt. @default config.timeoutMs @unit milliseconds */
  readonly timeout?: number | undefined;
  /** Request id shown in completions$ and events$. @default a generated `req_…` id */
  readonly id?: string | undefined;
  /**
   * Soft affinity: requests with the same key prefer the endpoint that last served it (whose prompt
   * cache holds their prefix) while it can take them now. @default `prompt_cache_key`, else `safety_identifier` / `user`
   */
  readonly affinityKey?: string | undefined;
}

/** A request pushed into `router.requests` (or piped through `router.route()`). */
export type RouterRequest =
  | {
      readonly id: string;
      readonly kind: "chat";
      readonly body: ChatCompletionCreateParamsNonStreaming;
      readonly priority?: number;
      readonly timeoutMs?: number;
      readonly signal?: AbortSignal;
    }
  | {
      readonly id: string;
      readonly kind: "embeddings";
      readonly body: EmbeddingCreateParams;
      readonly priority?: number;
      readonly timeoutMs?: number;
      readonly signal?: AbortSignal;
    }
  | {
      readonly id: string;
      readonly kind: "responses";
      readonly body: ResponseCreateParamsNonStreaming;
      readonly priority?: number;
      readonly timeoutMs?: number;
      readonly signal?: AbortSignal;
    };

/**
 * What an outcome was: a chat call, a chat stream, embeddings, a Responses `create` (JSON or streamed),
 * or a call on a stored response.
 */
export type CompletionKind =
  | "chat"
  | "stream"
  | "embeddings"
  | "responses"
  | "responses.retrieve"
  | "responses.delete"
  | "responses.cancel"
  | "responses.input_items";

/** The SDK object an outcome carries (undefined for streams, whose items went to the caller). */
export type CompletionResponse =
  | ChatCompletion
  | CreateEmbeddingResponse
  | ResponseObject
  | ResponseItemList
  | { readonly id: string; readonly object: string; readonly deleted: boolean }
  | undefined;

/** Token usage of a finished request (chat or embeddings). */
export type Usage = CompletionUsage | CreateEmbeddingResponse.Usage;

interface CompletionBase {
  readonly id: string;
  /** The model asked for. */
  readonly requestedModel: string;
  /** The model that answered (differs when a fallback took over). */
  readonly model: string;
  /** Every attempt, in order. */
  readonly attempts: readonly AttemptRecord[];
  /** From arrival to outcome, queue time included. */
  readonly latencyMs: number;
}

/**
 * The single outcome of one request: exactly one per request, whichever API it came through.
 * `response` is the SDK's own object (undefined for streams, whose chunks went to the caller).
 */
export type Completion =
  | (CompletionBase & {
      readonly ok: true;
      readonly kind: CompletionKind;
      readonly endpoint: string;
      readonly response: CompletionResponse;
      readonly usage: Usage | undefined;
    })
  | (CompletionBase & {
      readonly ok: false;
      readonly kind: CompletionKind;
      readonly endpoint: string | undefined;
      readonly error: RouterError;
      readonly usage?: undefined;
    });

/** A budget as metrics show it; `null` = unlimited/unknown. JSON-safe. */
export interface BudgetMetrics {
  readonly limit: number | null;
  readonly remaining: number | null;
  readonly capacity: number | null;
  /** Milliseconds until the budget is full again (its next complete refill); 0 when full or unlimited. */
  readonly msUntilFull: number;
}

/** Live figures of one endpoint. */
export interface EndpointMetrics {
  readonly name: string;
  readonly type: "azure" | "openai";
  readonly models: readonly string[];
  readonly state: LaneState;
  /** The lane's stream circuit: `open` when it cut streams after answering, while plain calls may still work. */
  readonly streamCircuit: "closed" | "open" | "half-open";
  readonly inflight: number;
  readonly concurrency: number | null;
  readonly peakInflight: number;
  readonly attempts: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly rateLimited: number;
  /** Attempts by HTTP status (or failure kind when there was none). */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Attempts per second over the last 5 s. */
  readonly requestsPerSecond: number;
  /** Tokens (usage) over the last 60 s. */
  readonly tokensPerMinute: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Input tokens served from the endpoint's prompt cache (`cached_tokens`). */
  readonly cachedTokens: number;
  /** Output tokens spent on reasoning (`reasoning_tokens`). */
  readonly reasoningTokens: number;
  readonly latencyMs: number | null;
  readonly ttftMs: number | null;
  readonly msPerToken: number | null;
  readonly rpm: BudgetMetrics;
  readonly tpm: BudgetMetrics;
  /** Epoch ms until which a 429 cools the lane; 0 when not cooling. */
  readonly coolingUntil: number;
  /** Epoch ms when an open breaker lets a probe through; 0 when not open. */
  readonly reopensAt: number;
  /** Budget reservations not yet settled (0 when idle). */
  readonly outstandingReservations: number;
  /** Models taken off this endpoint after a 404. */
  readonly disabledModels: readonly string[];
}

/** A snapshot of the whole router (`router.snapshot()`, `router.metrics$`). */
export interface RouterMetrics {
  readonly at: number;
  readonly queue: {
    readonly depth: number;
    readonly maxSize: number;
    readonly byPriority: Readonly<Record<string, number>>;
    readonly byModel: Readonly<Record<string, number>>;
  };
  readonly endpoints: readonly EndpointMetrics[];
  readonly totals: {
    readonly requests: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly inflight: number;
    readonly pending: number;
  };
}

/** The body of a streamed chat call. */
export type StreamingChatParams = ChatCompletionCreateParams & { stream: true };
