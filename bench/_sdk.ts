import { OpenAI } from "openai";
import { CHAT_BODY, inMemoryFetch } from "./lib/fixtures.js";
const c = new OpenAI({ apiKey: "sk-x", baseURL: "http://x.invalid/v1", maxRetries: 0, fetch: inMemoryFetch });
for (let r = 0; r < 4; r++) { const n = 5000; const t = performance.now(); for (let i = 0; i < n; i++) await c.chat.completions.create(CHAT_BODY); console.log(((performance.now() - t) / n * 1000).toFixed(1), "µs/call"); }
