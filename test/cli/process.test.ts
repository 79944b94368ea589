/**
 * The CLI as a user runs it: real child processes (`npm start`, the CLI under tsx), a real pty from
 * util-linux `script` for the live dashboard, a real Ctrl-C typed into that pty.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ESC = String.fromCharCode(27);
const HIDE = `${ESC}[?25l`;
const SHOW = `${ESC}[?25h`;
/** Colour codes the dashboard uses (bold, dim, foreground colours). */
const COLOUR = new RegExp(`${ESC}\\[(1|2|3[0-9])m`);
const hasScript = spawnSync("script", ["--version"]).status === 0;

interface Run {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

function start(command: string, args: readonly string[], env: Record<string, string | undefined> = {}): Run {
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, CI: "", NO_COLOR: "", FORCE_COLOR: "", ...env },
  });
  let text = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString("utf8");
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      const found = () => (typeof pattern === "string" ? text.includes(pattern) : pattern.test(text));
      return new Promise<void>((resolve, reject) => {
        if (found()) return resolve();
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)}; output so far:\n${text}`));
        }, timeoutMs);
        const check = () => {
          if (!found()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
      });
    },
  };
}

/** A command in a pseudo-terminal: `script` runs it on a pty and relays our stdin (Ctrl-C = \x03). */
function inPty(command: string, env: Record<string, string | undefined> = {}): Run {
  return start("script", ["-qfec", command, "/dev/null"], env);
}

describe("openai-router demo --help", () => {
  // Breaks if `npm start -- --help` says "Unknown option '--help'" and exits 2 (as it did).
  it("prints the flags under npm start and exits 0", async () => {
    const run = start("npm", ["start", "--silent", "--", "--help"]);
    const { code } = await run.exited;
    expect(code).toBe(0);
    for (const flag of ["--strategy", "--duration", "--rps", "--seed", "--plain"])
      expect(run.output()).toContain(flag);
  }, 60_000);

  // Breaks if `npm run cli -- …` (the README's way to run the CLI in a clone) does not reach the CLI.
  it("runs the CLI from the sources with npm run cli", async () => {
    const run = start("npm", ["run", "cli", "--silent", "--", "--version"]);
    expect((await run.exited).code).toBe(0);
    expect(run.output().trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 60_000);

  // Breaks if -h is not the short form, or a bad value hangs / shows an internal error.
  it("takes -h, and refuses an out-of-range value with a flag error and exit code 2", async () => {
    const help = start(process.execPath, ["--import", "tsx", "src/cli/index.ts", "demo", "-h"]);
    expect((await help.exited).code).toBe(0);
    expect(help.output()).toContain("openai-router demo [options]");
    const bad = start(process.execPath, ["--import", "tsx", "src/cli/index.ts", "demo", "--rps", "1e9"]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.output()).toMatch(/^openai-router: --rps must be a number from 0\.1 to 500, got "1e9"/);
  }, 60_000);
});

describe.skipIf(!hasScript)("openai-router demo in a terminal", () => {
  // Breaks if Ctrl-C under npm start kills the demo before it drains (tsx's relay used to), or if
  // the cursor the dashboard hides is not shown again.
  it("drains on Ctrl-C under npm start, prints the summary and restores the cursor", async () => {
    const run = inPty("npm start -- --duration 60 --rps 20");
    await run.waitFor(/[3-9]\.\ds \/ 60s/); // the dashboard has run for a few seconds
    run.child.stdin?.write("\x03");
    const { code } = await run.exited;
    const out = run.output();
    expect(out).toContain("summary");
    expect(out).toContain("unexpected failures: 0");
    expect(out.lastIndexOf(SHOW)).toBeGreaterThan(out.lastIndexOf(HIDE));
    expect(out).not.toContain("stopped before the drain finished");
    expect(code).not.toBeNull();
  }, 60_000);

  // Breaks if NO_COLOR also turns off the live redraw (it did), or leaves colour on.
  it("keeps the live dashboard without colour under NO_COLOR", async () => {
    const run = inPty("node --import tsx src/cli/index.ts demo --duration 2 --rps 10", { NO_COLOR: "1" });
    await run.exited;
    const out = run.output();
    expect(out).toContain(HIDE); // live: the cursor is hidden while redrawing in place
    expect(out).toMatch(new RegExp(`${ESC}\\[\\d+F`)); // and the view is redrawn in place
    expect(out).toContain("summary");
    expect(out).not.toMatch(COLOUR);
  }, 60_000);

  // Breaks if the dashboard is painted without NO_COLOR (the inverse check of the test above).
  it("paints the dashboard when colour is allowed", async () => {
    const run = inPty("node --import tsx src/cli/index.ts demo --duration 2 --rps 10");
    await run.exited;
    expect(run.output()).toMatch(COLOUR);
  }, 60_000);
});

describe("openai-router demo stopped by a signal", () => {
  // Breaks if a second SIGINT close behind the first (the terminal's and a wrapper's relay) kills
  // the demo through Node's default handler instead of letting it drain.
  it("drains once for a doubled SIGINT and prints the summary", async () => {
    const run = start(process.execPath, [
      "--import",
      "tsx",
      "src/cli/index.ts",
      "demo",
      "--duration",
      "60",
      "--plain",
    ]);
    await run.waitFor(/\[\d+\.\ds\] {3}openai state=/);
    run.child.kill("SIGINT");
    // The second one is sent once the demo says it handled the first (two sent at once would merge
    // into one): it then lands within the second after the first, as a wrapper's relay does.
    await run.waitFor("openai-router: stopping: draining the requests in flight");
    run.child.kill("SIGINT");
    const { code, signal } = await run.exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(run.output()).toContain("summary");
    expect(run.output()).not.toContain("stopped before the drain finished");
  }, 60_000);
});
