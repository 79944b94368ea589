import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from "openai/resources/chat/completions";

/** The model every benchmark asks for. */
export const MODEL = "gpt-4o";

/** A small chat request, the same object every call (as an app reusing its prompt would). */
export const CHAT_BODY: ChatCompletionCreateParamsNonStreaming = {
  model: MODEL,
  max_tokens: 64,
  messages: [
    { role: "system", content: "You are a concise assistant." },
    { role: "user", content: "Summarise the benefits of a single central queue in one sentence." },
  ],
};

/** A realistic non-streamed chat completion (what the stub transport and the in-memory fetch return). */
export const COMPLETION: ChatCompletion = {
  id: "chatcmpl-bench0000000000000000000000",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4o-2024-08-06",
  system_fingerprint: "fp_bench",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content:
          "One queue in front of every endpoint lets each request take the first endpoint that can serve it.",
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: {
    prompt_tokens: 27,
    completion_tokens: 20,
    total_tokens: 47,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
};

const COMPLETION_JSON = JSON.stringify(COMPLETION);

/**
 * An in-memory `fetch`: every call answers 200 with {@link COMPLETION}, no socket involved. The SDK
 * still builds the request, reads the body and parses the JSON, so this measures the SDK's own cost
 * (and, behind the router, the router's on top of it).
 */
export const inMemoryFetch: typeof fetch = async () =>
  new Response(COMPLETION_JSON, {
    status: 200,
    headers: { "content-type": "application/json", "x-request-id": "req_bench" },
  });

/** Resolves on the next turn of the event loop (lets timers and I/O run between phases). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Leaves the process idle for `ms` (a timer), as an application is between its calls. */
export function idle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `gc()` twice when node runs with --expose-gc (no-op otherwise). */
export function collectGarbage(): void {
  const gc = globalThis.gc;
  if (typeof gc === "function") {
    gc();
    gc();
  }
}

/**
 * Keeps `concurrency` calls of `call` in flight until `total` have been started (or `untilMs` has
 * passed), and records each call's latency in microseconds into `latencies` when given.
 * Resolves with how many calls completed.
 */
export async function drive(
  total: number,
  concurrency: number,
  call: (i: number) => Promise<unknown>,
  options: { latencies?: Float64Array; deadline?: number } = {},
): Promise<number> {
  const { latencies, deadline } = options;
  let started = 0;
  let completed = 0;
  const worker = async (): Promise<void> => {
    while (started < total && (deadline === undefined || performance.now() < deadline)) {
      const i = started++;
      if (latencies) {
        const t0 = process.hrtime.bigint();
        await call(i);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1_000;
      } else {
        await call(i);
      }
      completed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return completed;
}
