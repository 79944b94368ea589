import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenAI } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { runServe } from "../../src/cli/serve.js";
import { startFleet } from "../../src/sim/index.js";
import { chat, until } from "./rig.js";

const dir = mkdtempSync(join(tmpdir(), "gateway-serve-"));
type Fleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** Runs `serve` in this process over one sim endpoint, makes two calls, stops it; returns what it wrote. */
async function serveOnce(
  extra: string[],
  clients = "",
): Promise<{ code: number; stdout: string; stderr: string; metrics: string; dashboard: number }> {
  fleet = await startFleet({ seed: 6, endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"] }] });
  const endpoint = fleet.endpoints[0];
  if (endpoint?.type !== "openai") throw new Error("expected an openai endpoint");
  const file = join(dir, `router-${extra.join("")}.yaml`);
  writeFileSync(
    file,
    `endpoints:\n  - { name: oai, type: openai, baseURL: "${endpoint.baseURL}", apiKey: "${endpoint.apiKey}", models: [gpt-4o] }\ngateway:\n  port: 0\n${clients}`,
  );
  let stdout = "";
  let stderr = "";
  const stop = new AbortController();
  const io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    stop: stop.signal,
  };
  const done = runServe(["--config", file, ...extra], io);
  await until(() => /listening on (http:\/\/\S+)/.test(stderr), "serve to listen");
  const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1] as string;
  const client = new OpenAI({ apiKey: "gateway-key-0123456789", baseURL: `${url}/v1`, maxRetries: 0 });
  await client.chat.completions.create(chat("secret-prompt-text"));
  await client.chat.completions.create({ ...chat("two"), stream: true }).then(async (s) => {
    for await (const _ of s) {
      /* read to the end */
    }
  });
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const dashboard = (await fetch(`${url}/dashboard`)).status;
  stop.abort();
  return { code: await done, stdout, stderr, metrics, dashboard };
}

describe("openai-router serve", () => {
  // Breaks if the access log is not one JSON line per request on stdout, or carries a key or a prompt.
  it("writes one JSON access-log line per request to stdout", async () => {
    const { code, stdout, stderr } = await serveOnce(
      [],
      "  clients: [{ name: web, key: gateway-key-0123456789 }]\n",
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/1 client, keys required/);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => [e.client, e.status, e.stream])).toEqual([
      ["web", 200, false],
      ["web", 200, true],
    ]);
    expect(stdout).not.toContain("gateway-key-0123456789");
    expect(stdout).not.toContain("secret-prompt-text");
    expect(stderr).toMatch(/draining/);
    expect(stderr).toMatch(/stopped/);
  });

  // Breaks if serve does not mount prom-client's collector (with the gateway's own figures) and the dashboard.
  it("serves collectPrometheus' metrics and the dashboard", async () => {
    const { metrics, dashboard } = await serveOnce(["--quiet"]);
    expect(metrics).toMatch(/^openai_router_endpoint_info\{endpoint="oai",type="openai"\} 1$/m);
    expect(metrics).toMatch(/^openai_router_gateway_responses_total\{client="anonymous",status="200"\} 2$/m);
    expect(dashboard).toBe(200);
  });

  // Breaks if --quiet still writes the access log.
  it("--quiet turns the access log off", async () => {
    const { code, stdout } = await serveOnce(["--quiet"]);
    expect(code).toBe(0);
    expect(stdout).toBe("");
  });
});
