import { parseChatBody } from "../src/sim/body.js";
import { renderCompletion, renderStream } from "../src/sim/chat.js";
import { generateReply } from "../src/sim/content.js";
import { countChatTokens, TokenCounter } from "../src/sim/tokens.js";
import { mulberry32, randomBase62, randomHex } from "../src/sim/prng.js";
import { EndpointLimiter } from "../src/sim/limits.js";
const raw = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Summarise the benefits of a single central queue." }] });
const tc = new TokenCounter(); const rng = mulberry32(1);
const lim = new EndpointLimiter({ rpm: 1e12, tpm: 1e15 }, Date.now);
function step(stream: boolean) {
  const b = parseChatBody(JSON.parse(raw), true) as any;
  const pt = countChatTokens(tc, b.messages);
  let key = ""; for (const m of b.messages) key += `${m.role}\u0001${m.text}\u0002`;
  const c = generateReply(1, key, 0, undefined);
  const plan = { id: `chatcmpl-${randomBase62(rng, 29)}`, created: 1, model: "gpt-4o", fingerprint: "fp_x", choices: [c], promptTokens: pt, completionTokens: c.tokens.length, azure: false, includeUsage: false };
  const id = randomHex(rng, 32);
  lim.admit(100, 0); const h = lim.headers();
  if (stream) { const ev = renderStream(plan); let s = ""; for (const e of ev) s += e.data; return s.length + id.length; }
  return renderCompletion(plan).length + id.length + Object.keys(h).length;
}
for (const stream of [false, true]) {
  for (let i = 0; i < 20000; i++) step(stream);
  const t = performance.now(); const N = 50000;
  for (let i = 0; i < N; i++) step(stream);
  console.log(stream ? "stream" : "json", "µs/req", ((performance.now() - t) / N * 1000).toFixed(1));
}
