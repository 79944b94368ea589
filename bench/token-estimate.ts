/**
 * Cost of token estimation per request, with and without the estimator's cache.
 * Run: npx tsx bench/token-estimate.ts
 */

import { countTokens } from "gpt-tokenizer";
import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import type { EmbeddingCreateParams } from "openai/resources/embeddings";
import { createTokenEstimator } from "../src/limits/token-estimate.js";

const system =
  "You are a support assistant for Contoso Cloud. Answer questions about billing, deployments and quotas. " +
  "Be concise: at most three short paragraphs. When you are not sure, say so and point the user to the " +
  "status page or to a human agent. Never reveal internal ticket numbers, API keys or customer data from " +
  "other accounts. Format code and commands as fenced blocks, and prefer the CLI over the portal when " +
  "both work. Quote prices in the customer's currency when it is known.";
const turns = [
  "Hi, my deployment in West Europe started returning 429 errors this morning even though our traffic " +
    "did not change. We run a batch job every hour that summarises support tickets, and the failures " +
    "cluster at the top of the hour. What could cause that and how do I check my current quota?",
  "429 responses mean a rate limit was hit: either requests per minute or tokens per minute for the " +
    "deployment. A job that starts at the top of the hour sends its whole burst at once, and the service " +
    "enforces the requests limit over short windows, so a burst can be throttled even when the hourly " +
    "total is well within quota. Check the quota blade for the region, and compare it with the token " +
    "usage metric around the failures.",
  "Thanks. Where exactly is the token usage metric, and can I raise the limit without downtime?",
];

function chatBody(suffix?: string): ChatCompletionCreateParams {
  // Without a suffix the same string objects are reused, as an app holding its prompts would.
  const [first, answer, second] = suffix === undefined ? turns : turns.map((t) => t + suffix);
  return {
    model: "gpt-4o",
    max_tokens: 256,
    messages: [
      { role: "system", content: system },
      { role: "user", content: first! },
      { role: "assistant", content: answer! },
      { role: "user", content: second! },
    ],
  };
}

const words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi".split(
  " ",
);
function sentence(seed: number, length: number): string {
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(words[(seed * 7 + i * 13) % words.length]!);
  return `${out.join(" ")} #${seed}`;
}
function embeddingBody(seed: number, size: number): EmbeddingCreateParams {
  return {
    model: "text-embedding-3-small",
    input: Array.from({ length: size }, (_, i) => sentence(seed * size + i, 25)),
  };
}

/** Mean µs per call of `run(i)` over `iterations` calls, after a warm-up. */
function measure(iterations: number, run: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(1_000, iterations); i++) run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run(i);
  return Number(process.hrtime.bigint() - start) / 1_000 / iterations;
}

const N = 20_000;
const promptTokens = createTokenEstimator().estimatePromptTokens(chatBody());
// Fresh string objects with the same text, as after JSON.parse of an incoming request.
const reparsed = Array.from(
  { length: N + 1_000 },
  () => JSON.parse(JSON.stringify(chatBody())) as ChatCompletionCreateParams,
);
const newTurns = Array.from({ length: N + 1_000 }, (_, i) => {
  const body = chatBody(` (${i})`);
  body.messages[0] = { role: "system", content: system };
  return body;
});
const allNew = Array.from({ length: N + 1_000 }, (_, i) => chatBody(` [${i}]`));
for (const body of allNew)
  body.messages[0] = { role: "system", content: `${system} [${body.messages.length}${Math.random()}]` };
const batch = embeddingBody(0, 100);
const uniqueBatches = Array.from({ length: 600 }, (_, i) => embeddingBody(i + 1, 100));
const batchTokens = createTokenEstimator().estimateEmbeddingTokens(batch);

const rows: Array<[string, number]> = [];
const row = (name: string, us: number) => rows.push([name, us]);
{
  const e = createTokenEstimator();
  row(
    `chat (~${promptTokens} prompt tokens), all cached, same strings`,
    measure(N, () => e.estimateChatTokens(chatBody())),
  );
}
{
  const e = createTokenEstimator();
  row(
    "chat, all cached, strings re-parsed from JSON",
    measure(N, (i) => e.estimateChatTokens(reparsed[i]!)),
  );
}
{
  const e = createTokenEstimator();
  row(
    "chat, system prompt cached, 3 new turns",
    measure(N, (i) => e.estimateChatTokens(newTurns[i]!)),
  );
}
{
  const e = createTokenEstimator();
  row(
    "chat, every string new (cold)",
    measure(N, (i) => e.estimateChatTokens(allNew[i]!)),
  );
}
{
  const e = createTokenEstimator({ cacheSize: 0 });
  row(
    "chat, cache off (same body again)",
    measure(N, () => e.estimateChatTokens(chatBody())),
  );
}
{
  const e = createTokenEstimator();
  row(
    `embeddings, 100 inputs (~${batchTokens} tokens), same batch`,
    measure(2_000, () => e.estimateEmbeddingTokens(batch)),
  );
  row(
    "embeddings, 100 inputs, new texts each batch",
    measure(500, (i) => e.estimateEmbeddingTokens(uniqueBatches[i % uniqueBatches.length]!)),
  );
}
row(
  "gpt-tokenizer countTokens(system prompt), for scale",
  measure(N, () => countTokens(system)),
);

const width = Math.max(...rows.map(([name]) => name.length));
console.log(`Node ${process.version}, ${N} iterations per chat row`);
console.log(`${"case".padEnd(width)} | µs / request`);
console.log(`${"-".repeat(width)}-|-------------`);
for (const [name, us] of rows) console.log(`${name.padEnd(width)} | ${us.toFixed(2).padStart(12)}`);
