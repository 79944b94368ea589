import type { SchedulerLike } from "rxjs";
import { z } from "zod";
import { knownKeysAt, nearestKey } from "./config-hints.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { redisConfigSchema } from "./limits/shared/config.js";
import type { OtelMeter, OtelTracer } from "./metrics/otel/types.js";
import { strategyNames } from "./strategies/index.js";
import type { Strategy, StrategyName } from "./strategies/types.js";

/** Default Azure OpenAI API version (GA). */
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";

/** A function returning a bearer token, e.g. `getBearerTokenProvider(credential, scope)` from `@azure/identity`. */
export type TokenProvider = () => Promise<string>;

const positive = z.number().finite().positive();
const nonNegativeInt = z.number().int().nonnegative();

const limitsSchema = z.strictObject({
  rpm: positive.optional(),
  tpm: positive.optional(),
  concurrency: z.number().int().positive().optional(),
  requestWindowSeconds: positive.optional(),
});

const common = {
  name: z.string().min(1, "must be a non-empty string"),
  limits: limitsSchema.optional(),
  weight: z.number().finite().nonnegative().default(1),
  priority: z.number().int().default(0),
  headers: z.record(z.string(), z.string()).optional(),
};

const azureEndpointSchema = z
  .strictObject({
    ...common,
    type: z.literal("azure"),
    endpoint: z.url({ protocol: /^https?$/ }),
    apiKey: z.string().min(1).optional(),
    azureADTokenProvider: z
      .custom<TokenProvider>((v) => typeof v === "function", "must be a function returning a token")
      .optional(),
    apiVersion: z.string().min(1).default(DEFAULT_AZURE_API_VERSION),
    deployments: z
      .record(z.string().min(1), z.string().min(1))
      .refine((d) => Object.keys(d).length > 0, "must map at least one model to a deployment"),
  })
  .superRefine((e, ctx) => {
    if (e.apiKey === undefined && e.azureADTokenProvider === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["apiKey"],
        message:
          "missing: set apiKey or azureADTokenProvider (an environment variable that is unset reads as undefined)",
      });
    }
    if (e.apiKey !== undefined && e.azureADTokenProvider !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["azureADTokenProvider"],
        message: "set either apiKey or azureADTokenProvider, not both",
      });
    }
  });

const openaiEndpointSchema = z.strictObject({
  ...common,
  type: z.literal("openai"),
  apiKey: z.string().min(1),
  baseURL: z.url({ protocol: /^https?$/ }).optional(),
  organization: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  models: z.array(z.string().min(1)).min(1, "must list at least one model"),
});

const schedulerSchema = z.custom<SchedulerLike>(
  (v) => typeof v === "object" && v !== null && typeof (v as SchedulerLike).schedule === "function",
  "must be an RxJS SchedulerLike",
);

const routerConfigSchema = z.strictObject({
  strategy: z
    .union(
      [
        z.enum(strategyNames as [StrategyName, ...StrategyName[]]),
        z.custom<Strategy>((v) => typeof v === "function"),
      ],
      {
        error: `must be one of ${strategyNames.join(", ")} or a Strategy function`,
      },
    )
    .default("least-latency"),
  priorityWithin: z
    .enum(strategyNames as [StrategyName, ...StrategyName[]])
    .exclude(["priority"])
    .default("least-busy"),
  endpoints: z.array(z.discriminatedUnion("type", [azureEndpointSchema, openaiEndpointSchema])).min(1),
  queue: z
    .strictObject({
      maxSize: z.number().int().positive().default(10_000),
      agingMs: positive.default(10_000),
    })
    .default({ maxSize: 10_000, agingMs: 10_000 }),
  timeoutMs: positive.default(600_000),
  attemptTimeoutMs: positive.default(120_000),
  firstTokenTimeoutMs: positive.default(60_000),
  defaultOutputTokens: z.number().int().positive().default(1_000),
  maxRetryAfterMs: positive.default(60_000),
  // Floor of every retry-after a lane cools for (an endpoint saying "0" is not called again at once).
  minRetryAfterMs: z.number().finite().nonnegative().default(500),
  // Longest close() waits for accepted work before it cuts what is left (ROUTER_CLOSED).
  closeTimeoutMs: positive.default(30_000),
  // Pacing and 429 shrink; defaults and meaning in src/limits/pacing.ts (PacingOptions).
  throttle: z
    .strictObject({
      factor: z.number().gt(0).lte(1).default(0.5),
      minShare: z.number().gt(0).lte(1).default(0.1),
      recoveryMs: positive.default(120_000),
      windowMs: positive.default(10_000),
      quietMs: positive.default(30_000),
      edgeMs: z.number().finite().nonnegative().default(1_000),
      marginMs: z.number().finite().nonnegative().default(250),
    })
    .default({
      factor: 0.5,
      minShare: 0.1,
      recoveryMs: 120_000,
      windowMs: 10_000,
      quietMs: 30_000,
      edgeMs: 1_000,
      marginMs: 250,
    }),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().positive().default(5),
      baseDelayMs: z.number().finite().nonnegative().default(100),
      maxDelayMs: positive.default(8_000),
    })
    .default({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 8_000 }),
  breaker: z
    .strictObject({
      consecutiveFailures: z.number().int().positive().default(5),
      failureRatio: z.number().gt(0).lte(1).default(0.5),
      window: z.number().int().positive().default(20),
      minCalls: z.number().int().positive().default(10),
      cooldownMs: positive.default(15_000),
      disabledProbeMs: positive.default(300_000),
    })
    .default({
      consecutiveFailures: 5,
      failureRatio: 0.5,
      window: 20,
      minCalls: 10,
      cooldownMs: 15_000,
      disabledProbeMs: 300_000,
    }),
  fallbacks: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
  lanes: z
    .strictObject({ engine: z.enum(["native", "bottleneck"]).default("native") })
    .default({ engine: "native" }),
  latency: z
    .strictObject({
      halfLifeMs: positive.default(10_000),
      explorationInterval: z.number().int().positive().default(20),
      minAlpha: z.number().gt(0).lte(1).default(0.3),
      failurePenaltyMs: nonNegativeInt.default(2_000),
    })
    .default({ halfLifeMs: 10_000, minAlpha: 0.3, explorationInterval: 20, failurePenaltyMs: 2_000 }),
  metricsIntervalMs: positive.default(500),
  scheduler: schedulerSchema.optional(),
  rng: z.custom<() => number>((v) => typeof v === "function", "must be a function").optional(),
  fetch: z.custom<typeof fetch>((v) => typeof v === "function", "must be a fetch function").optional(),
  // Where follow-ups go: owners of stored responses, cache keys' endpoints (src/affinity/affinity.ts).
  affinity: z
    .strictObject({
      soft: z.boolean().default(true),
      ttlMs: positive.default(600_000),
      maxKeys: z.number().int().positive().default(100_000),
      ownerTtlMs: positive.default(86_400_000),
      maxOwners: z.number().int().positive().default(100_000),
    })
    .default({ soft: true, ttlMs: 600_000, maxKeys: 100_000, ownerTtlMs: 86_400_000, maxOwners: 100_000 }),
  // Many processes, one quota: leases from Redis (src/limits/shared/config.ts).
  redis: redisConfigSchema.optional(),
  instrument: z
    .union([
      z.literal(false),
      z.strictObject({
        tracer: z.custom<OtelTracer>(hasMethod("startSpan"), "must be an OpenTelemetry Tracer").optional(),
        meter: z.custom<OtelMeter>(hasMethod("createHistogram"), "must be an OpenTelemetry Meter").optional(),
        semconv: z.enum(["v1.41", "latest"]).optional(),
      }),
    ])
    .optional(),
});

/** OpenTelemetry objects are checked by shape: the package is an optional peer (see metrics/otel). */
function hasMethod(name: string) {
  return (v: unknown) => typeof (v as Record<string, unknown> | null)?.[name] === "function";
}

/** Router configuration as the user writes it. Every field has a documented default (see docs/config.md). */
export type RouterConfig = z.input<typeof routerConfigSchema>;
/** Router configuration after validation and defaults. */
export type ResolvedConfig = z.output<typeof routerConfigSchema>;
/** One endpoint as configured (after defaults). */
export type ResolvedEndpoint = ResolvedConfig["endpoints"][number];
/** An Azure OpenAI endpoint as the user writes it. */
export type AzureEndpointConfig = z.input<typeof azureEndpointSchema>;
/** An openai.com (or compatible) endpoint as the user writes it. */
export type OpenAIEndpointConfig = z.input<typeof openaiEndpointSchema>;

/**
 * Validates a router config and applies defaults.
 * @throws ConfigError (`CONFIG_INVALID`) listing every problem with its path; values are never echoed,
 * so a misplaced secret cannot leak into the message.
 */
export function parseConfig(input: unknown): ResolvedConfig {
  let result: ReturnType<typeof routerConfigSchema.safeParse>;
  const issues: ConfigIssue[] = [];
  try {
    result = routerConfigSchema.safeParse(input);
    if (!result.success) issues.push(...result.error.issues.flatMap((issue) => explain(issue, input)));
    // Cross-field checks run on the raw input too, so one pass reports every problem at once.
    issues.push(...crossFieldIssues(input));
  } catch (error) {
    // Reading the config threw (a getter, a Proxy): that is its problem, reported like any other.
    const what = error instanceof Error ? error.name : typeof error;
    throw new ConfigError([{ path: "", message: `could not be read (reading it threw a ${what})` }]);
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return result.data;
}

/**
 * One zod issue as the user should read it: an unknown key names the nearest valid one, a missing
 * key says what to set. Values are never echoed (a misplaced secret must not reach the message).
 */
function explain(issue: z.core.$ZodIssue, input: unknown): ConfigIssue[] {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(routerConfigSchema, issue.path, input);
    return issue.keys.map((key) => {
      const near = nearestKey(key, known);
      return {
        path: path ? `${path}.${key}` : key,
        message: `unknown key${near ? ` (did you mean "${near}"?)` : known.length ? ` (valid keys: ${known.join(", ")})` : ""}`,
      };
    });
  }
  if (
    issue.code === "invalid_type" &&
    issue.path.at(-1) === "apiKey" &&
    valueAt(input, issue.path) === undefined
  ) {
    return [
      { path, message: "missing: set apiKey (an environment variable that is unset reads as undefined)" },
    ];
  }
  return [{ path, message: issue.message }];
}

/**
 * A value is echoed in a message only when it reads as a model name: short, model-name characters,
 * no `sk-` prefix and no long unbroken run of letters and digits (keys and tokens have one).
 */
function looksLikeModelName(value: string): boolean {
  return (
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,47}$/.test(value) && !/^sk-/i.test(value) && !/[A-Za-z0-9]{20}/.test(value)
  );
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path)
    value =
      typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

function crossFieldIssues(input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (typeof input !== "object" || input === null) return issues;
  const { endpoints, fallbacks } = input as { endpoints?: unknown; fallbacks?: unknown };
  if (!Array.isArray(endpoints)) return issues;
  const seen = new Map<string, number>();
  const served = new Set<string>();
  endpoints.forEach((e: unknown, i) => {
    if (typeof e !== "object" || e === null) return;
    const { name, deployments, models } = e as { name?: unknown; deployments?: unknown; models?: unknown };
    if (typeof name === "string") {
      const first = seen.get(name);
      if (first !== undefined) {
        issues.push({
          path: `endpoints.${i}.name`,
          message: `duplicate endpoint name (also endpoints.${first}.name)`,
        });
      } else seen.set(name, i);
    }
    if (typeof deployments === "object" && deployments !== null)
      for (const m of Object.keys(deployments)) served.add(m);
    if (Array.isArray(models)) for (const m of models) if (typeof m === "string") served.add(m);
  });
  if (typeof fallbacks === "object" && fallbacks !== null) {
    for (const [model, chain] of Object.entries(fallbacks)) {
      if (!Array.isArray(chain)) continue;
      chain.forEach((fb: unknown, i) => {
        if (typeof fb === "string" && !served.has(fb)) {
          issues.push({
            path: `fallbacks.${model}.${i}`,
            message: `fallback model ${looksLikeModelName(fb) ? `"${fb}"` : "(name hidden: it looks like a key)"} is served by no endpoint (add it to an endpoint's models or deployments, or remove it; served: ${[...served].filter(looksLikeModelName).join(", ") || "none"})`,
          });
        }
      });
    }
  }
  return issues;
}

/** The models an endpoint serves. */
export function modelsOf(endpoint: ResolvedEndpoint): string[] {
  return endpoint.type === "azure" ? Object.keys(endpoint.deployments) : [...endpoint.models];
}
