/**
 * Runs every benchmark in sequence, each in its own node process (with --expose-gc, so dispatch
 * reports the heap), then prints every budget verdict.
 *
 *   npm run bench                      # quick settings (≤ 90 s in total)
 *   npm run bench -- --full            # the long settings (~10 minutes)
 *   npm run bench -- --only goodput    # a subset, comma-separated
 *   npm run bench -- --save            # keep the figures in bench/results (tracked), see below
 *
 * Each benchmark writes <name>.json (<name>-full.json with --full) into bench/_results, which git
 * ignores, so a run never changes tracked files; `--save` writes bench/results instead, the figures
 * docs/benchmarks.md quotes. Exits 1 when a budget verdict FAILs or a benchmark does not finish.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { flags } from "./lib/args.js";
import { printTable, resultsDir } from "./lib/report.js";
import { collectVerdicts, exitCodeFor } from "./lib/verdicts.js";

const opts = flags("npm run bench -- [--full] [--save] [--only overhead,dispatch,goodput,burst]", {
  full: false,
  save: false,
  only: "overhead,dispatch,goodput",
});
const totalStarted = performance.now();
// The children write where report.ts says; --save points them (and this runner) at bench/results.
if (opts.save) process.env.BENCH_SAVE = "1";
const RESULTS_DIR = resultsDir();

const BENCHES: Readonly<
  Record<string, { readonly quick: readonly string[]; readonly full: readonly string[] }>
> = {
  // Quick settings: ~15 s + ~15 s + ~35 s on an idle 2-core machine, within the 90 s budget of a
  // quick run (the defaults of each script, run alone, are longer).
  overhead: {
    quick: ["--sequential", "200", "--concurrent", "400", "--rounds", "3"],
    full: ["--sequential", "2000", "--concurrent", "4000", "--rounds", "6"],
  },
  dispatch: {
    quick: [
      "--requests",
      "20000",
      "--rounds",
      "3",
      "--max-seconds",
      "2",
      "--bottleneck-requests",
      "400",
      "--sequential",
      "1000",
      "--concurrent",
      "2000",
      "--memory-requests",
      "100000",
    ],
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
    quick: ["--seconds", "30"],
    full: ["--seconds", "180"],
  },
  // ~30 s quick (the two strategies the burst targets bind), ~3 minutes full (all six, both scenarios).
  burst: {
    quick: ["--strategies", "usage-based,least-latency"],
    full: ["--scenario", "both"],
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

const collected = collectVerdicts(
  RESULTS_DIR,
  selected.filter((name) => !failedToRun.includes(name)),
  opts.full ? "-full" : "",
);
printTable("All budget verdicts", ["bench", "budget", "measured", "verdict"], collected.rows);
console.log(
  `\n${((performance.now() - totalStarted) / 1000).toFixed(0)} s in total; results in ${RESULTS_DIR}${opts.save ? "" : " (git-ignored; --save keeps them in bench/results)"}`,
);
if (failedToRun.length > 0) console.error(`benchmarks that did not finish: ${failedToRun.join(", ")}`);
if (collected.missing.length > 0)
  console.error(`benchmarks without a result: ${collected.missing.join(", ")}`);
const failed = collected.rows.filter((r) => r[3] === "FAIL").length;
if (failed > 0) console.error(`${failed} budget verdict(s) FAILed`);
process.exitCode = exitCodeFor(collected, failedToRun);
