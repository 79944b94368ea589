import { type Collected, collectVerdicts, exitCodeFor } from "./verdicts.js";

/** One benchmark the runner starts: bench/<name>.ts with these arguments. */
export interface BenchStep {
  readonly name: string;
  readonly args: readonly string[];
}

/** What `npm run bench` runs without `--only`. `burst` is longer and opt-in. */
export const DEFAULT_SELECTION = "overhead,dispatch,goodput";

/**
 * Quick and full arguments per benchmark. Quick settings keep `npm run bench` within 90 s on this
 * 2-core machine when it is idle (measured: overhead ~12 s, dispatch ~20 s, goodput ~33 s, of
 * which 30 s are live traffic); full settings take ~10 minutes.
 */
export const BENCHES: Readonly<
  Record<string, { readonly quick: readonly string[]; readonly full: readonly string[] }>
> = {
  // --quick: the sequential pass of the plain arms, which every plain verdict is on; the concurrent
  // and instrumented passes (no verdict, or their own verdicts) are left to the full run.
  overhead: {
    quick: ["--quick", "--sequential", "150", "--rounds", "3", "--warmup", "50"],
    full: ["--sequential", "2000", "--concurrent", "4000", "--rounds", "6"],
  },
  // The heap check keeps its 100,000 requests (fewer would hide a leak of a few bytes per request);
  // the bottleneck comparison, which has no verdict, is trimmed.
  dispatch: {
    quick: [
      "--requests",
      "10000",
      "--rounds",
      "3",
      "--max-seconds",
      "2",
      "--bottleneck-requests",
      "200",
      "--sequential",
      "500",
      "--concurrent",
      "1000",
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
  // Not shorter: the fleet needs ~12 s to drain its buckets before the window opens, so 30 s of
  // traffic leave an ~18-s window (~50 completions per strategy).
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

/**
 * The benchmarks `--only` selects (comma-separated), each with its quick or full arguments; full
 * runs write `<name>-full.json`, so a quick run never overwrites a full run's figures.
 * @throws RangeError naming the flag when `only` lists a benchmark that does not exist.
 */
export function benchPlan(options: { readonly full: boolean; readonly only: string }): BenchStep[] {
  return options.only.split(",").map((raw) => {
    const name = raw.trim();
    const bench = BENCHES[name];
    if (!bench)
      throw new RangeError(
        `Expected --only to list ${Object.keys(BENCHES).join(", ")}, got ${JSON.stringify(name)}.`,
      );
    return { name, args: options.full ? [...bench.full, "--out", `${name}-full`] : [...bench.quick] };
  });
}

/** The file suffix of a plan's results (see {@link benchPlan}). */
export const resultSuffix = (full: boolean): string => (full ? "-full" : "");

/** What a run came to: the benches that did not exit 0, every verdict, and the exit code. */
export interface RunOutcome {
  readonly failedToRun: readonly string[];
  readonly collected: Collected;
  readonly exitCode: 0 | 1;
}

/**
 * Runs each step with `spawn` (which returns the child's exit status, null when it was killed),
 * then reads the verdicts of those that finished from `dir`.
 */
export function runPlan(
  plan: readonly BenchStep[],
  dir: string,
  suffix: string,
  spawn: (step: BenchStep) => number | null,
): RunOutcome {
  const failedToRun: string[] = [];
  for (const step of plan) if (spawn(step) !== 0) failedToRun.push(step.name);
  const collected = collectVerdicts(
    dir,
    plan.map((s) => s.name).filter((name) => !failedToRun.includes(name)),
    suffix,
  );
  return { failedToRun, collected, exitCode: exitCodeFor(collected, failedToRun) };
}
