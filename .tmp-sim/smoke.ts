import OpenAI, { AzureOpenAI } from "openai";
import { startFleet } from "../src/sim/index.js";

const fleet = await startFleet({
  seed: 1,
  endpoints: [
    { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" }, limits: { rpm: 600, tpm: 100000 } },
    { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"] },
  ],
});
const oai = fleet.endpoint("oai");
const east = fleet.endpoint("east");
if (oai.type !== "openai" || east.type !== "azure") throw new Error();
const c = new OpenAI({ apiKey: oai.apiKey, baseURL: oai.baseURL, maxRetries: 0 });
const r = await c.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hello" }] });
console.log(JSON.stringify(r));
const s = await c.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hello" }], stream: true, stream_options: { include_usage: true }, max_tokens: 3 });
for await (const ch of s) console.log(JSON.stringify(ch));
const a = new AzureOpenAI({ endpoint: east.endpoint, apiKey: east.apiKey, apiVersion: "2024-10-21", maxRetries: 0 });
const { data, response } = await a.chat.completions.create({ model: "gpt4o-east", messages: [{ role: "user", content: "Hello" }], max_tokens: 4 }).withResponse();
console.log(JSON.stringify(data), Object.fromEntries(response.headers));
const as = await a.chat.completions.create({ model: "gpt4o-east", messages: [{ role: "user", content: "Hello" }], stream: true, max_tokens: 2 });
for await (const ch of as) console.log(JSON.stringify(ch));
const e = await a.embeddings.create({ model: "emb-east", input: ["a", "b"], dimensions: 4 });
console.log(JSON.stringify(e));
const e2 = await c.embeddings.create({ model: "text-embedding-3-small", input: "a", dimensions: 4 , encoding_format: "float"});
console.log(JSON.stringify(e2));
try { await a.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }); } catch (err) { console.log(String(err), (err as any).constructor.name); }
console.log(fleet.stats("east"), fleet.stats("oai"));
await fleet.close();
