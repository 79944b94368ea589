/**
 * The Responses API through the router: a conversation that stays on the endpoint holding its state,
 * a streamed turn, and the stored response read back. Runs against the built-in simulated fleet, so it
 * needs no API key:  npx tsx examples/responses.ts
 */
import { createRouter } from "openai-router";
import { startFleet, toRouterEndpoints } from "openai-router/sim";

const fleet = await startFleet({
  seed: 3,
  endpoints: [
    { name: "sweden", type: "azure", deployments: { "gpt-4o": "gpt4o-se" }, latency: { ttftMs: 40 } },
    { name: "france", type: "azure", deployments: { "gpt-4o": "gpt4o-fr" }, latency: { ttftMs: 40 } },
    { name: "oai", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 60 } },
  ],
});
const router = createRouter({ strategy: "round-robin", endpoints: toRouterEndpoints(fleet) });
const endpointOf = new Map<string, string>();
router.completions$.subscribe((c) => {
  if (c.ok && c.response && "id" in c.response) endpointOf.set(c.response.id, c.endpoint);
});

// Each turn continues the last one: the state lives on one endpoint, so every turn goes there.
let previous = await router.responses.create({
  model: "gpt-4o",
  input: "Plan a trip to Lisbon.",
  max_output_tokens: 32,
});
for (const question of ["Where should I stay?", "And for dinner?"]) {
  previous = await router.responses.create({
    model: "gpt-4o",
    input: question,
    previous_response_id: previous.id,
    max_output_tokens: 32,
  });
}
console.log("turns served by:", [...new Set(endpointOf.values())].join(", "));

const stream = await router.responses.create({
  model: "gpt-4o",
  input: "Summarise the plan in one line.",
  previous_response_id: previous.id,
  max_output_tokens: 24,
  stream: true,
});
process.stdout.write("streamed: ");
for await (const event of stream)
  if (event.type === "response.output_text.delta") process.stdout.write(event.delta);
process.stdout.write("\n");

const stored = await router.responses.retrieve(previous.id);
const items = await router.responses.inputItems.list(previous.id);
console.log(
  `retrieved: ${stored.id === previous.id ? "same response" : "another"}, ${items.data.length} input item(s)`,
);
const notFound = Object.values(
  Object.fromEntries(["sweden", "france", "oai"].map((n) => [n, fleet.stats(n).byStatus[404] ?? 0])),
);
console.log(
  "404s from the endpoints:",
  notFound.reduce((a, b) => a + b, 0),
);

await router.close();
await fleet.close();
