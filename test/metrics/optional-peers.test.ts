import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { build } from "tsup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builds } from "../../tsup.config.js";

const run = promisify(execFile);

/**
 * A temporary directory from which neither peer resolves (a `node_modules` in an ancestor, such as a
 * stray /tmp/node_modules, would make the "not installed" check meaningless).
 */
function isolatedBase(): string {
  for (const base of [tmpdir(), "/var/tmp", "/dev/shm"]) {
    const require = createRequire(join(base, "probe.js"));
    const resolvable = PEERS.some((peer) => {
      try {
        require.resolve(peer);
        return true;
      } catch {
        return false;
      }
    });
    if (!resolvable) return base;
  }
  throw new Error(`every temporary directory resolves ${PEERS.join(" or ")} (a node_modules above it?)`);
}

/** `entry` and the files it imports statically, transitively (relative imports of the ESM build). */
function reachable(dir: string, entry: string, seen = new Set<string>()): string[] {
  const file = join(dir, entry);
  if (seen.has(file)) return [];
  seen.add(file);
  const code = readFileSync(file, "utf8");
  for (const m of code.matchAll(/(?:^|;|\n)\s*(?:import|export)\s[^;]*?from\s*["'](\.\.?\/[^"']+)["']/g))
    reachable(join(file, ".."), m[1] ?? "", seen);
  for (const m of code.matchAll(/(?:^|;|\n)\s*import\s*["'](\.\.?\/[^"']+)["']/g))
    reachable(join(file, ".."), m[1] ?? "", seen);
  return [...seen];
}
const ROOT = resolve(import.meta.dirname, "../..");
const PEERS = ["@opentelemetry/api", "prom-client"];

/**
 * `@opentelemetry/api` and `prom-client` are optional peers: the built package must not import them
 * statically, and must load and work where they are not installed. The package is built with
 * `npm run build`'s own tsup builds (tsup.config.ts) into a temporary directory, its ESM entry and
 * every chunk that entry imports are read (the CLI's lazily loaded chunks are not the library's), and
 * it is run from a directory whose node_modules holds only the package's own dependencies.
 */
describe("optional peers", () => {
  let dir: string;
  /** The ESM entry and every chunk it imports statically (what loading `openai-router` loads). */
  let esm: string[];
  let cjs: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(isolatedBase(), "router-peers-"));
    const out = join(dir, "node_modules", "openai-router", "dist");
    // The builds `npm run build` makes (tsup.config.ts), into the temp folder; types are not needed.
    for (const options of builds(out)) await build({ ...options, dts: false, silent: true });
    writeFileSync(
      join(dir, "node_modules", "openai-router", "package.json"),
      JSON.stringify({
        name: "openai-router",
        type: "module",
        exports: { ".": { import: "./dist/index.js", require: "./dist/index.cjs" } },
      }),
    );
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    for (const dep of [...Object.keys(pkg.dependencies), "openai"]) {
      const target = join(dir, "node_modules", dep);
      mkdirSync(join(target, ".."), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", dep), target, "dir");
    }
    esm = reachable(out, "index.js").map((file) => readFileSync(file, "utf8"));
    cjs = [readFileSync(join(out, "index.cjs"), "utf8")];
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Breaks if a module reachable from src/index.ts imported a runtime value of either peer (a static
  // import, a require, or a dynamic import with a literal name that bundlers would follow).
  it("has no static import or require of @opentelemetry/api or prom-client", () => {
    expect(esm.length).toBeGreaterThan(0);
    for (const code of [...esm, ...cjs]) {
      for (const peer of PEERS) {
        const quoted = new RegExp(
          `(from\\s*|require\\(\\s*|import\\(\\s*)["']${peer.replace("/", "\\/")}["']`,
        );
        expect(code).not.toMatch(quoted);
      }
      expect(code).not.toContain("prom-client");
    }
    // The API is looked up at run time through createRequire (and named in an error message).
    const lookup = /createRequire\)?\d*\(base\)\("@opentelemetry\/api"\)/;
    expect(esm.some((code) => lookup.test(code))).toBe(true);
    expect(cjs.some((code) => lookup.test(code))).toBe(true);
  });

  // Breaks if the built package failed to load, or to route and report metrics, without the peers.
  it("loads and works (ESM and CJS) where neither peer is installed", async () => {
    const script = (loader: string) => `
      ${loader}
      const { startFleet, toRouterEndpoints } = await import("./node_modules/openai-router/dist/sim/index.js");
      for (const peer of ${JSON.stringify(PEERS)}) {
        try { require.resolve(peer); throw new Error(peer + " is installed here"); } catch (e) { if (e.code !== "MODULE_NOT_FOUND") throw e; }
      }
      const fleet = await startFleet({ endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"] }] });
      const router = lib.createRouter({ endpoints: toRouterEndpoints(fleet) });
      const metrics = [];
      lib.collectPrometheus(router, { registry: { registerMetric: (m) => metrics.push(m), removeSingleMetric() {} } });
      const res = await router.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
      const requests = metrics.find((m) => m.name === "openai_router_requests_total").get().values;
      await router.close();
      await fleet.close();
      console.log(JSON.stringify({ object: res.object, requests }));
    `;
    const esmScript = script(
      'import { createRequire } from "node:module"; const require = createRequire(process.cwd() + "/x.js"); const lib = await import("openai-router");',
    );
    const cjsScript = script(
      'import { createRequire } from "node:module"; const require = createRequire(process.cwd() + "/x.js"); const lib = require("openai-router");',
    );
    for (const code of [esmScript, cjsScript]) {
      const file = join(dir, "check.mjs");
      writeFileSync(file, code);
      const { stdout } = await run(process.execPath, [file], {
        cwd: dir,
        env: { ...process.env, NODE_OPTIONS: "" },
      });
      expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toEqual({
        object: "chat.completion",
        requests: [{ labels: { model: "gpt-4o", kind: "chat", outcome: "ok" }, value: 1 }],
      });
    }
  }, 120_000);
});
