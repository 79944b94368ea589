/**
 * `openai-router/sim`: a local fleet of simulated openai.com and Azure OpenAI endpoints that the
 * official `openai` SDK cannot tell from the real services. See docs/sim.md.
 *
 * @packageDocumentation
 */

/**
 * A running fleet: `endpoints`, `endpoint(name)`, `stats(name)`, `resetStats(name?)`,
 * `setFaults(name, faults)`, `close()`.
 *
 * @example
 * ```ts
 * fleet.setFaults("east", { rateLimitStormMs: 2_000 }); // every request 429s for 2 s
 * fleet.stats("east").byStatus[429];                     // how many were refused
 * fleet.setFaults("east", {});                            // healthy again
 * ```
 */
/**
 * A running endpoint's address and credentials, discriminated by `type`.
 *
 * @example
 * ```ts
 * const e = fleet.endpoint("east");
 * const client = e.type === "azure"
 *   ? new AzureOpenAI({ endpoint: e.endpoint, apiKey: e.apiKey, apiVersion: "2024-10-21" })
 *   : new OpenAI({ baseURL: e.baseURL, apiKey: e.apiKey });
 * ```
 */
export type { Fleet, SimAzureEndpoint, SimEndpoint, SimOpenAIEndpoint } from "./fleet.js";
/**
 * Starts a simulated fleet: one HTTP server per endpoint on loopback, each with its own key,
 * limits, latency and faults. Everything random follows `seed`.
 *
 * @example
 * ```ts
 * import OpenAI, { AzureOpenAI } from "openai";
 * import { startFleet } from "openai-router/sim";
 *
 * const fleet = await startFleet({
 *   seed: 1,
 *   endpoints: [
 *     { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" }, limits: { rpm: 600, tpm: 100_000 } },
 *     { name: "oai", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 300, tokensPerSecond: 60 } },
 *   ],
 * });
 * const oai = fleet.endpoint("oai");
 * if (oai.type === "openai") {
 *   const client = new OpenAI({ apiKey: oai.apiKey, baseURL: oai.baseURL, maxRetries: 0 });
 *   const res = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
 * }
 * await fleet.close();
 * ```
 * @throws SimError `SIM_CONFIG_INVALID` listing every problem with its path; `SIM_LISTEN_FAILED`.
 */
export { startFleet } from "./fleet.js";
/**
 * Formats milliseconds as a Go duration (`1s`, `6m0s`, `20ms`, `1m30.5s`), the format of the
 * `x-ratelimit-reset-*` headers.
 *
 * @example
 * ```ts
 * formatGoDuration(90_500); // "1m30.5s"
 * ```
 */
export { formatGoDuration } from "./go-duration.js";
/**
 * Output tokens charged against TPM when a chat request sets neither `max_completion_tokens` nor
 * `max_tokens` (the sim's limit model; the router uses the same number).
 *
 * @example
 * ```ts
 * const charge = promptTokens + (body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_OUTPUT_CHARGE);
 * ```
 */
export { DEFAULT_OUTPUT_CHARGE } from "./limits.js";
/**
 * Options of `startFleet` and of each endpoint (limits, latency, faults).
 *
 * @example
 * ```ts
 * const options: StartFleetOptions = {
 *   seed: 7,
 *   endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], limits: { rpm: 60, concurrency: 4 } }],
 * };
 * ```
 */
export type {
  AzureEndpointConfig,
  Faults,
  LatencyConfig,
  OpenAIEndpointConfig,
  SimEndpointConfig,
  SimLimits,
  StartFleetOptions,
} from "./options.js";
/**
 * Error thrown by the fleet's API, with a stable `code` (`SIM_CONFIG_INVALID`,
 * `SIM_UNKNOWN_ENDPOINT`, `SIM_CLOSED`, `SIM_LISTEN_FAILED`) and, for invalid options, `issues`.
 *
 * @example
 * ```ts
 * try { fleet.endpoint("nope"); } catch (e) { if (e instanceof SimError) console.log(e.code); }
 * ```
 */
export { SimError, type SimErrorCode, type SimIssue } from "./sim-error.js";
/**
 * Counters of one endpoint: requests, responses by status, tokens, peak and current concurrency.
 *
 * @example
 * ```ts
 * const { requests, byStatus, peakConcurrency } = fleet.stats("east");
 * ```
 */
export type { EndpointStats } from "./stats.js";
