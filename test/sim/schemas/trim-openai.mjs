// Regenerates openai-chat-embeddings.json from the published OpenAI spec:
//   git clone https://github.com/openai/openai-openapi /tmp/oa
//   node test/sim/schemas/trim-openai.mjs /tmp/oa/openapi.json "$(git -C /tmp/oa log -1 --format='%H %cs')"
// Keeps the chat completion, chunk, embeddings and error schemas and everything they reference;
// drops prose, examples and x- extensions; turns the OpenAPI 3.0 leftover `nullable: true` (which
// JSON Schema validators ignore) into an explicit null alternative, as the spec intends.
import { readFileSync, writeFileSync } from "node:fs";

const [specPath, source = "unknown commit"] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, "utf8"));
const all = spec.components.schemas;
const roots = [
  "CreateChatCompletionResponse",
  "CreateChatCompletionStreamResponse",
  "CreateEmbeddingResponse",
  "ErrorResponse",
];
const need = new Set();
const queue = [...roots];
while (queue.length > 0) {
  const name = queue.pop();
  if (need.has(name)) continue;
  need.add(name);
  JSON.stringify(all[name], (k, v) => {
    if (k === "$ref") queue.push(v.replace("#/components/schemas/", ""));
    return v;
  });
}
const DROP = new Set(["example", "examples", "discriminator", "deprecated"]);
function trim(v) {
  if (Array.isArray(v)) return v.map(trim);
  if (v === null || typeof v !== "object") return v;
  let o = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("x-") || DROP.has(k)) continue;
    if ((k === "description" || k === "title") && typeof x === "string") continue;
    o[k] = k === "$ref" ? x.replace("#/components/schemas/", "#/$defs/") : trim(x);
  }
  if (o.nullable === true) {
    delete o.nullable;
    if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...o.enum, null];
    if (typeof o.type === "string") o.type = [o.type, "null"];
    else if (o.$ref !== undefined || o.type === undefined) o = { anyOf: [o, { type: "null" }] };
  }
  return o;
}
const $defs = {};
for (const name of [...need].sort()) $defs[name] = trim(all[name]);
const out = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $comment: `Trimmed from openai/openai-openapi openapi.json (OpenAPI ${spec.openapi}, API ${spec.info.version}), ${source}, by test/sim/schemas/trim-openai.mjs: ${roots.join(", ")} and what they reference.`,
  $defs,
};
writeFileSync(new URL("./openai-chat-embeddings.json", import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
