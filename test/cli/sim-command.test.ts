import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SIM_FLEET, runSimCommand } from "../../src/cli/sim-command.js";

class Capture {
  text = "";
  readonly #waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  write(chunk: string): boolean {
    this.text += chunk;
    for (const w of [...this.#waiters]) {
      const m = this.text.match(w.pattern);
      if (m !== null) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
    return true;
  }
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    const m = this.text.match(pattern);
    if (m !== null) return Promise.resolve(m);
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }
}

function run(argv: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const controller = new AbortController();
  const exit = runSimCommand(argv, { stdout, stderr, signal: controller.signal });
  return { stdout, stderr, exit, stop: () => controller.abort() };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sim-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("openai-router sim", () => {
  it("starts the demo fleet, prints URLs, keys and a curl example that works, and stops", async () => {
    const cli = run([]);
    const text = (await cli.stdout.waitFor(/Press Ctrl\+C to stop\.\n/)).input!;
    for (const e of DEFAULT_SIM_FLEET.endpoints) expect(text).toContain(e.name);
    expect(text).toContain("gpt-4o → gpt4o-east");
    expect(text).toMatch(/rpm 600, tpm 100000/);
    // Follow the printed curl example for the openai.com endpoint.
    const url = text.match(/curl -s (http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions)/)![1]!;
    const key = text.match(/Authorization: Bearer (sk-sim-[A-Za-z0-9]+)/)![1]!;
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-4o",
        messages: [{ role: "user", content: "Hello" }],
        max_tokens: 2,
      }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe("chat.completion");
    // And the Azure one.
    const azureUrl = text.match(/curl -s "(http:\/\/127\.0\.0\.1:\d+\/openai\/deployments\/[^"]+)"/)![1]!;
    const azureKey = text.match(/api-key: (sk-sim-[A-Za-z0-9]+)/)![1]!;
    const azure = await fetch(azureUrl, {
      method: "POST",
      headers: { "api-key": azureKey, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Hello" }], max_tokens: 1 }),
    });
    expect(azure.status).toBe(200);
    cli.stop();
    expect(await cli.exit).toBe(0);
    expect(cli.stdout.text).toContain("Stopping");
    // Closed: the port no longer answers.
    await expect(fetch(url, { method: "POST" })).rejects.toThrow();
  });

  it("reads --config, applies --seed, and prints JSON with --json", async () => {
    const path = join(dir, "fleet.json");
    await writeFile(
      path,
      JSON.stringify({
        seed: 5,
        endpoints: [{ name: "solo", type: "openai", models: ["gpt-4o"], apiKey: "k1" }],
      }),
    );
    const cli = run(["sim", "--config", path, "--seed", "9", "--json"]);
    const line = (await cli.stdout.waitFor(/^\{.*\}\n/))[0];
    const info = JSON.parse(line) as {
      seed: number;
      endpoints: { name: string; baseURL: string; apiKey: string }[];
    };
    expect(info.seed).toBe(9);
    expect(info.endpoints).toHaveLength(1);
    expect(info.endpoints[0]).toMatchObject({ name: "solo", apiKey: "k1" });
    const res = await fetch(`${info.endpoints[0]!.baseURL}/models`, {
      headers: { authorization: "Bearer k1" },
    });
    expect(res.status).toBe(200);
    cli.stop();
    expect(await cli.exit).toBe(0);
  });

  it("exits 1 naming every problem of an invalid config, or an unreadable one", async () => {
    const path = join(dir, "bad.json");
    await writeFile(
      path,
      JSON.stringify({ host: "0.0.0.0", endpoints: [{ name: "x", type: "openai", models: [] }] }),
    );
    const bad = run(["--config", path]);
    expect(await bad.exit).toBe(1);
    expect(bad.stderr.text).toContain("host: ");
    expect(bad.stderr.text).toContain("endpoints[0].models: ");
    const missing = run(["--config", join(dir, "nope.json")]);
    expect(await missing.exit).toBe(1);
    expect(missing.stderr.text).toMatch(/Cannot read/);
  });

  it("exits 2 on bad arguments and 0 with usage on --help", async () => {
    const unknown = run(["--nope"]);
    expect(await unknown.exit).toBe(2);
    expect(unknown.stderr.text).toContain("Usage: openai-router sim");
    const seed = run(["--seed", "abc"]);
    expect(await seed.exit).toBe(2);
    // Breaks if a seed out of range reaches the fleet (its own error) or -1 reads as an option.
    for (const bad of ["1.5", "1e20", "-1.5", ""]) {
      const out = run(["--seed", bad]);
      expect(await out.exit).toBe(2);
      expect(out.stderr.text).toMatch(/^--seed must be an integer from/);
    }
    const negative = run(["--seed", "-3", "--json"]);
    const line = await negative.stdout.waitFor(/\n/);
    expect(JSON.parse(line.input!).seed).toBe(-3);
    negative.stop();
    expect(await negative.exit).toBe(0);
    const help = run(["--help"]);
    expect(await help.exit).toBe(0);
    expect(help.stdout.text).toContain("--config");
  });

  it("is described in the top-level --help, --json included", async () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/index.ts", "--help"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    const sim = out.slice(out.indexOf("\n  sim "));
    expect(sim).toMatch(/--config <file>/);
    expect(sim).toMatch(/--seed <n>\s+\S/);
    expect(sim).toMatch(/--json\s+print the endpoints as one JSON line/);
  });

  it("stops on SIGTERM in a real process", async () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const script = `const m = await import(${JSON.stringify(join(root, "src/cli/sim-command.ts"))}); process.exitCode = await m.runSimCommand(["--json", "--seed", "3"]);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await talkTo(child);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});

async function talkTo(child: ReturnType<typeof spawn>): Promise<void> {
  let out = "";
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
  });
  const info = JSON.parse(line) as { endpoints: { type: string; baseURL?: string; apiKey: string }[] };
  const oai = info.endpoints.find((e) => e.type === "openai")!;
  const res = await fetch(`${oai.baseURL}/models`, { headers: { authorization: `Bearer ${oai.apiKey}` } });
  expect(res.status).toBe(200);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
}
