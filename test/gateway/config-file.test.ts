import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runServe } from "../../src/cli/serve.js";
import { ConfigError } from "../../src/errors.js";
import { loadConfigFile, parseConfigText } from "../../src/gateway/config-file.js";
import { createRouter } from "../../src/index.js";
import { type StartFleetOptions, startFleet } from "../../src/sim/index.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "gateway-config-"));

const GOOD = `
strategy: round-robin
endpoints:
  - name: east
    type: azure
    endpoint: https://\${EAST_HOST}.openai.azure.com
    apiKey: \${EAST_KEY}
    deployments: { gpt-4o: gpt4o-east }
  - name: oai
    type: openai
    apiKey: \${OAI_KEY:-fallback-key}
    models: [gpt-4o]
gateway:
  port: 0
  clients:
    - name: web
      key: \${WEB_KEY}
      models: [gpt-4o]
      limits: { rpm: 60 }
`;

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("config file", () => {
  // Breaks if ${ENV} references are not resolved (embedded, whole, with a default) or `$${` is not literal.
  it("resolves $-{ENV} references at start", () => {
    const env = { EAST_HOST: "contoso-east", EAST_KEY: "east-secret", WEB_KEY: "web-key-0123456789abcdef" };
    const { router, gateway } = parseConfigText(GOOD, "yaml", env);
    const [east, oai] = router.endpoints;
    expect(east).toMatchObject({ endpoint: "https://contoso-east.openai.azure.com", apiKey: "east-secret" });
    expect(oai).toMatchObject({ apiKey: "fallback-key" });
    expect(gateway.clients[0]).toMatchObject({ name: "web", key: "web-key-0123456789abcdef", priority: 0 });
    expect(gateway.drainMs).toBe(30_000);
    const literal = parseConfigText(GOOD.replace("fallback-key", "a$${b}"), "yaml", env);
    expect(literal.router.endpoints[1]).toMatchObject({ apiKey: `a$\{b}` });
  });

  // Breaks if an unset variable is not a problem naming it and its place, or problems stop at the first.
  it("reports every problem with its path: unset variables, router schema, gateway schema", () => {
    const broken = `${GOOD.replace("type: openai", "type: openai\n    weight: -1")}
    - name: web
      keySha256: not-hex
      models: [gpt-5]
`;
    const issues = issuesOf(() => parseConfigText(broken, "yaml", { EAST_HOST: "h" }));
    const paths = issues.map((i) => i.path);
    expect(issues.find((i) => i.path === "endpoints.0.apiKey")?.message).toMatch(/EAST_KEY is not set/);
    expect(issues.find((i) => i.path === "gateway.clients.0.key")?.message).toMatch(/WEB_KEY is not set/);
    expect(paths).toContain("endpoints.1.weight");
    expect(paths).toContain("gateway.clients.1.keySha256");
    expect(paths).toContain("gateway.clients.1.name");
    expect(paths).toContain("gateway.clients.1.models.0");
  });

  // Breaks if JSON files are not read as JSON, or syntax errors do not say where they are.
  it("reads JSON and reports syntax errors", () => {
    const file = join(dir, "router.json");
    writeFileSync(
      file,
      JSON.stringify({ endpoints: [{ name: "o", type: "openai", apiKey: "k", models: ["m"] }] }),
    );
    expect(loadConfigFile(file, {}).router.endpoints).toHaveLength(1);
    expect(issuesOf(() => parseConfigText("endpoints: [\n  - a: b\n  c", "yaml", {}))[0]?.message).toMatch(
      /YAML: .*line/,
    );
    expect(issuesOf(() => loadConfigFile(join(dir, "missing.yaml"), {}))[0]?.message).toMatch(/ENOENT/);
  });

  // Breaks if a secret value is echoed in a problem's message.
  it("never echoes values in problems", () => {
    const issues = issuesOf(() =>
      parseConfigText(GOOD.replace("limits: { rpm: 60 }", "limits: { rpm: super-secret-value }"), "yaml", {
        EAST_HOST: "h",
        EAST_KEY: "k",
        WEB_KEY: "web-key-0123456789abcdef",
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(["gateway.clients.0.limits.rpm"]);
    expect(JSON.stringify(issues)).not.toContain("super-secret-value");
  });
});

describe("openai-router serve --check", () => {
  // Breaks if --check does not exit non-zero on a broken file or does not print each problem's path.
  it("prints every problem with its path and exits 1 (a real child process)", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, GOOD.replace("strategy: round-robin", "strategy: fastest"));
    const result = await run("npx", ["tsx", "src/cli/index.ts", "serve", "--config", file, "--check"], {
      cwd: root,
      env: { ...process.env, EAST_HOST: "h" },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ {2}strategy: /m);
    expect(result.stderr).toMatch(/^ {2}endpoints\.0\.apiKey: environment variable EAST_KEY is not set/m);
    expect(result.stderr).toMatch(/^ {2}gateway\.clients\.0\.key: environment variable WEB_KEY is not set/m);
  });

  // Breaks if --check rejects a valid file (the documented example included).
  it("accepts examples/router.yaml", async () => {
    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => out.push(t) },
      env: {},
    };
    expect(await runServe(["--config", join(root, "examples/router.yaml"), "--check"], io)).toBe(0);
    expect(out.join("")).toMatch(/OK \(3 endpoints, 0 clients\)/);
  });

  // Breaks if a gateway without clients may listen on a non-loopback address.
  it("refuses a non-loopback address without clients", async () => {
    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => out.push(t) },
      env: {},
    };
    const code = await runServe(["--config", join(root, "examples/router.yaml"), "--host", "0.0.0.0"], io);
    expect(code).toBe(2);
    expect(out.join("")).toMatch(/refusing to listen on 0\.0\.0\.0 without gateway\.clients/);
  });
});

describe("the examples", () => {
  // Breaks if examples/router.yaml's defaults (keys, deployments, models) do not match examples/sim-fleet.json.
  it("router.yaml routes to the fleet of sim-fleet.json with its default keys", async () => {
    const options = JSON.parse(
      readFileSync(join(root, "examples/sim-fleet.json"), "utf8"),
    ) as StartFleetOptions;
    // The example's fixed ports may be taken on a busy machine: the same fleet on free ports.
    const fleet = await startFleet({
      ...options,
      endpoints: options.endpoints.map((e) => ({ ...e, port: 0 })),
    });
    try {
      const url = (name: string) => {
        const e = fleet.endpoint(name);
        return e.type === "azure" ? e.endpoint : e.baseURL;
      };
      const env = { EAST_URL: url("east"), WEST_URL: url("west"), OPENAI_BASE_URL: url("oai") };
      const router = createRouter(loadConfigFile(join(root, "examples/router.yaml"), env).router);
      try {
        for (let i = 0; i < 6; i++)
          await router.chat.completions.create({
            model: "gpt-4o",
            messages: [{ role: "user", content: `hi ${i}` }],
            max_tokens: 8,
          });
        await router.embeddings.create({ model: "text-embedding-3-small", input: "a" });
      } finally {
        await router.close();
      }
      for (const name of ["east", "west", "oai"]) expect(fleet.stats(name).byStatus[401] ?? 0).toBe(0);
      const served = ["east", "west", "oai"].map((n) => fleet.stats(n).requests);
      expect(served.reduce((a, b) => a + b, 0)).toBe(7);
    } finally {
      await fleet.close();
    }
  });
});
