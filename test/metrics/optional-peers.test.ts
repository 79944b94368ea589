import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const PEERS = ["@opentelemetry/api", "prom-client"];

/**
 * `@opentelemetry/api` and `prom-client` are optional peers: the built package must not import them
 * statically, and must load and work where they are not installed. The entry is built with tsup the
 * way `npm run build` builds it (into a temporary directory, not dist/), then run from a directory
 * whose node_modules holds only the package's own dependencies.
 */
describe("optional peers", () => {
  let dir: string;
  let esm: string;
  let cjs: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "router-peers-"));
    const out = join(dir, "node_modules", "openai-router", "dist");
    await run(
      join(ROOT, "node_modules", ".bin", "tsup"),
      [
        "--entry.index",
        "src/index.ts",
        "--entry.sim",
        "src/sim/index.ts",
        "--format",
        "esm,cjs",
        "--target",
        "node20",
        "--shims",
        "--no-config",
        "--out-dir",
        out,
      ],
      { cwd: ROOT },
    );
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
    esm = readFileSync(join(out, "index.js"), "utf8");
    cjs = readFileSync(join(out, "index.cjs"), "utf8");
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Breaks if a module reachable from src/index.ts imported a runtime value of either peer (a static
  // import, a require, or a dynamic import with a literal name that bundlers would follow).
  it("has no static import or require of @opentelemetry/api or prom-client", () => {
    for (const code of [esm, cjs]) {
      for (const peer of PEERS) {
        const quoted = new RegExp(
          `(from\\s*|require\\(\\s*|import\\(\\s*)["']${peer.replace("/", "\\/")}["']`,
        );
        expect(code).not.toMatch(quoted);
      }
      expect(code).not.toContain("prom-client");
      // The API is looked up at run time through createRequire (and named in an error message).
      expect(code).toMatch(/createRequire\)?\d*\(base\)\("@opentelemetry\/api"\)/);
    }
  });

  // Breaks if the built package failed to load, or to route and report metrics, without the peers.
  it("loads and works (ESM and CJS) where neither peer is installed", async () => {
    const script = (loader: string) => `
      ${loader}
      const { startFleet, toRouterEndpoints } = await import("./node_modules/openai-router/dist/sim.js");
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
