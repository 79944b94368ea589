import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Verdict } from "./report.js";

/** A verdict's outcome in the closing table; only `FAIL` fails the run. */
export type Outcome = "PASS" | "FAIL" | "FAIL (informative)";

/** One row of the closing table: bench, budget, measured, outcome. */
export type VerdictRow = readonly [bench: string, budget: string, measured: string, verdict: Outcome];

/**
 * The benches label a figure they report beside a budget, not as one, "(informative" in the budget's
 * text (goodput's and burst's other strategies, overhead's comparison with the plain SDK): a miss
 * there is shown but does not fail the run.
 */
export const isInformative = (budget: string): boolean => budget.includes("(informative");

const outcome = (v: Verdict): Outcome =>
  v.pass ? "PASS" : isInformative(v.budget) ? "FAIL (informative)" : "FAIL";

/** What the runner found: every verdict, and the benches whose results are missing. */
export interface Collected {
  readonly rows: readonly VerdictRow[];
  readonly missing: readonly string[];
}

/** Reads `<dir>/<name><suffix>.json` of each bench that ran; a missing or unreadable file is reported. */
export function collectVerdicts(dir: string, names: readonly string[], suffix: string): Collected {
  const rows: VerdictRow[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const file = join(dir, `${name}${suffix}.json`);
    if (!existsSync(file)) {
      missing.push(name);
      continue;
    }
    try {
      const { verdicts } = JSON.parse(readFileSync(file, "utf8")) as { verdicts: Verdict[] };
      for (const v of verdicts) rows.push([name, v.budget, v.measured, outcome(v)]);
    } catch {
      missing.push(name);
    }
  }
  return { rows, missing };
}

/**
 * The runner's exit code: 1 when a budget FAILed (informative figures aside) or a bench did not
 * finish or left no result.
 */
export function exitCodeFor(collected: Collected, failedToRun: readonly string[]): 0 | 1 {
  if (failedToRun.length > 0 || collected.missing.length > 0) return 1;
  return collected.rows.some((r) => r[3] === "FAIL") ? 1 : 0;
}
