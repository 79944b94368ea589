import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Where results go: bench/_results (git-ignored) unless `BENCH_SAVE=1` (`npm run bench -- --save`)
 * asks for bench/results, the tracked figures the docs quote; `BENCH_RESULTS_DIR` overrides both.
 */
export function resultsDir(): string {
  return (
    process.env.BENCH_RESULTS_DIR ?? join(BENCH_DIR, process.env.BENCH_SAVE === "1" ? "results" : "_results")
  );
}

/** {@link resultsDir} as it was when this process started. */
export const RESULTS_DIR = resultsDir();

/** A table cell: numbers are printed as given (format them before), strings as they are. */
export type Cell = string | number;

/** A cell that reads as a figure (number, share, ratio, duration), so its column is right-aligned. */
const FIGURE = /^[-+]?[\d,.–]+\s*(%|×|µs|ms|s|MB|req\/s)?( \(.*\))?$/;

/** Prints an aligned text table: columns of figures right-aligned, text columns left-aligned. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const right = header.map(
    (_, i) => i > 0 && rows.every((r) => (r[i] ?? "") === "" || FIGURE.test(String(r[i]))),
  );
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(cells[0] ?? []));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of cells.slice(1)) console.log(line(r));
}

/** Formats a number with a fixed number of decimals and thousands separators. */
export function fmt(value: number, decimals = 0): string {
  if (Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Formats a ratio as a percentage. */
export function pct(ratio: number, decimals = 1): string {
  return `${fmt(ratio * 100, decimals)}%`;
}

/** What the machine looked like when a benchmark ran (other processes' load matters on 2 cores). */
export function machineInfo(): Record<string, unknown> {
  const list = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: list.length,
    cpuModel: list[0]?.model ?? "unknown",
    totalMemMB: Math.round(totalmem() / 2 ** 20),
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    gcExposed: typeof globalThis.gc === "function",
  };
}

/** Writes `bench/results/<name>.json` with the settings, the machine and the figures. */
export function writeResult(name: string, payload: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const body = { bench: name, at: new Date().toISOString(), machine: machineInfo(), ...payload };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return file;
}

/** A budget check, printed as PASS/FAIL and kept in the JSON. */
export interface Verdict {
  readonly budget: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** Prints the verdicts of a run. */
export function printVerdicts(verdicts: readonly Verdict[]): void {
  printTable(
    "Budget verdicts",
    ["budget", "measured", "verdict"],
    verdicts.map((v) => [v.budget, v.measured, v.pass ? "PASS" : "FAIL"]),
  );
}
