/**
 * LangChain.js on the router: `new ChatOpenAI({ configuration: { fetch: router.fetch } })`. invoke,
 * stream and embeddings go through the router's queue, budgets and failover.
 * Runs against the built-in simulated fleet, so it needs no API key (in your app: `npm install
 * @langchain/openai`):  npx tsx examples/langchain.ts
 */
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { createRouter } from "openai-router";
import { startFleet, toRouterEndpoints } from "openai-router/sim";

const fleet = await startFleet({
  seed: 6,
  endpoints: [
    { name: "west", type: "azure", deployments: { "gpt-4o": "gpt4o-west", "text-embedding-3-small": "emb" } },
    { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"] },
  ],
});
const router = createRouter({ strategy: "round-robin", endpoints: toRouterEndpoints(fleet) });
const configuration = { fetch: router.fetch, baseURL: "http://router.invalid/v1" };

const model = new ChatOpenAI({ model: "gpt-4o", apiKey: "unused", maxTokens: 24, configuration });
const reply = await model.invoke("Say hello to LangChain.");
console.log("invoke:", String(reply.content));

let streamed = "";
for await (const chunk of await model.stream("Stream a line.")) streamed += String(chunk.content);
console.log("stream:", streamed.length > 0 ? "text" : "nothing");

const embeddings = new OpenAIEmbeddings({ model: "text-embedding-3-small", apiKey: "unused", configuration });
console.log("embedQuery dimensions:", (await embeddings.embedQuery("router")).length);
console.log(
  "requests per endpoint:",
  ["west", "oai"].map((n) => `${n}=${fleet.stats(n).requests}`).join(" "),
);

await router.close();
await fleet.close();
