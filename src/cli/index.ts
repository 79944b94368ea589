import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { strategyNames } from "../strategies/index.js";
import type { StrategyName } from "../strategies/types.js";
import { runDemo } from "./demo.js";
import { runSimCommand } from "./sim-command.js";

const STRATEGIES = strategyNames;

const HELP = `openai-router <command> [options]

Commands:
  demo   Live demo: a simulated fleet, a mixed load through the router, a dashboard.
           --strategy <name>   ${STRATEGIES.join(" | ")} (default least-latency)
           --duration <s>      how long to run (default 30)
           --rps <n>           offered requests per second (default 25)
           --seed <n>          seed of the load and the fleet (default 1)
           --plain             periodic plain lines instead of the live dashboard
  sim    Run a simulated OpenAI / Azure OpenAI fleet in the foreground.
           --config <file>     fleet options as JSON (default: a 4-endpoint fleet)
           --seed <n>          seed of everything random (overrides the config's seed)
           --json              print the endpoints as one JSON line, for scripts
  serve  Run the router as an OpenAI-compatible HTTP gateway: serve --config router.yaml (serve --help).

  --help, --version
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function fail(message: string): never {
  process.stderr.write(`openai-router: ${message}\n\n${HELP}`);
  process.exit(2);
}

function numberFlag(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number ≥ ${min}, got "${value}"`);
  return n;
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
  if (command !== "demo") fail(`unknown command "${command}"`);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        strategy: { type: "string" },
        duration: { type: "string" },
        rps: { type: "string" },
        seed: { type: "string" },
        plain: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const strategy = (values.strategy as string | undefined) ?? "least-latency";
  if (!STRATEGIES.includes(strategy as StrategyName))
    fail(`--strategy must be one of ${STRATEGIES.join(", ")}`);
  const live = process.stdout.isTTY === true && !values.plain && !process.env.CI && !process.env.NO_COLOR;
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  await runDemo({
    strategy: strategy as StrategyName,
    durationSec: numberFlag(values.duration as string | undefined, "duration", 30, 1),
    rps: numberFlag(values.rps as string | undefined, "rps", 25, 0.1),
    seed: numberFlag(values.seed as string | undefined, "seed", 1, 0),
    out: process.stdout,
    live,
    signal: controller.signal,
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`openai-router: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
