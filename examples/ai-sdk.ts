/**
 * The Vercel AI SDK on the router: `createOpenAI({ fetch: router.fetch })`. The default model calls the
 * Responses API, `.chat()` chat completions, `.embedding()` embeddings; a tool loop works unchanged.
 * Runs against the built-in simulated fleet, so it needs no API key (in your app: `npm install ai
 * @ai-sdk/openai`):  npx tsx examples/ai-sdk.ts
 */
import { createOpenAI } from "@ai-sdk/openai";
import { embed, generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { createRouter } from "openai-router";
import { startFleet, toRouterEndpoints } from "openai-router/sim";

const fleet = await startFleet({
  seed: 4,
  endpoints: [
    { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb" } },
    { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"] },
  ],
});
const router = createRouter({ strategy: "least-busy", endpoints: toRouterEndpoints(fleet) });

// The API key is the router's business: the client's is ignored, and the base URL is never dialled.
const openai = createOpenAI({ apiKey: "unused", fetch: router.fetch });

const { text } = await generateText({ model: openai("gpt-4o"), prompt: "Say hello.", maxOutputTokens: 20 });
console.log("generateText:", text);

const streamed = streamText({ model: openai.chat("gpt-4o"), prompt: "Stream a line.", maxOutputTokens: 20 });
let chunks = 0;
for await (const _ of streamed.textStream) chunks += 1;
console.log("streamText chunks:", chunks > 0 ? "some" : "none");

const { embedding } = await embed({ model: openai.embedding("text-embedding-3-small"), value: "router" });
console.log("embed dimensions:", embedding.length);

const looked: string[] = [];
const answer = await generateText({
  model: openai("gpt-4o"),
  prompt: "What is the weather in Oslo? Use get_weather.",
  tools: {
    get_weather: tool({
      description: "Current weather in a city",
      inputSchema: jsonSchema<{ city: string }>({
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
        additionalProperties: false,
      }),
      execute: async ({ city }) => {
        looked.push(city);
        return { city, celsius: 4 };
      },
    }),
  },
  toolChoice: "required",
  prepareStep: ({ stepNumber }) => (stepNumber > 0 ? { toolChoice: "none" } : {}),
  stopWhen: stepCountIs(2),
});
console.log(
  `tool loop: ${looked.length} call(s), ${answer.steps.length} steps, answered: ${answer.text.length > 0}`,
);

await router.close();
await fleet.close();
