#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { runDemo } from "./demo.js";
import { DEMO_HELP, parseDemoArgs } from "./demo-flags.js";
import { parseReplicasArgs, REPLICAS_HELP, runReplicasDemo } from "./replicas-demo.js";
import { runSimCommand } from "./sim-command.js";

async function replicasDemo(argv: readonly string[]): Promise<void> {
  const flags = parseReplicasArgs(argv);
  if (typeof flags === "string") fail(flags, REPLICAS_HELP);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const live = process.stdout.isTTY === true && !flags.plain && !process.env.CI;
  process.exitCode = await runReplicasDemo(flags, process.stdout, live, controller.signal);
}

const HELP = `openai-router <command> [options]

Commands:
${DEMO_HELP}  sim    Run a simulated OpenAI / Azure OpenAI fleet in the foreground.
    --config <file>     fleet options as JSON (default: a 4-endpoint fleet)
    --seed <n>          seed of everything random (overrides the config's seed)
    --json              print the endpoints as one JSON line, for scripts
  serve  Run the router as an OpenAI-compatible HTTP gateway:
    serve --config router.yaml (serve --help lists its flags)

  --help, --version
`;

const DEMO_USAGE = `openai-router demo [options]\n\n${DEMO_HELP}`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function fail(message: string, usage: string): never {
  process.stderr.write(`openai-router: ${message}\n\n${usage}`);
  process.exit(2);
}

/** The cursor the live dashboard hides; shown again on every way out. */
const SHOW_CURSOR = "\x1b[?25h";

async function demo(argv: readonly string[]): Promise<void> {
  // Many router processes on one quota: its own flags and module (src/cli/replicas-demo.ts).
  if (argv.some((a) => a === "--replicas" || a.startsWith("--replicas="))) return replicasDemo(argv);
  const args = parseDemoArgs(argv);
  if (args.kind === "help") {
    process.stdout.write(DEMO_USAGE);
    return;
  }
  if (args.kind === "error") fail(args.message, DEMO_USAGE);
  const { flags } = args;
  const live = process.stdout.isTTY === true && !flags.plain && !process.env.CI;
  // NO_COLOR (no-color.org) turns colour off, and nothing else: a terminal still gets the live view.
  const color = live && !process.env.NO_COLOR;
  const controller = new AbortController();
  let firstStopAt = 0;
  const stop = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      firstStopAt = Date.now();
      controller.abort();
      // Said where it cannot break the live redraw (which ends with the summary anyway); it also
      // tells a script or a test that the signal was handled.
      if (!live) process.stderr.write("openai-router: stopping: draining the requests in flight\n");
      return;
    }
    // One Ctrl-C can arrive twice (the terminal's and a wrapper's relay): only a later one forces.
    if (Date.now() - firstStopAt < 1_000) return;
    if (live) process.stdout.write(SHOW_CURSOR);
    process.stderr.write("\nopenai-router: stopped before the drain finished\n");
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  // Persistent handlers: a second signal must not fall back to Node's default (exit, cursor hidden).
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    await runDemo({
      strategy: flags.strategy,
      durationSec: flags.durationSec,
      rps: flags.rps,
      seed: flags.seed,
      out: process.stdout,
      live,
      color,
      signal: controller.signal,
      web: flags.web ? { port: flags.port } : undefined,
    });
  } finally {
    if (live) process.stdout.write(SHOW_CURSOR);
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return;
  }
  if (command === "--version" || command === "-v") {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (command === "sim") {
    process.exitCode = await runSimCommand(rest);
    return;
  }
  if (command === "serve") {
    process.exitCode = await (await import("./serve.js")).runServe(rest);
    return;
  }
  if (command !== "demo") fail(`unknown command "${command}"`, HELP);
  await demo(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (process.stdout.isTTY) process.stdout.write(SHOW_CURSOR);
  process.stderr.write(`openai-router: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
