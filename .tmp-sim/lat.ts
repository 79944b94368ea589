import OpenAI from "openai";
import { startFleet } from "../src/sim/index.js";
const fleet = await startFleet({ seed: 1, endpoints: [{ name: "b", type: "openai", models: ["gpt-4o"] }] });
const e = fleet.endpoint("b"); if (e.type !== "openai") throw 0;
const client = new OpenAI({ apiKey: e.apiKey, baseURL: e.baseURL, maxRetries: 0 });
const M = [{ role: "user" as const, content: "hi" }];
for (let k = 0; k < 3; k++) {
  let t = performance.now();
  for (let i = 0; i < 50; i++) await client.chat.completions.create({ model: "gpt-4o", messages: M });
  console.log("sdk seq ms/req", (performance.now() - t) / 50);
  t = performance.now();
  for (let i = 0; i < 50; i++) { const r = await fetch(e.baseURL + "/chat/completions", { method: "POST", headers: { authorization: "Bearer " + e.apiKey, "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o", messages: M }) }); await r.text(); }
  console.log("fetch seq ms/req", (performance.now() - t) / 50);
}
await fleet.close();
