import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APIError, OpenAI } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startFleet } from "../../src/sim/index.js";
import { chat, until } from "./rig.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "gateway-drain-"));

type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
  await fleet?.close();
  fleet = undefined;
});

/** `openai-router serve` in a child process over a sim endpoint streaming 20 tokens/s; resolves with its URL. */
async function serve(
  drainMs: number,
): Promise<{ url: string; exited: Promise<number | null>; stdout: () => string }> {
  fleet = await startFleet({
    seed: 4,
    endpoints: [
      { name: "oai", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 20, tokensPerSecond: 20 } },
    ],
  });
  const endpoint = fleet.endpoints[0];
  if (endpoint?.type !== "openai") throw new Error("expected an openai endpoint");
  const file = join(dir, `router-${drainMs}.yaml`);
  writeFileSync(
    file,
    [
      "endpoints:",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${VAR} syntax
      "  - { name: oai, type: openai, baseURL: '${SIM_URL}', apiKey: '${SIM_KEY}', models: [gpt-4o] }",
      `gateway: { port: 0, drainMs: ${drainMs} }`,
    ].join("\n"),
  );
  const proc = spawn(process.execPath, ["--import", "tsx", "src/cli/index.ts", "serve", "--config", file], {
    cwd: root,
    env: { ...process.env, SIM_URL: endpoint.baseURL, SIM_KEY: endpoint.apiKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let stderr = "";
  let stdout = "";
  proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  proc.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await until(
    () => /listening on (http:\/\/\S+)/.test(stderr) || proc.exitCode !== null,
    "the gateway to listen",
    20_000,
  );
  const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
  if (!url) throw new Error(`serve did not start: ${stderr}`);
  expect(stderr).toMatch(/no gateway\.clients configured: no authentication, loopback only/);
  return { url, exited, stdout: () => stdout };
}

/** Starts a stream and reads it to its end; resolves with its text or the error that ended it. */
function reader(
  client: OpenAI,
  tokens: number,
  started: () => void,
): Promise<{ text: string; error?: unknown }> {
  return (async () => {
    let text = "";
    let first = true;
    try {
      const stream = await client.chat.completions.create({ ...chat("drain me", tokens), stream: true });
      for await (const chunk of stream) {
        if (first) started();
        first = false;
        text += chunk.choices[0]?.delta?.content ?? "";
      }
      return { text };
    } catch (error) {
      return { text, error };
    }
  })();
}

describe("graceful drain on SIGTERM (a real child process)", () => {
  // Breaks if SIGTERM cuts streams in flight, keeps accepting, or the process does not exit cleanly.
  it("lets streams in flight complete, refuses new requests, exits 0", async () => {
    const { url, exited, stdout } = await serve(10_000);
    const client = new OpenAI({ apiKey: "unused", baseURL: `${url}/v1`, maxRetries: 0 });
    let started = 0;
    const streams = Array.from({ length: 4 }, () => reader(client, 20, () => (started += 1)));
    await until(() => started === 4, "every stream's first chunk");
    child?.kill("SIGTERM");
    const results = await Promise.all(streams);
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(r.text.split(" ").length).toBeGreaterThanOrEqual(15);
    }
    const late = await client.chat.completions.create(chat("too late")).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(Error);
    expect(await exited).toBe(0);
    const lines = stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { status: number; stream: boolean });
    expect(lines.filter((l) => l.stream && l.status === 200)).toHaveLength(4);
  });

  // Breaks if streams still running at the end of drainMs are cut silently instead of with an error event.
  it("ends streams still running after drainMs with a clean error", async () => {
    const { url, exited } = await serve(300);
    const client = new OpenAI({ apiKey: "unused", baseURL: `${url}/v1`, maxRetries: 0 });
    let started = 0;
    const streams = Array.from({ length: 3 }, () => reader(client, 400, () => (started += 1)));
    await until(() => started === 3, "every stream's first chunk");
    child?.kill("SIGTERM");
    const results = await Promise.all(streams);
    for (const r of results) {
      expect(r.error).toBeInstanceOf(APIError);
      expect((r.error as APIError).message).toMatch(/shutting down/);
    }
    expect(await exited).toBe(0);
  });
});
