/**
 * The simulated fleet on its own: a local openai.com-style endpoint that the official SDK talks to
 * as it would to the real service (no API key, no network):  npx tsx examples/sim-fleet.ts
 */
import OpenAI, { APIConnectionError } from "openai";
import { startFleet } from "openai-router/sim";

const fleet = await startFleet({
  seed: 1,
  endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], limits: { rpm: 600, tpm: 100_000 } }],
});
const endpoint = fleet.endpoints[0];
if (endpoint?.type !== "openai") throw new Error("expected an openai.com-style endpoint");
const client = new OpenAI({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, maxRetries: 0 });

const { data, response } = await client.chat.completions
  .create({ model: "gpt-4o", messages: [{ role: "user", content: "Hello, fleet" }], max_tokens: 16 })
  .withResponse();
console.log("reply:", data.choices[0]?.message.content);
console.log("requests left this minute:", response.headers.get("x-ratelimit-remaining-requests"));

await fleet.setFaults("oai", { down: true }); // connections are refused until cleared
const error = await client.models.list().then(
  () => undefined,
  (e: unknown) => e,
);
console.log("while down:", error instanceof APIConnectionError ? "connection refused" : error);
await fleet.setFaults("oai", {}); // listening again on the same port
console.log("back up:", (await client.models.list()).data.map((m) => m.id).join(", "));

await fleet.close();
