import { AzureOpenAI, OpenAI } from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { Registry } from "prom-client";
import { createHttpPool, type HttpPool } from "../../src/dispatch/http-pool.js";
import {
  collectPrometheus,
  createRouter,
  DEFAULT_AZURE_API_VERSION,
  type Router,
  type RouterConfig,
} from "../../src/index.js";
import type { SimEndpoint } from "../../src/sim/index.js";
import { CHAT_BODY, inMemoryFetch, MODEL } from "../lib/fixtures.js";
import { otelProviders, otelRouter, type SpanProcessorKind, sdkEmitter } from "../lib/otel.js";

/** The arms of bench/overhead.ts: what each one calls, built for one sim endpoint. */

export const DEPLOYMENT = "gpt4o-bench";

/**
 * `sdk+memory` is the SDK on an in-memory fetch (no socket): the SDK's own client-side cost, which a
 * second SDK in front of `router.fetch` pays again whatever the router does.
 * `router.fetch` is the SDK pointed at the router's fetch (what framework users run): its budget is
 * against `router` (the router's own SDK-shaped API) in the same run.
 */
export const ARMS = [
  "sdk",
  "sdk+pool",
  "router",
  "router.fetch",
  "sdk+memory",
  "router+otel",
  "router+prom",
  "sdk+otel",
] as const;
/**
 * The arms interleaved call by call in the sequential pass. The instrumented arms are not among them:
 * the OpenTelemetry SDK's garbage is collected during whichever calls come next, which in an
 * interleave are another arm's. They get a pass of their own, in blocks (see measureInstrumented).
 */
export const INTERLEAVED = ["sdk", "sdk+pool", "router", "router.fetch", "sdk+memory"] as const;
/** The instrumented pass: blocks of calls per arm, with its own baseline measured the same way. */
export const INSTRUMENTED = ["sdk+pool", "router", "router+prom", "router+otel", "sdk+otel"] as const;
export type InstrumentedArm = (typeof INSTRUMENTED)[number];
export type InstrumentedRound = Readonly<Record<InstrumentedArm, Measurement>>;
export type Arm = (typeof ARMS)[number];
/** One call of each arm this run built. */
export type Calls = Partial<Record<Arm, () => Promise<unknown>>>;
/** One round of a pass: a measurement per arm ({@link NOT_MEASURED} for those it leaves out). */
export type Round = Readonly<Record<Arm, Measurement>>;

/** One arm's figures in one round of a pass. */
export interface Measurement {
  readonly calls: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly perSecond: number;
  /** This process's CPU per call (client side: SDK, or router + SDK). */
  readonly clientCpuUs: number;
}

/** An arm a pass does not measure (the instrumented arms in the interleave, or under --quick). */
export const NOT_MEASURED: Measurement = {
  calls: 0,
  p50Us: Number.NaN,
  p99Us: Number.NaN,
  perSecond: Number.NaN,
  clientCpuUs: Number.NaN,
};

/** One arm's call; an arm this run did not build is a bug in the bench, not a figure. */
export function callOf(call: Calls, arm: Arm): () => Promise<unknown> {
  const f = call[arm];
  if (!f)
    throw new Error(
      `overhead: arm ${arm} is not built in this run (--quick builds ${INTERLEAVED.join(", ")})`,
    );
  return f;
}

/** What {@link armsFor} builds: the plain arms only (`quick`), and the span processor of `router+otel`. */
export interface ArmOptions {
  readonly quick: boolean;
  readonly otelProcessor: SpanProcessorKind;
}

/** The SDK clients and the router for one endpoint, each with its call. */
export function armsFor(
  e: SimEndpoint,
  { quick, otelProcessor }: ArmOptions,
): {
  call: Calls;
  router: Router;
  pool: HttpPool;
  close(): Promise<void>;
} {
  const pool = createHttpPool();
  const sdk = (fetchImpl: typeof fetch | undefined): OpenAI => {
    const common = { apiKey: e.apiKey, maxRetries: 0, ...(fetchImpl ? { fetch: fetchImpl } : {}) };
    return e.type === "azure"
      ? new AzureOpenAI({ ...common, endpoint: e.endpoint, apiVersion: DEFAULT_AZURE_API_VERSION })
      : new OpenAI({ ...common, baseURL: e.baseURL });
  };
  const client = sdk(undefined);
  const pooled = sdk(pool.fetch);
  // Azure: the SDK puts `model` in the path as the deployment name, as the router does.
  const body: ChatCompletionCreateParamsNonStreaming =
    e.type === "azure" ? { ...CHAT_BODY, model: e.deployments[MODEL] ?? DEPLOYMENT } : CHAT_BODY;
  const endpoints: RouterConfig["endpoints"] = [
    e.type === "azure"
      ? {
          name: e.name,
          type: "azure",
          endpoint: e.endpoint,
          apiKey: e.apiKey,
          deployments: { ...e.deployments },
        }
      : { name: e.name, type: "openai", baseURL: e.baseURL, apiKey: e.apiKey, models: [...e.models] },
  ];
  const router = createRouter({ endpoints });
  const inMemory = new OpenAI({ apiKey: "unused", fetch: inMemoryFetch, maxRetries: 0 });
  const viaFetch = new OpenAI({
    apiKey: "unused",
    baseURL: "http://router.invalid/v1",
    fetch: router.fetch,
    maxRetries: 0,
  });
  const plain = {
    sdk: () => client.chat.completions.create(body),
    "sdk+pool": () => pooled.chat.completions.create(body),
    router: () => router.chat.completions.create(CHAT_BODY),
    "router.fetch": () => viaFetch.chat.completions.create(CHAT_BODY),
    "sdk+memory": () => inMemory.chat.completions.create(CHAT_BODY),
  };
  if (quick) return { router, pool, close: () => router.close(), call: plain };
  // Instrumented: the real OpenTelemetry SDK (see otelProviders), and a prom-client registry (never
  // scraped: scrapes cost nothing per request).
  const otel = otelRouter(endpoints, undefined, otelProcessor);
  // `sdk+otel`: sdk+pool plus the OpenTelemetry SDK's own work for what router+otel emits per call
  // (the same spans and records, attribute objects built once, written on the next turn as the router
  // does): router+otel over it is the router's cost with its instrumentation, less the SDK's share.
  const url = new URL(e.type === "azure" ? e.endpoint : e.baseURL);
  const emitter = sdkEmitter(
    {
      name: e.name,
      provider: e.type === "azure" ? "azure.ai.openai" : "openai",
      address: url.hostname,
      port: Number(url.port || (url.protocol === "http:" ? 80 : 443)),
      responseModel: MODEL,
    },
    otelProviders(otelProcessor),
  );
  const promRouter = createRouter({ endpoints });
  collectPrometheus(promRouter, { registry: new Registry() });
  return {
    router,
    pool,
    close: async () => {
      await router.close();
      await otel.close();
      await promRouter.close();
      await emitter.shutdown();
    },
    call: {
      ...plain,
      "router+otel": () => otel.router.chat.completions.create(CHAT_BODY),
      "router+prom": () => promRouter.chat.completions.create(CHAT_BODY),
      "sdk+otel": async () => {
        const arrivedAt = Date.now();
        const result = await pooled.chat.completions.create(body);
        setImmediate(() => emitter.emit(arrivedAt, Date.now()));
        return result;
      },
    },
  };
}
