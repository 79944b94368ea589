/**
 * The package as a user gets it: built (tsup, into a temp folder), packed (`npm pack`), unpacked
 * into a temp ESM app, a temp CJS app and a temp app on `moduleResolution: node10`, then imported,
 * run against the sim and type-checked there. Offline: the apps' other dependencies are links to
 * this repository's node_modules (the tarball itself is what `npm install <tgz>` would unpack).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builds } from "../../tsup.config.js";
import { nodeRepeat } from "../helpers/node-repeat.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  files: string[];
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
/** What an app needs besides the package: its dependencies and the peer it brings (openai). */
const LINKED = [...Object.keys(PKG.dependencies), "openai", "typescript", "@types/node"];

let work: string;
let files: string[] = [];
let unpacked: string;

function run(command: string, args: readonly string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

/** A temp app with the unpacked package and links to its dependencies. */
function app(name: string, packageJson: Record<string, unknown>): string {
  const dir = join(work, name);
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@types"), { recursive: true });
  cpSync(unpacked, join(modules, "openai-router"), { recursive: true });
  for (const dep of LINKED) symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, ...packageJson }));
  return dir;
}

const SCRIPT = (load: string) => `${load}
(async () => {
  const fleet = await startFleet({ seed: 1, endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"] }] });
  const router = createRouter({ endpoints: toRouterEndpoints(fleet) });
  const res = await router.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
  const stream = await router.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], max_tokens: 4, stream: true });
  let chunks = 0;
  for await (const _ of stream) chunks++;
  await router.close();
  await fleet.close();
  console.log(JSON.stringify({ object: res.object, chunks, isStream: stream instanceof Stream }));
})();
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "router-package-"));
  const stage = join(work, "stage");
  mkdirSync(stage);
  // Build exactly as `npm run build` does, into the staging folder instead of dist/.
  process.chdir(ROOT);
  for (const options of builds(join(stage, "dist"))) await build({ ...options, config: false, silent: true });
  cpSync(join(ROOT, "package.json"), join(stage, "package.json"));
  for (const entry of PKG.files.filter((f) => f !== "dist"))
    cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
  const pack = run("npm", ["pack", "--json", "--pack-destination", work], stage);
  expect(pack.status, pack.out).toBe(0);
  const [info] = JSON.parse(pack.out.slice(pack.out.indexOf("["))) as {
    filename: string;
    files: { path: string }[];
  }[];
  files = info!.files.map((f) => f.path);
  unpacked = join(work, "unpacked");
  mkdirSync(unpacked);
  const tar = run("tar", ["-xzf", join(work, info!.filename), "-C", unpacked, "--strip-components=1"], work);
  expect(tar.status, tar.out).toBe(0);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// The build, the pack and the apps' runs stay on every Node version: loading the ESM and CJS entry
// points and the CLI is what differs between Node releases (require(esm), module resolution).
describe("the packed package", () => {
  // Breaks if source maps ship again (they pointed at src/, which the package does not contain).
  it.skipIf(nodeRepeat)("ships no source maps", () => {
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.some((f) => f.startsWith("src/"))).toBe(false);
  });

  // Breaks if the CLI bundles its own copy of the router instead of sharing the library's chunks.
  it.skipIf(nodeRepeat)("has one copy of the router in its ESM files, shared by the CLI", () => {
    const esm = files.filter((f) => f.startsWith("dist/") && f.endsWith(".js"));
    const withRouter = esm.filter((f) =>
      /^var Router = class|^class Router\b/m.test(readFileSync(join(unpacked, f), "utf8")),
    );
    expect(withRouter).toHaveLength(1);
    expect(withRouter[0]).not.toBe("dist/cli/index.js");
    const cli = readFileSync(join(unpacked, "dist/cli/index.js"), "utf8");
    expect(cli.startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  // Breaks if a shipped document links to a file the package does not contain.
  it.skipIf(nodeRepeat)("links only to files it contains (or to web addresses)", () => {
    const broken: string[] = [];
    for (const doc of files.filter((f) => f.endsWith(".md"))) {
      const text = readFileSync(join(unpacked, doc), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith("#")) continue;
        const path = posix.normalize(posix.join(posix.dirname(doc), target!.split("#")[0]!));
        const found = files.some((f) => f === path || f.startsWith(`${path.replace(/\/$/, "")}/`));
        if (!found) broken.push(`${doc} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  // Breaks if the ESM entry points cannot be imported, or do not work, in an ESM app.
  it("imports and runs both entry points from an ESM app", () => {
    const dir = app("esm-app", { type: "module" });
    writeFileSync(
      join(dir, "main.js"),
      SCRIPT(`import { createRouter } from "openai-router";
import { startFleet, toRouterEndpoints } from "openai-router/sim";
import { Stream } from "openai/core/streaming";`),
    );
    const result = run(process.execPath, ["main.js"], dir);
    expect(result.status, result.out).toBe(0);
    expect(JSON.parse(result.out)).toEqual({
      object: "chat.completion",
      chunks: expect.any(Number),
      isStream: true,
    });
  }, 60_000);

  // Breaks if the CJS entry points cannot be required, or do not work, in a CJS app.
  it("requires and runs both entry points from a CJS app", () => {
    const dir = app("cjs-app", {});
    writeFileSync(
      join(dir, "main.js"),
      SCRIPT(`const { createRouter } = require("openai-router");
const { startFleet, toRouterEndpoints } = require("openai-router/sim");
const { Stream } = require("openai/core/streaming");`),
    );
    const result = run(process.execPath, ["main.js"], dir);
    expect(result.status, result.out).toBe(0);
    expect(JSON.parse(result.out)).toEqual({
      object: "chat.completion",
      chunks: expect.any(Number),
      isStream: true,
    });
  }, 60_000);

  // Breaks if the package's types do not resolve (or regress) for an ESM, a CJS or a node10 consumer;
  // node10 ignores `exports`, so `openai-router/sim` needs `typesVersions`.
  // tsc's verdict does not depend on the Node that runs it: once, on Node 20 (see node-repeat.ts).
  it.skipIf(nodeRepeat).each([
    ["ESM (nodenext)", { type: "module" }, { module: "NodeNext", moduleResolution: "NodeNext" }],
    ["CJS (nodenext)", {}, { module: "NodeNext", moduleResolution: "NodeNext" }],
    ["node10", {}, { module: "CommonJS", moduleResolution: "node10" }],
  ])(
    "type-checks the consumer fixture in a %s app",
    (label, pkg, resolution) => {
      const dir = app(`types-${label.replace(/\W+/g, "-")}`, pkg);
      cpSync(join(ROOT, "test/types/consumer.ts"), join(dir, "consumer.ts"));
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            lib: ["ES2023", "DOM"],
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: ["node"],
            ...resolution,
          },
          files: ["consumer.ts"],
        }),
      );
      const result = run(process.execPath, [TSC, "-p", "tsconfig.json"], dir);
      // Only our package's declarations and the fixture count (the SDK's own .d.ts are not ours to judge).
      const ours = result.out
        .split("\n")
        .filter((l) => /^(consumer\.ts|node_modules\/openai-router\/)/.test(l));
      expect(ours).toEqual([]);
      expect(result.out).not.toMatch(/Cannot find module 'openai-router/);
    },
    120_000,
  );

  // Breaks if the bin does not run from the installed package (a shebang or a chunk path gone wrong).
  it("runs the CLI from the package", () => {
    const dir = app("cli-app", {});
    const bin = join(dir, "node_modules/openai-router/dist/cli/index.js");
    const version = run(process.execPath, [bin, "--version"], dir);
    expect(version.out.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
    const help = run(process.execPath, [bin, "demo", "--help"], dir);
    expect(help.status).toBe(0);
    expect(help.out).toContain("--rps");
  }, 60_000);
});
