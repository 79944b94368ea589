/**
 * Every `ts` block of the README, as written: type-checked by `tsc` as a reader's module would be,
 * and run. The config block (real endpoints) is only constructed; the blocks that continue it run
 * against the simulated fleet in its place; the blocks that start their own fleet run as they are.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = [...README.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");

/** A block that starts its own fleet stands alone; the config block builds `router`; others continue it. */
const standalone = blocks.filter((b) => b.includes("startFleet("));
const config = blocks.filter((b) => !b.includes("startFleet(") && b.includes("createRouter("));
const continuations = blocks.filter((b) => !b.includes("startFleet(") && !b.includes("createRouter("));

/** Imports first (a module's imports may come from any of its blocks), then the code in order. */
function moduleOf(parts: readonly string[]): string {
  const imports: string[] = [];
  const code: string[] = [];
  for (const part of parts) {
    code.push(
      part.replace(/^import [\s\S]*? from "[^"]+";\n/gm, (statement) => {
        imports.push(statement);
        return "";
      }),
    );
  }
  return `${imports.join("")}\n${code.join("\n")}\nexport {};\n`;
}

/** What stands in for the config block when its continuations run: a router over the sim. */
const SIM_PRELUDE = `import { createRouter as createSimRouter } from "openai-router";
import { startFleet as startSimFleet, toRouterEndpoints as simEndpoints } from "openai-router/sim";
const simFleet = await startSimFleet({
  seed: 1,
  endpoints: [
    { name: "ptu", type: "azure", deployments: { "gpt-4o": "gpt4o-ptu" } },
    { name: "oai", type: "openai", models: ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small"] },
  ],
});
const router = createSimRouter({ strategy: "usage-based", endpoints: simEndpoints(simFleet), fallbacks: { "gpt-4o": ["gpt-4o-mini"] } });
`;

let dir: string;
const files: Record<string, string> = {};

beforeAll(() => {
  // Inside the repository (in the git-ignored .scratch/), so `openai-router` resolves to the sources
  // through tsconfig.json's paths, for tsc and for tsx alike.
  mkdirSync(join(ROOT, ".scratch"), { recursive: true });
  dir = mkdtempSync(join(ROOT, ".scratch", "readme-"));
  const write = (name: string, text: string) => {
    files[name] = join(dir, name);
    writeFileSync(files[name], text);
  };
  write("use-it.ts", moduleOf([...config, ...continuations]));
  standalone.forEach((b, i) => {
    write(`standalone-${i}.ts`, moduleOf([b]));
  });
  write("config-run.ts", moduleOf([...config, "await router.close();\n"]));
  write("continuations-run.ts", moduleOf([SIM_PRELUDE, ...continuations, "await simFleet.close();\n"]));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(file: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ["--import", "tsx", file], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe("the README's commands", () => {
  // Breaks if the README names an npm script, a file to run or a CLI command that does not exist.
  it("name scripts, files and CLI commands that exist", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const scripts = [...README.matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const name of scripts) expect(pkg.scripts, `npm run ${name}`).toHaveProperty(name);
    for (const name of ["start", "test"]) expect(pkg.scripts).toHaveProperty(name);
    const files = [...README.matchAll(/npx tsx ([\w./-]+\.ts)/g)].map((m) => m[1]!);
    const examples = [...README.matchAll(/`([\w-]+\.ts)`/g)].map((m) => `examples/${m[1]}`);
    for (const file of [...files, ...examples]) expect(existsSync(join(ROOT, file)), file).toBe(true);
    const help = spawnSync(process.execPath, ["--import", "tsx", "src/cli/index.ts", "--help"], {
      cwd: ROOT,
      encoding: "utf8",
    }).stdout;
    for (const [, command] of README.matchAll(/(?:npx openai-router|npm run cli --) ([a-z]+)/g))
      expect(help, `openai-router ${command}`).toMatch(new RegExp(`^  ${command} `, "m"));
  }, 30_000);
});

describe("the README's code", () => {
  // Breaks if the README loses a kind of block this test relies on (it would then check nothing).
  it("has the config block, the blocks that continue it, and the sim blocks", () => {
    expect(config).toHaveLength(1);
    expect(continuations.length).toBeGreaterThanOrEqual(2);
    expect(standalone.length).toBeGreaterThanOrEqual(2);
    expect(standalone.some((b) => b.includes("toRouterEndpoints("))).toBe(true);
  });

  // Breaks if a block stops compiling as written (an undefined name, `…`, a wrong type).
  it("type-checks every ts block", () => {
    const tsconfig = join(dir, "tsconfig.json");
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(ROOT, "tsconfig.json"),
        compilerOptions: { noEmit: true, lib: ["ES2023", "DOM"], baseUrl: ROOT },
        include: [],
        files: Object.values(files),
      }),
    );
    const result = spawnSync(process.execPath, [TSC, "-p", tsconfig], { cwd: ROOT, encoding: "utf8" });
    // Only the README's own diagnostics: errors inside src/ are `npm run typecheck`'s to report.
    const ours = `${result.stdout}${result.stderr}`.split("\n").filter((l) => l.includes(".scratch/readme-"));
    expect(ours).toEqual([]);
  }, 120_000);

  // Breaks if the config block throws (it did: its fallback gpt-4o-mini was served by no endpoint).
  it("constructs the config block's router (with keys in the environment)", () => {
    const result = run(files["config-run.ts"]!, {
      PTU_KEY: "test-ptu-key",
      WEST_KEY: "test-west-key",
      OPENAI_API_KEY: "test-openai-key",
    });
    expect(result.out).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);

  // Breaks if the SDK-shaped and reactive blocks fail against a router over the sim.
  it("runs the blocks that use that router, against the simulated fleet", () => {
    const result = run(files["continuations-run.ts"]!);
    expect(result.status, result.out).toBe(0);
    expect(result.out).toContain("2 vectors");
    expect(result.out).toContain("NO_ENDPOINT_FOR_MODEL");
    // The batch's outcomes, in the order they completed.
    expect(result.out).toMatch(/[abc]: (ptu|oai), [abc]: (ptu|oai), [abc]: (ptu|oai)/);
  }, 60_000);

  // Breaks if a block that starts its own fleet fails, or the router-on-the-sim block shows an error.
  it("runs the blocks that start their own fleet", () => {
    standalone.forEach((_, i) => {
      const result = run(files[`standalone-${i}.ts`]!);
      expect(result.status, result.out).toBe(0);
    });
    const onSim = standalone.findIndex((b) => b.includes("toRouterEndpoints("));
    const out = run(files[`standalone-${onSim}.ts`]!).out;
    expect(out).toMatch(/usage-based spread: east \d+, oai \d+/);
    expect(out).toMatch(/after the outage: east \d+, oai \d+ — the caller saw no error/);
  }, 120_000);
});
