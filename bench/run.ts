/**
 * Runs every benchmark in sequence, each in its own node process (with --expose-gc, so dispatch
 * reports the heap), then prints every budget verdict.
 *
 *   npm run bench                      # quick settings (~3 minutes on 2 busy cores)
 *   npm run bench -- --full            # the long settings (~10 minutes)
 *   npm run bench -- --only goodput    # a subset, comma-separated
 *
 * Each benchmark writes bench/results/<name>.json (<name>-full.json with --full); docs/benchmarks.md
 * explains the figures.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { flags } from "./lib/args.js";
import { printTable, RESULTS_DIR, type Verdict } from "./lib/report.js";

const opts = flags("npm run bench -- [--full] [--only overhead,dispatch,goodput]", {
  full: false,
  only: "overhead,dispatch,goodput",
});

const BENCHES: Readonly<
  Record<string, { readonly quick: readonly string[]; readonly full: readonly string[] }>
> = {
  overhead: {
    quick: [],
    full: ["--sequential", "2000", "--concurrent", "4000", "--rounds", "6"],
  },
  dispatch: {
    quick: [],
    full: [
      "--requests",
      "200000",
      "--rounds",
      "5",
      "--bottleneck-requests",
      "3000",
      "--memory-requests",
      "1000000",
    ],
  },
  goodput: {
    quick: [],
    full: ["--seconds", "180"],
  },
};

const here = dirname(fileURLToPath(import.meta.url));
// tsx's loader, resolved from this package so the children find it whatever the working directory.
const tsx = createRequire(import.meta.url).resolve("tsx");

const selected = opts.only.split(",").map((s) => s.trim());
const failedToRun: string[] = [];
for (const name of selected) {
  const bench = BENCHES[name];
  if (!bench)
    throw new RangeError(
      `Expected --only to list ${Object.keys(BENCHES).join(", ")}, got ${JSON.stringify(name)}.`,
    );
  // Full runs keep their own result files, so a quick run does not overwrite them.
  const args = opts.full ? [...bench.full, "--out", `${name}-full`] : bench.quick;
  console.log(`\n=== ${name} ${args.join(" ")} ===`);
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", tsx, join(here, `${name}.ts`), ...args],
    {
      stdio: "inherit",
    },
  );
  console.log(
    `=== ${name}: ${((performance.now() - started) / 1000).toFixed(0)} s, exit ${result.status} ===`,
  );
  if (result.status !== 0) failedToRun.push(name);
}

const rows: string[][] = [];
for (const name of selected) {
  if (failedToRun.includes(name)) continue;
  const file = join(RESULTS_DIR, `${name}${opts.full ? "-full" : ""}.json`);
  const { verdicts } = JSON.parse(readFileSync(file, "utf8")) as { verdicts: Verdict[] };
  for (const v of verdicts) rows.push([name, v.budget, v.measured, v.pass ? "PASS" : "FAIL"]);
}
printTable("All budget verdicts", ["bench", "budget", "measured", "verdict"], rows);
if (failedToRun.length > 0) {
  console.error(`\nbenchmarks that did not finish: ${failedToRun.join(", ")}`);
  process.exitCode = 1;
}
