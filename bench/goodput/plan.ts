import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { createTokenEstimator } from "../../src/index.js";
import type { SimEndpointConfig } from "../../src/sim/index.js";
import { MODEL } from "../lib/fixtures.js";
import { exponential, seeded, uniformInt } from "../lib/rng.js";

/** bench/goodput.ts's fleet (three endpoints, their limits) and its workload (the seeded plan and its capacity). */

export interface EndpointSpec {
  readonly name: string;
  readonly type: "azure" | "openai";
  readonly limits: { readonly rpm: number; readonly tpm: number; readonly concurrency: number };
  readonly latency: { readonly ttftMs: number; readonly tokensPerSecond: number; readonly jitter: number };
  readonly weight: number;
  readonly priority: number;
}

export const ENDPOINTS: readonly EndpointSpec[] = [
  {
    name: "east",
    type: "azure",
    limits: { rpm: 300, tpm: 40_000, concurrency: 16 },
    latency: { ttftMs: 50, tokensPerSecond: 300, jitter: 0.2 },
    weight: 4,
    priority: 0,
  },
  {
    name: "oai",
    type: "openai",
    limits: { rpm: 180, tpm: 30_000, concurrency: 8 },
    latency: { ttftMs: 100, tokensPerSecond: 250, jitter: 0.2 },
    weight: 3,
    priority: 1,
  },
  {
    name: "west",
    type: "azure",
    limits: { rpm: 120, tpm: 20_000, concurrency: 8 },
    latency: { ttftMs: 150, tokensPerSecond: 200, jitter: 0.2 },
    weight: 2,
    priority: 1,
  },
];

export function simConfig(e: EndpointSpec): SimEndpointConfig {
  const common = { name: e.name, limits: { ...e.limits }, latency: { ...e.latency } };
  return e.type === "azure"
    ? { ...common, type: "azure", deployments: { [MODEL]: `gpt4o-${e.name}` } }
    : { ...common, type: "openai", models: [MODEL] };
}

// ——— workload ———

/** Words that are one o200k token each with their leading space; the estimator checks the count. */
const WORDS = [
  " river",
  " garden",
  " silver",
  " window",
  " yellow",
  " simple",
  " common",
  " stone",
  " system",
  " model",
  " data",
  " signal",
  " cloud",
  " graph",
  " light",
  " water",
];

export interface Planned {
  readonly index: number;
  /** Offset from the start of the run. @unit milliseconds */
  readonly at: number;
  readonly body: ChatCompletionCreateParamsNonStreaming;
  readonly promptTokens: number;
  /** What the limiters charge: prompt + max_tokens. */
  readonly charge: number;
}

export interface Plan {
  readonly requests: readonly Planned[];
  readonly burst: number;
  /** Mean charge of the planned requests. */
  readonly meanCharge: number;
  readonly meanPrompt: number;
  readonly meanMaxTokens: number;
  /** Summed capacity in requests/s (with the planned mix) and per endpoint. */
  readonly capacity: number;
  readonly perEndpoint: readonly {
    name: string;
    byRpm: number;
    byTpm: number;
    capacity: number;
    binding: string;
  }[];
  /** Poisson arrival rate after the burst. @unit requests per second */
  readonly rate: number;
}

function capacityFor(meanCharge: number): Pick<Plan, "capacity" | "perEndpoint"> {
  const perEndpoint = ENDPOINTS.map((e) => {
    const byRpm = e.limits.rpm / 60;
    const byTpm = e.limits.tpm / 60 / meanCharge;
    return {
      name: e.name,
      byRpm,
      byTpm,
      capacity: Math.min(byRpm, byTpm),
      binding: byTpm < byRpm ? "tpm" : "rpm",
    };
  });
  return { perEndpoint, capacity: perEndpoint.reduce((a, e) => a + e.capacity, 0) };
}

/** The workload's settings (the bench's flags of the same names). */
export interface PlanOptions {
  readonly seed: number;
  /** Offered load as a multiple of the summed capacity. */
  readonly load: number;
  /** The opening burst, in summed token buckets' worth of requests. */
  readonly burst: number;
  readonly seconds: number;
  readonly "prompt-min": number;
  readonly "prompt-max": number;
  readonly "max-tokens-min": number;
  readonly "max-tokens-max": number;
}

/** The seeded arrivals every router gets: the burst at t=0, then Poisson at `load` × C. */
export function makePlan(opts: PlanOptions): Plan {
  const rng = seeded(opts.seed);
  const estimator = createTokenEstimator();
  const framing = estimator.estimatePromptTokens({ model: MODEL, messages: [{ role: "user", content: "" }] });
  const makeBody = (): {
    body: ChatCompletionCreateParamsNonStreaming;
    promptTokens: number;
    charge: number;
  } => {
    const target = uniformInt(rng, opts["prompt-min"], opts["prompt-max"]);
    const maxTokens = uniformInt(rng, opts["max-tokens-min"], opts["max-tokens-max"]);
    const words: string[] = [];
    for (let i = 0; i < target - framing; i++) words.push(WORDS[Math.floor(rng() * WORDS.length)] ?? " data");
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: MODEL,
      max_tokens: maxTokens,
      messages: [{ role: "user", content: words.join("") }],
    };
    const promptTokens = estimator.estimatePromptTokens(body);
    return { body, promptTokens, charge: promptTokens + maxTokens };
  };
  // The offered rate uses the mix's expected charge; the shares use the planned requests' actual mean.
  const expectedCharge =
    (opts["prompt-min"] + opts["prompt-max"]) / 2 + (opts["max-tokens-min"] + opts["max-tokens-max"]) / 2;
  const expected = capacityFor(expectedCharge);
  const rate = opts.load * expected.capacity;
  const bucketTokens = ENDPOINTS.reduce((a, e) => a + e.limits.tpm, 0);
  const burst = Math.round((opts.burst * bucketTokens) / expectedCharge);
  const requests: Planned[] = [];
  for (let i = 0; i < burst; i++) requests.push({ index: requests.length, at: 0, ...makeBody() });
  for (let t = exponential(rng, rate) * 1000; t < opts.seconds * 1000; t += exponential(rng, rate) * 1000) {
    requests.push({ index: requests.length, at: t, ...makeBody() });
  }
  const mean = (f: (p: Planned) => number) => requests.reduce((a, p) => a + f(p), 0) / requests.length;
  const meanCharge = mean((p) => p.charge);
  return {
    requests,
    burst,
    meanCharge,
    meanPrompt: mean((p) => p.promptTokens),
    meanMaxTokens: mean((p) => p.charge - p.promptTokens),
    rate,
    ...capacityFor(meanCharge),
  };
}
