/**
 * Names, units and bucket boundaries of the OpenTelemetry GenAI semantic conventions, in the two
 * versions the router can emit: v1.41.0 (the last published in open-telemetry/semantic-conventions,
 * the default) and the latest experimental one (open-telemetry/semantic-conventions-genai), chosen by
 * `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` as the conventions' transition plan asks.
 * See docs/observability.md for where each name comes from.
 */

/** Which GenAI conventions the router emits. */
export type GenAiSemconv = "v1.41" | "latest";

/** The opt-in value that switches to the latest experimental GenAI conventions. */
export const LATEST_OPT_IN = "gen_ai_latest_experimental";

/** Reads `OTEL_SEMCONV_STABILITY_OPT_IN` (a comma-separated list) the way the conventions define it. */
export function semconvFromEnv(value: string | undefined): GenAiSemconv {
  if (!value) return "v1.41";
  return value.split(",").some((v) => v.trim() === LATEST_OPT_IN) ? "latest" : "v1.41";
}

/** `gen_ai.client.*.duration` and time-to-first-chunk boundaries (seconds), from the conventions. */
export const DURATION_BUCKETS_S = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** `gen_ai.client.token.usage` boundaries (tokens), from the conventions. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** `openai_router.queue.wait` boundaries (seconds): our own, finer at the low end where most waits are. */
export const QUEUE_WAIT_BUCKETS_S = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/** Attribute keys used on spans and metrics. */
export const ATTR = {
  operation: "gen_ai.operation.name",
  provider: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  responseId: "gen_ai.response.id",
  finishReasons: "gen_ai.response.finish_reasons",
  stream: "gen_ai.request.stream",
  timeToFirstChunk: "gen_ai.response.time_to_first_chunk",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  cacheReadTokens: "gen_ai.usage.cache_read.input_tokens",
  reasoningTokens: "gen_ai.usage.reasoning.output_tokens",
  tokenType: "gen_ai.token.type",
  tokenModality: "gen_ai.token.modality",
  serverAddress: "server.address",
  serverPort: "server.port",
  errorType: "error.type",
  httpStatus: "http.response.status_code",
  openaiApiType: "openai.api.type",
  openaiServiceTier: "openai.response.service_tier",
  openaiFingerprint: "openai.response.system_fingerprint",
  endpoint: "openai_router.endpoint",
  requestId: "openai_router.request.id",
  model: "openai_router.model",
  queueWait: "openai_router.queue.wait",
  attempts: "openai_router.attempts",
  attempt: "openai_router.attempt",
  fallbackUsed: "openai_router.fallback.used",
  state: "openai_router.endpoint.state",
  circuitScope: "openai_router.circuit.scope",
  status: "openai_router.status",
} as const;

/** The GenAI metric names of one convention version. */
export interface GenAiMetricNames {
  /** Duration of chat and streamed chat requests. */
  readonly chatDuration: string;
  /** Duration of embeddings requests. */
  readonly embeddingsDuration: string;
  /** Duration of operations that generate nothing (e.g. reading a stored response). */
  readonly otherDuration: string;
  readonly timeToFirstChunk: string;
}

/** Metric names per version (the migration guide's renames: operation → inference, embeddings apart). */
export const METRIC_NAMES: Readonly<Record<GenAiSemconv, GenAiMetricNames>> = {
  "v1.41": {
    chatDuration: "gen_ai.client.operation.duration",
    embeddingsDuration: "gen_ai.client.operation.duration",
    otherDuration: "gen_ai.client.operation.duration",
    timeToFirstChunk: "gen_ai.client.operation.time_to_first_chunk",
  },
  latest: {
    chatDuration: "gen_ai.client.inference.duration",
    embeddingsDuration: "gen_ai.client.embeddings.duration",
    otherDuration: "gen_ai.client.operation.duration",
    timeToFirstChunk: "gen_ai.client.inference.time_to_first_chunk",
  },
};

/** v1.41: one token histogram split by `gen_ai.token.type`. */
export const TOKEN_USAGE_V141 = "gen_ai.client.token.usage";

/** Latest: per-kind usage counters and per-operation histograms. */
export const TOKEN_METRICS_LATEST = {
  input: "gen_ai.client.inference.usage.input_tokens",
  output: "gen_ai.client.inference.usage.output_tokens",
  cacheRead: "gen_ai.client.inference.usage.cache_read.input_tokens",
  reasoning: "gen_ai.client.inference.usage.reasoning.output_tokens",
  inputPerOperation: "gen_ai.client.inference.operation.input_tokens",
  outputPerOperation: "gen_ai.client.inference.operation.output_tokens",
  embeddingsInputPerOperation: "gen_ai.client.embeddings.operation.input_tokens",
} as const;

/** The router's own metrics (the GenAI conventions define none for queues, budgets or circuits). */
export const ROUTER_METRICS = {
  queueWait: "openai_router.queue.wait",
  queueDepth: "openai_router.queue.depth",
  retries: "openai_router.retries",
  fallbacks: "openai_router.fallbacks",
  inflight: "openai_router.endpoint.inflight",
  rpmRemaining: "openai_router.endpoint.rpm.remaining",
  tpmRemaining: "openai_router.endpoint.tpm.remaining",
  cooldown: "openai_router.endpoint.cooldown",
  state: "openai_router.endpoint.state",
  circuit: "openai_router.endpoint.circuit",
  rateLimited: "openai_router.endpoint.rate_limited",
  attempts: "openai_router.endpoint.attempts",
} as const;

/** `gen_ai.provider.name` of an endpoint type. */
export function providerName(type: "azure" | "openai"): "azure.ai.openai" | "openai" {
  return type === "azure" ? "azure.ai.openai" : "openai";
}
