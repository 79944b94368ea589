/** The shape of a chaos run: what it is asked to do, what it tracks per request, and what it reports. */
import type { ChatCompletion } from "openai/resources/chat/completions";
import type { CreateEmbeddingResponse } from "openai/resources/embeddings";
import type { Completion, RouterMetrics } from "../../src/index.js";
import type { startFleet } from "../../src/sim/index.js";
import type { HostileMode } from "../helpers/hostile-upstream.js";

export type Fleet = Awaited<ReturnType<typeof startFleet>>;
export type StrategyName = "least-latency" | "usage-based";
export type Kind = "chat" | "stream" | "embeddings";
export type Api = "promise" | "subject" | "observable";
export type Phase = "waiting" | "running";
export type AbortPhase = "waiting" | "running" | "mid-stream";
export type AbortPlan =
  | { readonly mode: "timer"; readonly ms: number }
  | { readonly mode: "after-dispatch"; readonly ms: number }
  | { readonly mode: "after-chunks"; readonly chunks: number };

/** What the caller saw, on the promise / observable side. */
export type CallerOutcome =
  | { readonly ok: true; readonly value: "response" | "stream-ended" | "unsubscribed" }
  | { readonly ok: false; readonly code: string | undefined; readonly error: unknown };

export interface Tracked {
  readonly id: string;
  readonly kind: Kind;
  readonly api: Api;
  readonly inputs: number;
  readonly plan: AbortPlan | undefined;
  readonly controller: AbortController;
  phase: Phase;
  dispatches: number;
  /** Set when `abort()` was called before the request settled. */
  abortedIn: AbortPhase | undefined;
  abortTimer: NodeJS.Timeout | undefined;
  /** How this caller stops its request, when not through its AbortSignal (unsubscribing). */
  stop: (() => void) | undefined;
  chunks: number;
  contentChunks: number;
  sawFinish: boolean;
  readonly completions: Completion[];
  readonly caller: CallerOutcome[];
  response: ChatCompletion | CreateEmbeddingResponse | undefined;
  done: boolean;
  onDone: (() => void) | undefined;
}

export interface ChaosOptions {
  readonly seed: number;
  readonly strategy: StrategyName;
  readonly requests: number;
  readonly concurrency: number;
  /** Hard bound on the load phase; whatever has not settled by then counts as lost. @unit milliseconds */
  readonly budgetMs: number;
  /**
   * Hostile-upstream mode: two more endpoints on test/helpers/hostile-upstream.ts whose misbehaviour
   * changes every 60–150 ms (HTML 200s, bodies that are not JSON or of the wrong shape, empty bodies,
   * broken or truncated streams, hostile retry-after values, drip-fed bodies, echoed keys).
   */
  readonly hostile?: boolean;
}

export interface ChaosReport {
  readonly options: ChaosOptions;
  readonly tracked: readonly Tracked[];
  readonly unknownCompletions: readonly string[];
  readonly faults: Readonly<Record<string, number>>;
  readonly downCycles: readonly { endpoint: string; servedAfterUp: number }[];
  readonly events: Readonly<Record<string, number>>;
  readonly endpointStats: Readonly<
    Record<string, { requests: number; dropped: number; byStatus: Record<string, number> }>
  >;
  readonly routerStatuses: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly snapshotAfter: RouterMetrics;
  readonly leaks: readonly string[];
  readonly unhandled: readonly unknown[];
  readonly warnings: readonly string[];
  readonly handlesBefore: Readonly<Record<string, number>>;
  readonly handlesAfter: Readonly<Record<string, number>>;
  readonly lost: number;
  /** `router.close()` resolved (it waits for every accepted request to settle). */
  readonly closed: boolean;
  readonly durationMs: number;
  readonly metricsEmissions: number;
  /** Hostile mode: calls each hostile mode received, and the modes dealt while the load ran. */
  readonly hostile?: {
    readonly callsByMode: Readonly<Record<string, number>>;
    readonly dealt: readonly HostileMode[];
    /** Calls per second an endpoint got while it answered 429 with a retry-after of (about) zero. */
    readonly zeroRetryAfterRate: number;
  };
}

export const CHAT_MODEL = "gpt-4o";
export const EMBEDDING_MODEL = "text-embedding-3-small";
export const HEALTHY = "az-east";
export const MAX_ATTEMPTS = 6;
