import OpenAI from "openai";
import { startFleet } from "../src/sim/index.js";
import { fork } from "node:child_process";
if (process.argv[2] === "serve") {
  const fleet = await startFleet({ seed: 1, endpoints: [{ name: "b", type: "openai", models: ["gpt-4o"] }] });
  const e = fleet.endpoint("b"); if (e.type !== "openai") throw 0;
  process.send!({ baseURL: e.baseURL, apiKey: e.apiKey });
} else {
  const child = fork(new URL(import.meta.url).pathname, ["serve"]);
  const e: any = await new Promise((r) => child.once("message", r));
  const M = [{ role: "user" as const, content: "hi" }];
  const body = JSON.stringify({ model: "gpt-4o", messages: M });
  const client = new OpenAI({ apiKey: e.apiKey, baseURL: e.baseURL, maxRetries: 0 });
  for (const C of [1, 8, 64]) {
    let n = 0; const t = performance.now(); const end = t + 2000;
    await Promise.all(Array.from({ length: C }, async () => { while (performance.now() < end) { const r = await fetch(e.baseURL + "/chat/completions", { method: "POST", headers: { authorization: "Bearer " + e.apiKey, "content-type": "application/json" }, body }); await r.text(); n++; } }));
    console.log(`C=${C} fetch rps`, Math.round(n / ((performance.now() - t) / 1000)));
  }
  for (const C of [1, 8, 64]) {
    let n = 0; const t = performance.now(); const end = t + 2000;
    await Promise.all(Array.from({ length: C }, async () => { while (performance.now() < end) { await client.chat.completions.create({ model: "gpt-4o", messages: M }); n++; } }));
    console.log(`C=${C} sdk rps`, Math.round(n / ((performance.now() - t) / 1000)));
  }
  child.kill();
}
