import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".ts"));

/** What each example must print when it works. */
const expected: Record<string, RegExp[]> = {
  "promise-api.ts": [
    /^chat: \S+/m,
    /^stream: \S+/m,
    /^embeddings: 2 vectors of 1536$/m,
    /^error code: NO_ENDPOINT_FOR_MODEL$/m,
  ],
  "reactive-pipeline.ts": [
    /^job-11 ok via [ab] in \d+ ms$/m,
    /^route\(\): (alpha|beta|gamma)=ok (alpha|beta|gamma)=ok (alpha|beta|gamma)=ok$/m,
  ],
  "sim-fleet.ts": [
    /^reply: \S+/m,
    /^requests left this minute: 599$/m,
    /^while down: connection refused$/m,
    /^back up: gpt-4o$/m,
  ],
  "responses.ts": [
    /^turns served by: (sweden|france|oai)$/m,
    /^streamed: \S+/m,
    /^retrieved: same response, \d+ input item\(s\)$/m,
    /^404s from the endpoints: 0$/m,
  ],
  "ai-sdk.ts": [
    /^generateText: \S+/m,
    /^streamText chunks: some$/m,
    /^embed dimensions: 1536$/m,
    /^tool loop: 1 call\(s\), 2 steps, answered: true$/m,
  ],
  "langchain.ts": [
    /^invoke: \S+/m,
    /^stream: text$/m,
    /^embedQuery dimensions: 1536$/m,
    /^requests per endpoint: west=2 oai=1$/m,
  ],
  "azure-entra-id.ts": [
    /^request 3: \S+/m,
    /^tokens issued by the credential: 1 /m,
    /^requests per endpoint: sweden=2 france=2$/m,
  ],
};

describe("examples run as written against the simulated fleet", () => {
  it("has an expectation for every example", () => {
    expect(examples.sort()).toEqual(Object.keys(expected).sort());
  });

  it("README's simulated-fleet example is examples/sim-fleet.ts, word for word", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## The simulated fleet"));
    const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const file = readFileSync(join(root, "examples", "sim-fleet.ts"), "utf8");
    expect(snippet).toBe(file.slice(file.indexOf("import ")));
  });

  it.each(examples)(
    "%s",
    async (file) => {
      const { stdout } = await run(process.execPath, ["--import", "tsx", join("examples", file)], {
        cwd: root,
        timeout: 30_000,
      });
      for (const pattern of expected[file] ?? []) expect(stdout).toMatch(pattern);
    },
    40_000,
  );
});
