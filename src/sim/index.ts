/**
 * `openai-router/sim`: a local fleet of simulated openai.com and Azure OpenAI endpoints that the
 * official `openai` SDK cannot tell from the real services. See docs/sim.md.
 *
 * Each symbol's TSDoc (with an example) sits on its declaration, so editors show it through these
 * re-exports. The statements are kept one per module, in sorted order, so the formatter's import
 * organiser leaves them (and these comments) where they are.
 *
 * @packageDocumentation
 */

/** `startFleet` and the running fleet's types: `Fleet`, `SimEndpoint` (openai | azure). */
export {
  type Fleet,
  type SimAzureEndpoint,
  type SimEndpoint,
  type SimOpenAIEndpoint,
  startFleet,
} from "./fleet.js";
/** Go-duration formatting, as in `x-ratelimit-reset-*` headers. */
export { formatGoDuration } from "./go-duration.js";
/** The output-token charge used when a chat request sets no max (shared with the router). */
export { DEFAULT_OUTPUT_CHARGE } from "./limits.js";
/** Options of `startFleet`, its endpoints, their limits, latency and faults. */
export type {
  AzureEndpointConfig,
  Faults,
  LatencyConfig,
  OpenAIEndpointConfig,
  SimEndpointConfig,
  SimLimits,
  StartFleetOptions,
} from "./options.js";
/** The prompt cache's documented rules: 1,024-token minimum, 128-token steps, 5-minute TTL. */
export { CACHE_STEP_TOKENS, DEFAULT_PROMPT_CACHE_TTL_MS, MIN_CACHED_TOKENS } from "./prompt-cache.js";
/** Router endpoint configs for a running fleet. */
export { type RouterEndpointExtras, toRouterEndpoints } from "./router-endpoints.js";
/** The fleet's own errors, with stable codes. */
export { SimError, type SimErrorCode, type SimIssue } from "./sim-error.js";
/** Per-endpoint counters. */
export type { EndpointStats } from "./stats.js";
