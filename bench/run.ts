/**
 * Runs every benchmark in sequence, each in its own node process (with --expose-gc, so dispatch
 * reports the heap), then prints every budget verdict.
 *
 *   npm run bench                      # quick settings (≤ 90 s in total on an idle machine)
 *   npm run bench -- --full            # the long settings (~10 minutes)
 *   npm run bench -- --only goodput    # a subset, comma-separated (burst is opt-in)
 *   npm run bench -- --save            # keep the figures in bench/results (tracked), see below
 *
 * What runs with which arguments is bench/lib/plan.ts. Each benchmark writes <name>.json
 * (<name>-full.json with --full) into bench/_results, which git ignores, so a run never changes
 * tracked files; `--save` writes bench/results instead, the figures docs/benchmarks.md quotes.
 * Exits 1 when a budget verdict FAILs (figures labelled informative aside) or a benchmark does not
 * finish.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { flags } from "./lib/args.js";
import { benchPlan, DEFAULT_SELECTION, resultSuffix, runPlan } from "./lib/plan.js";
import { printTable, resultsDir } from "./lib/report.js";

const opts = flags("npm run bench -- [--full] [--save] [--only overhead,dispatch,goodput,burst]", {
  full: false,
  save: false,
  only: DEFAULT_SELECTION,
});
const totalStarted = performance.now();
// The children write where report.ts says; --save points them (and this runner) at bench/results.
if (opts.save) process.env.BENCH_SAVE = "1";
const RESULTS_DIR = resultsDir();

const here = dirname(fileURLToPath(import.meta.url));
// tsx's loader, resolved from this package so the children find it whatever the working directory.
const tsx = createRequire(import.meta.url).resolve("tsx");

const outcome = runPlan(benchPlan(opts), RESULTS_DIR, resultSuffix(opts.full), ({ name, args }) => {
  console.log(`\n=== ${name} ${args.join(" ")} ===`);
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", tsx, join(here, `${name}.ts`), ...args],
    { stdio: "inherit" },
  );
  console.log(
    `=== ${name}: ${((performance.now() - started) / 1000).toFixed(0)} s, exit ${result.status} ===`,
  );
  return result.status;
});

const { rows, missing } = outcome.collected;
printTable("All budget verdicts", ["bench", "budget", "measured", "verdict"], rows);
console.log(
  `\n${((performance.now() - totalStarted) / 1000).toFixed(0)} s in total; results in ${RESULTS_DIR}${opts.save ? "" : " (git-ignored; --save keeps them in bench/results)"}`,
);
if (outcome.failedToRun.length > 0)
  console.error(`benchmarks that did not finish: ${outcome.failedToRun.join(", ")}`);
if (missing.length > 0) console.error(`benchmarks without a result: ${missing.join(", ")}`);
const failed = rows.filter((r) => r[3] === "FAIL").length;
if (failed > 0) console.error(`${failed} budget verdict(s) FAILed`);
process.exitCode = outcome.exitCode;
