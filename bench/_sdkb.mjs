// bench/_sdk.ts
import { OpenAI } from "openai";

// bench/lib/fixtures.ts
var MODEL = "gpt-4o";
var CHAT_BODY = {
  model: MODEL,
  max_tokens: 64,
  messages: [
    { role: "system", content: "You are a concise assistant." },
    { role: "user", content: "Summarise the benefits of a single central queue in one sentence." }
  ]
};
var COMPLETION = {
  id: "chatcmpl-bench0000000000000000000000",
  object: "chat.completion",
  created: 17e8,
  model: "gpt-4o-2024-08-06",
  system_fingerprint: "fp_bench",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: "One queue in front of every endpoint lets each request take the first endpoint that can serve it.",
        refusal: null,
        annotations: []
      },
      logprobs: null,
      finish_reason: "stop"
    }
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
      rejected_prediction_tokens: 0
    }
  }
};
var COMPLETION_JSON = JSON.stringify(COMPLETION);
var inMemoryFetch = async () => new Response(COMPLETION_JSON, {
  status: 200,
  headers: { "content-type": "application/json", "x-request-id": "req_bench" }
});

// bench/_sdk.ts
var c = new OpenAI({ apiKey: "sk-x", baseURL: "http://x.invalid/v1", maxRetries: 0, fetch: inMemoryFetch });
for (let r = 0; r < 4; r++) {
  const n = 5e3;
  const t = performance.now();
  for (let i = 0; i < n; i++) await c.chat.completions.create(CHAT_BODY);
  console.log(((performance.now() - t) / n * 1e3).toFixed(1), "\xB5s/call");
}
