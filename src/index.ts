/**
 * openai-router: an in-process, reactive load balancer for OpenAI and Azure OpenAI endpoints.
 * @packageDocumentation
 */

export type { Owner } from "./affinity/affinity.js";
export {
  type AzureEndpointConfig,
  DEFAULT_AZURE_API_VERSION,
  type OpenAIEndpointConfig,
  type RouterConfig,
  type TokenProvider,
} from "./config.js";
export { ChatStream } from "./dispatch/chat-stream.js";
export type { GateEngine } from "./dispatch/lane-gate.js";
export { ResponseEventStream } from "./dispatch/response-stream.js";
export { RoutedStream } from "./dispatch/routed-stream.js";
export {
  type CallCommon,
  type ChunkStream,
  type EventStream,
  type StoredResponseOp,
  sdkTransport,
  type Transport,
  type UpstreamCall,
  type UpstreamResult,
} from "./dispatch/transport.js";
export {
  AbortedError,
  AffinityUnavailableError,
  AllEndpointsFailedError,
  type AttemptRecord,
  ConfigError,
  type ConfigIssue,
  DeadlineExceededError,
  NoEndpointForModelError,
  QueueFullError,
  RequestInvalidError,
  RequestTooLargeError,
  ResponseInvalidError,
  RouterClosedError,
  RouterError,
  type RouterErrorBase,
  type RouterErrorCode,
  type RouterErrorConstructor,
  StreamInterruptedError,
  UpstreamError,
} from "./errors.js";
export type { RouterEvent, RouterEventType } from "./events.js";
export type { OpenAIErrorBody } from "./fetch/error-response.js";
export type { RouterFetch } from "./fetch/router-fetch.js";
export type { AccessLogEntry, LogSink } from "./gateway/access-log.js";
export type { GatewayClientConfig, GatewayConfig } from "./gateway/config.js";
export { type ConfigFile, type Environment, loadConfigFile, parseConfigText } from "./gateway/config-file.js";
export { GatewayError, type GatewayErrorCode } from "./gateway/errors.js";
export { createGateway, type Gateway, type GatewayOptions, type GatewayTarget } from "./gateway/gateway.js";
export type { ClientFigures } from "./gateway/prometheus-text.js";
export type { Readiness } from "./gateway/readiness.js";
export type {
  BudgetReport,
  BudgetSignal,
  BudgetState,
  BudgetStore,
  LaneBudgetLimits,
  LearnedLimits,
  RateLimitReport,
  Reservation,
  ThrottleOptions,
} from "./limits/budget-store.js";
export { parseGoDuration } from "./limits/go-duration.js";
export { InMemoryBudgetStore } from "./limits/in-memory-budget-store.js";
export { parseRateLimitHeaders, parseRetryAfterMs, toBudgetReport } from "./limits/rate-limit-headers.js";
export type { RedisConfig } from "./limits/shared/config.js";
export {
  InMemoryOwnershipStore,
  type OwnershipKind,
  type OwnershipStore,
  RedisOwnershipStore,
  type RedisOwnershipStoreOptions,
} from "./limits/shared/ownership.js";
export {
  RedisBudgetStore,
  type RedisBudgetStoreOptions,
  type WhenUnavailable,
} from "./limits/shared/redis-budget-store.js";
export {
  createRedisPort,
  type RedisClientLike,
  type RedisPort,
  type RedisPortOptions,
  SharedStoreError,
} from "./limits/shared/redis-port.js";
export {
  createTokenEstimator,
  type TokenEstimator,
  type TokenEstimatorOptions,
} from "./limits/token-estimate.js";
export type { GenAiSemconv } from "./metrics/otel/semconv.js";
export type {
  InstrumentOptions,
  OtelAttributes,
  OtelAttributeValue,
  OtelBatchResult,
  OtelCounter,
  OtelHistogram,
  OtelInstrumentOptions,
  OtelMeter,
  OtelObservable,
  OtelSpan,
  OtelSpanOptions,
  OtelTracer,
} from "./metrics/otel/types.js";
export {
  collectPrometheus,
  type PrometheusCollection,
  type PrometheusMetricLike,
  type PrometheusOptions,
  type PrometheusRegistryLike,
  type PrometheusSample,
} from "./metrics/prometheus.js";
export {
  createDashboardHandler,
  type DashboardHandlerOptions,
  type NodeRequestHandler,
} from "./metrics/web/handler.js";
export {
  type DashboardServer,
  type DashboardServerOptions,
  startDashboardServer,
} from "./metrics/web/server.js";
export type { ResponseDeleted, RouterResponses } from "./operations/responses-api.js";
export type { FailureKind } from "./resilience/classify.js";
export { createRouter, Router, type RouterDependencies } from "./router.js";
export { RouterPromise } from "./router-promise.js";
export {
  createLeastBusy,
  createLeastLatency,
  createPriority,
  createRoundRobin,
  createStrategy,
  createUsageBased,
  createWeighted,
  type StrategyOptions,
  strategyNames,
} from "./strategies/index.js";
export type {
  BudgetView,
  LaneSnapshot,
  LaneState,
  RequestKind,
  SelectionRequest,
  Strategy,
  StrategyContext,
  StrategyName,
} from "./strategies/types.js";
export type {
  BudgetMetrics,
  Completion,
  CompletionKind,
  CompletionResponse,
  EndpointMetrics,
  RouterCallOptions,
  RouterMetrics,
  RouterRequest,
  Usage,
} from "./types.js";
