import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { flags } from "../../bench/lib/args.js";
import { type BenchStep, benchPlan, DEFAULT_SELECTION, runPlan } from "../../bench/lib/plan.js";

const BENCH = join(import.meta.dirname, "../../bench");
const tsx = createRequire(import.meta.url).resolve("tsx");
const run = promisify(execFile);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bench-plan-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const quick = () => benchPlan({ full: false, only: DEFAULT_SELECTION });
const argsOf = (plan: readonly BenchStep[], name: string) => plan.find((s) => s.name === name)?.args ?? [];
/** The value following `--flag` in a step's arguments. */
const flag = (args: readonly string[], name: string) => args[args.indexOf(`--${name}`) + 1];

describe("npm run bench's quick plan", () => {
  // Breaks if the default run grows a bench (burst is opt-in: ~30 s more) or loses one.
  it("runs overhead, dispatch and goodput, each on its default result file", () => {
    const plan = quick();
    expect(plan.map((s) => s.name)).toEqual(["overhead", "dispatch", "goodput"]);
    for (const step of plan) expect(step.args).not.toContain("--out");
  });

  // Breaks if the quick run goes back to the instrumented and concurrent passes (62 s alone) or to
  // more traffic than fits in 90 s.
  it("keeps to the settings sized for 90 s", () => {
    const plan = quick();
    const overhead = argsOf(plan, "overhead");
    expect(overhead).toContain("--quick");
    expect(Number(flag(overhead, "sequential"))).toBeLessThanOrEqual(200);
    expect(Number(flag(overhead, "rounds"))).toBeLessThanOrEqual(3);
    expect(Number(flag(argsOf(plan, "goodput"), "seconds"))).toBeLessThanOrEqual(30);
    const dispatch = argsOf(plan, "dispatch");
    expect(Number(flag(dispatch, "requests"))).toBeLessThanOrEqual(20_000);
    // The heap verdict needs enough requests to see a leak of a few bytes per request.
    expect(Number(flag(dispatch, "memory-requests"))).toBeGreaterThanOrEqual(100_000);
  });

  // Breaks if a full run overwrote the quick run's files, or the quick run the full one's.
  it("full runs write <name>-full and drop --quick", () => {
    const plan = benchPlan({ full: true, only: "overhead,burst" });
    expect(plan.map((s) => s.name)).toEqual(["overhead", "burst"]);
    for (const step of plan) {
      expect(step.args).not.toContain("--quick");
      expect(flag(step.args, "out")).toBe(`${step.name}-full`);
    }
  });

  it("refuses a bench that does not exist, naming the flag", () => {
    expect(() => benchPlan({ full: false, only: "overhead,nope" })).toThrow(/--only.*"nope"/);
  });

  // Breaks if a plan's argument is one its script does not accept (the script would exit 1 at its
  // first line after the others ran): each script parses the plan's arguments strictly before
  // --help stops it, so nothing is measured here (the quick plan only: each start costs seconds).
  it("passes each script only flags it accepts", async () => {
    const steps = quick();
    const runs = await Promise.all(
      steps.map(({ name, args }) =>
        run(process.execPath, ["--import", tsx, join(BENCH, `${name}.ts`), ...args, "--help"], {
          timeout: 90_000,
        }).then(
          ({ stdout }) => ({ name, args, status: 0, stdout }),
          (e: { code?: number; stderr?: string }) => ({ name, args, status: e.code, stdout: e.stderr }),
        ),
      ),
    );
    for (const r of runs) {
      expect(r).toMatchObject({ status: 0 });
      expect(r.stdout).toContain("--");
    }
  }, 120_000);

  it("flags() refuses a flag its script does not declare", () => {
    expect(() => flags("usage", { seconds: 1 }, ["--secnds", "2"])).toThrow(/secnds/);
  });
});

describe("npm run bench's exit code", () => {
  const result = (name: string, verdicts: { budget: string; measured: string; pass: boolean }[]) =>
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ bench: name, verdicts }));

  // Breaks if the runner exits 0 with a FAILed budget, or fails on a figure labelled informative.
  it("is 1 when a budget FAILs, 0 when only informative figures miss", () => {
    const plan = quick();
    const ran: string[] = [];
    const all = runPlan(plan, dir, "", ({ name }) => {
      ran.push(name);
      result(name, [
        { budget: `${name} ≤ 1`, measured: "0.5", pass: true },
        { budget: `${name} vs x (informative)`, measured: "2", pass: false },
      ]);
      return 0;
    });
    expect(ran).toEqual(["overhead", "dispatch", "goodput"]);
    expect(all.collected.rows.map((r) => r[3])).toEqual([
      "PASS",
      "FAIL (informative)",
      "PASS",
      "FAIL (informative)",
      "PASS",
      "FAIL (informative)",
    ]);
    expect(all.exitCode).toBe(0);

    const failing = runPlan(plan, dir, "", ({ name }) => {
      result(name, [{ budget: `${name} ≤ 1`, measured: "3", pass: name !== "dispatch" }]);
      return 0;
    });
    expect(failing.collected.rows.filter((r) => r[3] === "FAIL").map((r) => r[0])).toEqual(["dispatch"]);
    expect(failing.exitCode).toBe(1);
  });

  // Breaks if a crashed bench's stale result from an earlier run is read as this run's figures.
  it("is 1 when a bench exits non-zero or is killed, without reading its old result", () => {
    const plan = quick();
    for (const { name } of plan) result(name, [{ budget: "x", measured: "1", pass: true }]);
    const outcome = runPlan(plan, dir, "", ({ name }) =>
      name === "dispatch" ? 1 : name === "goodput" ? null : 0,
    );
    expect(outcome.failedToRun).toEqual(["dispatch", "goodput"]);
    expect(outcome.collected.rows.map((r) => r[0])).toEqual(["overhead"]);
    expect(outcome.exitCode).toBe(1);
  });

  it("is 1 when a bench exits 0 but leaves no result", () => {
    const outcome = runPlan(benchPlan({ full: true, only: "goodput" }), dir, "-full", () => 0);
    expect(outcome.collected.missing).toEqual(["goodput"]);
    expect(outcome.exitCode).toBe(1);
  });
});
