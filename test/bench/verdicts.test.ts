import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { collectVerdicts, exitCodeFor } from "../../bench/lib/verdicts.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bench-verdicts-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

const write = (name: string, verdicts: { budget: string; measured: string; pass: boolean }[]) =>
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ bench: name, verdicts }));

describe("npm run bench's verdicts", () => {
  // Breaks if a FAILed budget still exits 0 (the runner used to fail only when a bench crashed).
  it("exits 1 when a budget FAILs, 0 when all PASS", () => {
    write("a", [{ budget: "x ≤ 1", measured: "0.5", pass: true }]);
    write("b", [
      { budget: "y ≥ 2", measured: "3", pass: true },
      { budget: "z ≥ 2", measured: "1", pass: false },
    ]);
    const all = collectVerdicts(dir, ["a", "b"], "");
    expect(all.rows).toEqual([
      ["a", "x ≤ 1", "0.5", "PASS"],
      ["b", "y ≥ 2", "3", "PASS"],
      ["b", "z ≥ 2", "1", "FAIL"],
    ]);
    expect(exitCodeFor(all, [])).toBe(1);
    expect(exitCodeFor(collectVerdicts(dir, ["a"], ""), [])).toBe(0);
  });

  // Breaks if a bench that crashed or left no result file passes as "no FAIL".
  it("exits 1 when a bench did not finish or left no result", () => {
    write("a", [{ budget: "x", measured: "1", pass: true }]);
    writeFileSync(join(dir, "broken.json"), "{ not json");
    const collected = collectVerdicts(dir, ["a", "gone", "broken"], "");
    expect(collected.missing).toEqual(["gone", "broken"]);
    expect(exitCodeFor(collected, [])).toBe(1);
    expect(exitCodeFor(collectVerdicts(dir, ["a"], ""), ["crashed"])).toBe(1);
  });

  // Breaks if a run writes the tracked bench/results without --save (BENCH_SAVE=1).
  it("writes results to the git-ignored bench/_results unless asked to save", async () => {
    vi.stubEnv("BENCH_RESULTS_DIR", "");
    delete process.env.BENCH_RESULTS_DIR; // unset (restored by unstubAllEnvs)
    vi.stubEnv("BENCH_SAVE", "");
    const { resultsDir } = await import("../../bench/lib/report.js");
    expect(resultsDir()).toMatch(/[\\/]bench[\\/]_results$/);
    vi.stubEnv("BENCH_SAVE", "1");
    expect(resultsDir()).toMatch(/[\\/]bench[\\/]results$/);
    vi.stubEnv("BENCH_RESULTS_DIR", dir);
    expect(resultsDir()).toBe(dir);
  });
});
