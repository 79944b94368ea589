import { parseArgs } from "node:util";
import { strategyNames } from "../index.js";
import type { StrategyName } from "../strategies/types.js";

/** The demo's flags once checked. */
export interface DemoFlags {
  readonly strategy: StrategyName;
  /** @unit seconds */
  readonly durationSec: number;
  /** @unit requests per second */
  readonly rps: number;
  readonly seed: number;
  readonly plain: boolean;
  /** Serve the live web dashboard on 127.0.0.1:`port` while the demo runs. */
  readonly web: boolean;
  readonly port: number;
}

/** The range each numeric flag accepts (a value outside it is a flag error, never a hang). */
export const DEMO_LIMITS = {
  /** @unit seconds: up to a day. */
  duration: { min: 1, max: 86_400, integer: false },
  /** @unit requests per second: the demo fleet serves ~45 req/s; 500 is ten times that. */
  rps: { min: 0.1, max: 500, integer: false },
  /** Seeds are 32-bit unsigned integers (the fleet's PRNG state). */
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
  /** The web dashboard's port (0: any free port). */
  port: { min: 0, max: 65_535, integer: true },
} as const;

/** The demo's help text (also what `openai-router --help` shows under `demo`). */
export const DEMO_HELP = `  demo   Live demo: a simulated fleet, a mixed load, the router's dashboard.
    --strategy <name>   ${strategyNames.slice(0, 4).join(" | ")}
                        | ${strategyNames.slice(4).join(" | ")} (default least-latency)
    --duration <s>      how long to run, ${DEMO_LIMITS.duration.min}–${DEMO_LIMITS.duration.max} (default 30)
    --rps <n>           offered requests per second, ${DEMO_LIMITS.rps.min}–${DEMO_LIMITS.rps.max} (default 25)
    --seed <n>          seed of the load and fleet, an integer ≥ 0 (default 1)
    --plain             periodic plain lines instead of the live dashboard
    --web               also serve a live web dashboard on 127.0.0.1
    --port <n>          web dashboard port, 0 for any free one (default 8787)
    --replicas <n>      n router processes (2–16) sharing one quota via a local
                        redis-server; only --duration, --rps and --plain apply
    -h, --help          this help
  Ctrl-C stops the load early; the demo still drains and prints its summary.
  NO_COLOR=1 turns colour off (the dashboard still redraws in place).
`;

/** What parsing the demo's arguments gave: flags to run with, a request for help, or a flag error. */
export type DemoArgs =
  | { readonly kind: "run"; readonly flags: DemoFlags }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/**
 * Parses and checks `openai-router demo` arguments.
 * @example
 * parseDemoArgs(["--rps", "40"]) // { kind: "run", flags: { rps: 40, … } }
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: joinNegativeValues(argv),
      options: {
        strategy: { type: "string" },
        duration: { type: "string" },
        rps: { type: "string" },
        seed: { type: "string" },
        plain: { type: "boolean" },
        web: { type: "boolean" },
        port: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: "error", message: (error as Error).message };
  }
  if (values.help) return { kind: "help" };
  const strategy = (values.strategy as string | undefined) ?? "least-latency";
  if (!(strategyNames as readonly string[]).includes(strategy))
    return {
      kind: "error",
      message: `--strategy must be one of ${strategyNames.join(", ")}, got "${strategy}"`,
    };
  const numbers: Record<keyof typeof DEMO_LIMITS, number> = { duration: 30, rps: 25, seed: 1, port: 8787 };
  if (values.port !== undefined && !values.web)
    return { kind: "error", message: "--port is the web dashboard's: add --web" };
  for (const name of Object.keys(DEMO_LIMITS) as (keyof typeof DEMO_LIMITS)[]) {
    const raw = values[name] as string | undefined;
    if (raw === undefined) continue;
    const { min, max, integer } = DEMO_LIMITS[name];
    const n = raw.trim() === "" ? Number.NaN : Number(raw);
    const kind = integer ? "an integer" : "a number";
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max)
      return { kind: "error", message: `--${name} must be ${kind} from ${min} to ${max}, got "${raw}"` };
    numbers[name] = n;
  }
  return {
    kind: "run",
    flags: {
      strategy: strategy as StrategyName,
      durationSec: numbers.duration,
      rps: numbers.rps,
      seed: numbers.seed,
      plain: values.plain === true,
      web: values.web === true,
      port: numbers.port,
    },
  };
}

const VALUE_FLAGS = new Set(["--strategy", "--duration", "--rps", "--seed", "--port"]);

/** `--rps -5` as `--rps=-5`: parseArgs would take `-5` for an option and give a confusing message. */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (VALUE_FLAGS.has(arg) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else out.push(arg);
  }
  return out;
}
