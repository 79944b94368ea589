/**
 * The SDK-shaped promise API: chat, streaming and embeddings through the router.
 * Runs against the built-in simulated fleet, so it needs no API key:  npx tsx examples/promise-api.ts
 */
import { createRouter } from "openai-router";
import { startFleet, toRouterEndpoints } from "openai-router/sim";

const fleet = await startFleet({
  seed: 1,
  endpoints: [
    {
      name: "east",
      type: "azure",
      deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
      latency: { ttftMs: 80, tokensPerSecond: 120 },
    },
    { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"], latency: { ttftMs: 120 } },
  ],
});

// In production: endpoint URLs and keys from your config; here, from the simulated fleet.
const router = createRouter({
  strategy: "least-latency",
  endpoints: toRouterEndpoints(fleet, {
    east: { limits: { rpm: 600, tpm: 100_000, concurrency: 16 } },
    oai: { limits: { rpm: 500, tpm: 80_000 } },
  }),
});

const completion = await router.chat.completions.create({
  model: "gpt-4o",
  messages: [{ role: "user", content: "Say hello to the router." }],
  max_tokens: 24,
});
console.log("chat:", completion.choices[0]?.message.content);

const stream = await router.chat.completions.create({
  model: "gpt-4o",
  messages: [{ role: "user", content: "Stream a short line." }],
  max_tokens: 16,
  stream: true,
});
process.stdout.write("stream: ");
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
process.stdout.write("\n");

const embeddings = await router.embeddings.create({ model: "text-embedding-3-small", input: ["one", "two"] });
console.log("embeddings:", embeddings.data.length, "vectors of", embeddings.data[0]?.embedding.length);

// Typed errors with stable codes:
try {
  await router.chat.completions.create({ model: "gpt-5", messages: [{ role: "user", content: "?" }] });
} catch (error) {
  console.log("error code:", (error as { code: string }).code);
}

await router.close();
await fleet.close();
