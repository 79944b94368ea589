import { z } from "zod";
import type { Clock } from "./clock.js";
import { SimError } from "./sim-error.js";

/**
 * Injected misbehaviour of one endpoint. Every field is optional; `{}` means healthy.
 * Draws (`errorRate`, `resetBeforeHeaders`) come from a PRNG reseeded from (seed, endpoint name) on
 * every `setFaults`, so the same faults over the same requests fail the same requests.
 *
 * @example
 * ```ts
 * fleet.setFaults("east", { errorRate: 0.1, errorStatus: 503, slowFactor: 2 });
 * ```
 */
export interface Faults {
  /** Share of requests (0..1) answered with `errorStatus`. 1 fails every request. */
  readonly errorRate?: number | undefined;
  /**
   * Status used by `errorRate` (400–599). 429 is a full rate-limit answer: `rate_limit_exceeded`
   * (Azure: code "429" and its wording) with `retry-after` / `retry-after-ms` of `errorRetryAfterMs`.
   * @default 500
   */
  readonly errorStatus?: number | undefined;
  /**
   * The wait an injected 429 (`errorStatus: 429`) advertises; ignored for other statuses.
   * @default 1000
   * @unit milliseconds
   */
  readonly errorRetryAfterMs?: number | undefined;
  /**
   * Every request in the next N ms (from the `setFaults` call) gets 429 with `retry-after-ms`
   * equal to the remaining storm time.
   * @unit milliseconds
   */
  readonly rateLimitStormMs?: number | undefined;
  /** Every request gets 429 `insufficient_quota` (billing), without retry-after. */
  readonly insufficientQuota?: boolean | undefined;
  /** Share of requests (0..1) whose socket is reset before any header is written. */
  readonly resetBeforeHeaders?: number | undefined;
  /** Streamed responses are cut (socket destroyed) after this many content chunks. */
  readonly resetMidStreamAfterChunks?: number | undefined;
  /**
   * Streamed Responses API requests fail after this many deltas: the stream ends with
   * `response.failed` (status `failed`, `error.code` `server_error`), as the service reports a
   * failure after the stream has started. Chat streams and JSON answers are not affected.
   */
  readonly responseFailedAfterChunks?: number | undefined;
  /** Requests are admitted and then never answered, until the client gives up or the fleet closes. */
  readonly hang?: boolean | undefined;
  /**
   * The endpoint stops listening, so connections are refused (ECONNREFUSED), and open ones are
   * reset. Clearing it listens again on the same port; `await` that `setFaults` before relying on it.
   */
  readonly down?: boolean | undefined;
  /**
   * Multiplies time-to-first-token and per-token time.
   * @default 1
   */
  readonly slowFactor?: number | undefined;
  /**
   * Extra delay before the response headers.
   * @unit milliseconds
   */
  readonly slowStartMs?: number | undefined;
}

/**
 * How fast an endpoint answers. The default is instantaneous, so tests and benchmarks need no timers.
 *
 * @example
 * ```ts
 * const latency: LatencyConfig = { ttftMs: 300, tokensPerSecond: 60, jitter: 0.2 };
 * ```
 */
export interface LatencyConfig {
  /**
   * Time to the first content token.
   * @default 0
   * @unit milliseconds
   */
  readonly ttftMs?: number | undefined;
  /**
   * Output speed after the first token; absent means the whole reply is ready at once.
   * @unit tokens per second
   */
  readonly tokensPerSecond?: number | undefined;
  /**
   * ± fraction applied to ttft and per-token time, one seeded draw per request (0.2 → ×0.8…×1.2).
   * @default 0
   */
  readonly jitter?: number | undefined;
}

/**
 * Limits enforced like the services do (see docs/sim.md); each absent one is unlimited.
 *
 * @example
 * ```ts
 * const limits: SimLimits = { rpm: 600, tpm: 100_000, concurrency: 64, requestWindowSeconds: 1 };
 * ```
 */
export interface SimLimits {
  /**
   * Requests per minute, enforced over windows of `requestWindowSeconds`: a bucket of
   * `max(1, rpm × requestWindowSeconds / 60)` refilled continuously at `rpm / 60` per second.
   */
  readonly rpm?: number | undefined;
  /** Tokens per minute (bucket of `tpm`; a request is charged prompt + output cap at admission). */
  readonly tpm?: number | undefined;
  /** Requests in flight at once; the next one gets 429 with retry-after 1 s. */
  readonly concurrency?: number | undefined;
  /**
   * Length of the window over which `rpm` is enforced (Azure: "typically 1 or 10 seconds"). With 1,
   * a 600 RPM endpoint takes 10 requests back to back; with 10, it takes 100.
   * @default 10
   * @unit seconds
   */
  readonly requestWindowSeconds?: number | undefined;
}

interface CommonEndpointConfig {
  /** Unique name, used by `fleet.endpoint(name)`, `stats`, `setFaults`. */
  readonly name: string;
  readonly limits?: SimLimits | undefined;
  readonly latency?: LatencyConfig | undefined;
  /** Key the endpoint accepts; a seeded `sk-sim-…` key when absent. */
  readonly apiKey?: string | undefined;
  /**
   * Port to listen on.
   * @default 0 (any free port)
   */
  readonly port?: number | undefined;
  /** Faults active from the start. */
  readonly faults?: Faults | undefined;
}

/**
 * An Azure OpenAI resource: `/openai/deployments/{deployment}/…?api-version=…` and `/openai/v1/…`.
 *
 * @example
 * ```ts
 * const east: AzureEndpointConfig = { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } };
 * ```
 */
export interface AzureEndpointConfig extends CommonEndpointConfig {
  readonly type: "azure";
  /** Model name → deployment name, e.g. `{ "gpt-4o": "gpt4o-east" }`. */
  readonly deployments: Readonly<Record<string, string>>;
  /**
   * Bearer tokens starting with this prefix are accepted as Entra ID tokens; `null` accepts only
   * the key.
   * @default "sim-entra-"
   */
  readonly acceptBearerPrefix?: string | null | undefined;
}

/**
 * An openai.com-style endpoint: `/v1/chat/completions`, `/v1/embeddings`, `/v1/models`.
 *
 * @example
 * ```ts
 * const oai: OpenAIEndpointConfig = { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"] };
 * ```
 */
export interface OpenAIEndpointConfig extends CommonEndpointConfig {
  readonly type: "openai";
  /** Model names served, e.g. `["gpt-4o", "text-embedding-3-small"]`. */
  readonly models: readonly string[];
}

/**
 * One endpoint of `startFleet`, discriminated by `type`.
 *
 * @example
 * ```ts
 * const endpoints: SimEndpointConfig[] = [
 *   { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
 *   { name: "oai", type: "openai", models: ["gpt-4o"] },
 * ];
 * ```
 */
export type SimEndpointConfig = AzureEndpointConfig | OpenAIEndpointConfig;

/**
 * Options of `startFleet`.
 *
 * @example
 * ```ts
 * const options: StartFleetOptions = {
 *   seed: 7,
 *   endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], limits: { rpm: 60, concurrency: 4 } }],
 * };
 * ```
 */
export interface StartFleetOptions {
  /**
   * Seed of every random choice (keys, ids, replies, vectors, fault draws, jitter).
   * @default 0
   */
  readonly seed?: number | undefined;
  /**
   * Loopback address to listen on (`127.x.x.x`, `::1` or `localhost`).
   * @default "127.0.0.1"
   */
  readonly host?: string | undefined;
  readonly endpoints: readonly SimEndpointConfig[];
  /**
   * Clock for the rate-limit buckets, storms and `created` timestamps (tests pass a fake one).
   * Latency still uses real timers.
   * @default Date.now
   * @unit milliseconds
   */
  readonly now?: Clock | undefined;
}

export const DEFAULT_BEARER_PREFIX = "sim-entra-";

const nonNegative = z.number().finite().nonnegative();
const share = z.number().min(0).max(1);
// Names appear in URL paths and the CLI's output, so keep them to URL-safe characters.
const urlSafeName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must start with a letter or digit and use only [A-Za-z0-9._-]");

export const faultsSchema = z.strictObject({
  errorRate: share.optional(),
  errorStatus: z.int().min(400).max(599).optional(),
  errorRetryAfterMs: z.number().finite().positive().optional(),
  rateLimitStormMs: nonNegative.optional(),
  insufficientQuota: z.boolean().optional(),
  resetBeforeHeaders: share.optional(),
  resetMidStreamAfterChunks: z.int().nonnegative().optional(),
  responseFailedAfterChunks: z.int().nonnegative().optional(),
  hang: z.boolean().optional(),
  down: z.boolean().optional(),
  slowFactor: z.number().finite().positive().optional(),
  slowStartMs: nonNegative.optional(),
});

const limitsSchema = z.strictObject({
  rpm: z.number().finite().positive().optional(),
  tpm: z.number().finite().positive().optional(),
  concurrency: z.int().positive().optional(),
  requestWindowSeconds: z.number().finite().positive().optional(),
});

const latencySchema = z.strictObject({
  ttftMs: nonNegative.optional(),
  tokensPerSecond: z.number().finite().positive().optional(),
  jitter: share.optional(),
});

const common = {
  name: urlSafeName.max(64),
  limits: limitsSchema.optional(),
  latency: latencySchema.optional(),
  apiKey: z.string().min(1).optional(),
  port: z.int().min(0).max(65535).optional(),
  faults: faultsSchema.optional(),
};

const azureSchema = z.strictObject({
  ...common,
  type: z.literal("azure"),
  deployments: z
    .record(z.string().min(1), urlSafeName)
    .refine((d) => Object.keys(d).length > 0, "needs at least one model → deployment entry")
    .refine(
      (d) => new Set(Object.values(d)).size === Object.values(d).length,
      "each deployment name may serve only one model",
    ),
  acceptBearerPrefix: z.string().min(1).nullable().optional(),
});

const openaiSchema = z.strictObject({
  ...common,
  type: z.literal("openai"),
  models: z.array(z.string().min(1)).min(1),
});

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const fleetSchema = z
  .strictObject({
    seed: z.int().optional(),
    host: z
      .string()
      .refine(isLoopback, "the sim only listens on loopback (127.x.x.x, ::1 or localhost)")
      .optional(),
    endpoints: z.array(z.discriminatedUnion("type", [azureSchema, openaiSchema])).min(1),
    now: z
      .custom<Clock>((v) => typeof v === "function", "expected a function returning milliseconds")
      .optional(),
  })
  .superRefine((opts, ctx) => {
    const names = new Map<string, number>();
    const ports = new Map<number, number>();
    opts.endpoints.forEach((e, i) => {
      const seen = names.get(e.name);
      if (seen !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "name"],
          message: `duplicate of endpoints[${seen}]`,
        });
      } else names.set(e.name, i);
      if (e.port !== undefined && e.port !== 0) {
        const taken = ports.get(e.port);
        if (taken !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["endpoints", i, "port"],
            message: `same as endpoints[${taken}]`,
          });
        } else ports.set(e.port, i);
      }
    });
  });

/** Parsed options with every default filled in. */
export interface ResolvedFleetOptions {
  readonly seed: number;
  readonly host: string;
  readonly endpoints: readonly SimEndpointConfig[];
  readonly now: Clock | undefined;
}

/**
 * Validates `startFleet` options.
 * @throws SimError `SIM_CONFIG_INVALID` listing every problem with its path.
 */
export function parseFleetOptions(input: unknown): ResolvedFleetOptions {
  const result = fleetSchema.safeParse(input);
  if (!result.success) throw configError("Invalid sim fleet options", result.error.issues);
  const { seed = 0, host = "127.0.0.1", endpoints, now } = result.data;
  return { seed, host: host === "localhost" ? "127.0.0.1" : host, endpoints, now };
}

/**
 * Validates faults given to `setFaults`.
 * @throws SimError `SIM_CONFIG_INVALID` listing every problem with its path.
 */
export function parseFaults(input: unknown): Faults {
  const result = faultsSchema.safeParse(input);
  if (!result.success) throw configError("Invalid faults", result.error.issues);
  return result.data;
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

function configError(title: string, issues: readonly Issue[]): SimError {
  const lines = issues.map((i) => `  - ${formatPath(i.path)}: ${i.message}`);
  return new SimError("SIM_CONFIG_INVALID", `${title}:\n${lines.join("\n")}`, {
    issues: issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}
