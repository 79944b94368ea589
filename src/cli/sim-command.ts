import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Fleet, type SimEndpoint, SimError, type StartFleetOptions, startFleet } from "../sim/index.js";

/** Where the command writes, and (for embedding and tests) a signal that stops it like Ctrl+C. */
export interface SimCommandIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Aborting it stops the fleet, as SIGINT / SIGTERM do. */
  readonly signal?: AbortSignal | undefined;
}

const USAGE = `Usage: openai-router sim [--config fleet.json] [--seed N] [--json]

Starts a simulated fleet of OpenAI / Azure OpenAI endpoints on 127.0.0.1 and runs until Ctrl+C.

  --config <file>  StartFleetOptions as JSON (default: a 4-endpoint demo fleet)
  --seed <n>       seed of everything random (overrides the config's seed)
  --json           print the endpoints as one JSON line instead of the human summary
  -h, --help       show this help
`;

/** The demo fleet: two Azure regions, a PTU-like deployment with a concurrency cap, and openai.com. */
export const DEFAULT_SIM_FLEET: StartFleetOptions = {
  seed: 1,
  endpoints: [
    {
      name: "east",
      type: "azure",
      deployments: {
        "gpt-4o": "gpt4o-east",
        "gpt-4o-mini": "gpt4o-mini-east",
        "text-embedding-3-small": "emb-east",
      },
      limits: { rpm: 600, tpm: 100_000 },
      latency: { ttftMs: 250, tokensPerSecond: 80, jitter: 0.2 },
    },
    {
      name: "west",
      type: "azure",
      deployments: { "gpt-4o": "gpt4o-west", "text-embedding-3-small": "emb-west" },
      limits: { rpm: 300, tpm: 50_000 },
      latency: { ttftMs: 400, tokensPerSecond: 50, jitter: 0.3 },
    },
    {
      name: "ptu",
      type: "azure",
      deployments: { "gpt-4o": "gpt4o-ptu" },
      limits: { concurrency: 16 },
      latency: { ttftMs: 150, tokensPerSecond: 120, jitter: 0.1 },
    },
    {
      name: "oai",
      type: "openai",
      models: ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small"],
      limits: { rpm: 500, tpm: 200_000 },
      latency: { ttftMs: 300, tokensPerSecond: 70, jitter: 0.25 },
    },
  ],
};

const API_VERSION = "2024-10-21";

function isChatModel(model: string): boolean {
  return !model.includes("embedding");
}

function curlExample(e: SimEndpoint): string | undefined {
  const body = (model?: string) =>
    JSON.stringify({
      ...(model === undefined ? {} : { model }),
      messages: [{ role: "user", content: "Hello" }],
    });
  if (e.type === "openai") {
    const model = e.models.find(isChatModel);
    if (model === undefined) return undefined;
    return [
      `  curl -s ${e.baseURL}/chat/completions \\`,
      `    -H "Authorization: Bearer ${e.apiKey}" -H "Content-Type: application/json" \\`,
      `    -d '${body(model)}'`,
    ].join("\n");
  }
  const model = Object.keys(e.deployments).find(isChatModel);
  if (model === undefined) return undefined;
  return [
    `  curl -s "${e.endpoint}/openai/deployments/${e.deployments[model]}/chat/completions?api-version=${API_VERSION}" \\`,
    `    -H "api-key: ${e.apiKey}" -H "Content-Type: application/json" \\`,
    `    -d '${body()}'`,
  ].join("\n");
}

function summary(fleet: Fleet, options: StartFleetOptions): string {
  const width = Math.max(...fleet.endpoints.map((e) => e.name.length));
  const lines = [
    `openai-router sim: ${fleet.endpoints.length} simulated endpoint(s), seed ${options.seed ?? 0}`,
    "",
  ];
  const indent = " ".repeat(width + 12);
  fleet.endpoints.forEach((e, i) => {
    const config = options.endpoints[i];
    const address = e.type === "openai" ? `baseURL  ${e.baseURL}` : `endpoint ${e.endpoint}`;
    lines.push(`  ${e.name.padEnd(width)}  ${e.type.padEnd(6)}  ${address}`);
    lines.push(`${indent}key      ${e.apiKey}`);
    if (e.type === "openai") lines.push(`${indent}models   ${e.models.join(", ")}`);
    else {
      const pairs = Object.entries(e.deployments).map(([model, deployment]) => `${model} → ${deployment}`);
      lines.push(`${indent}deploy   ${pairs.join(", ")}`);
    }
    const limits = config?.limits;
    if (limits !== undefined) {
      const parts = [
        limits.rpm === undefined ? "" : `rpm ${limits.rpm}`,
        limits.tpm === undefined ? "" : `tpm ${limits.tpm}`,
        limits.concurrency === undefined ? "" : `concurrency ${limits.concurrency}`,
      ].filter((p) => p !== "");
      if (parts.length > 0) lines.push(`${indent}limits   ${parts.join(", ")}`);
    }
    const latency = config?.latency;
    if (latency !== undefined) {
      const parts = [
        `ttft ${latency.ttftMs ?? 0} ms`,
        latency.tokensPerSecond === undefined ? "instant output" : `${latency.tokensPerSecond} tok/s`,
        latency.jitter ? `jitter ±${Math.round(latency.jitter * 100)}%` : "",
      ].filter((p) => p !== "");
      lines.push(`${indent}latency  ${parts.join(", ")}`);
    }
  });
  const examples = [
    fleet.endpoints.find((e) => e.type === "openai"),
    fleet.endpoints.find((e) => e.type === "azure"),
  ]
    .map((e) => (e === undefined ? undefined : curlExample(e)))
    .filter((x): x is string => x !== undefined);
  if (examples.length > 0) lines.push("", "Try:", examples.join("\n\n"));
  lines.push("", "Press Ctrl+C to stop.", "");
  return lines.join("\n");
}

async function loadConfig(path: string): Promise<StartFleetOptions> {
  const text = await readFile(resolve(path), "utf8");
  return JSON.parse(text) as StartFleetOptions;
}

function waitForStop(signal: AbortSignal | undefined): { promise: Promise<string>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<string>((resolveStop) => {
    const onSignal = (name: string) => () => resolveStop(name);
    const onInt = onSignal("SIGINT");
    const onTerm = onSignal("SIGTERM");
    const onAbort = () => resolveStop("abort");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) resolveStop("abort");
    dispose = () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      signal?.removeEventListener("abort", onAbort);
    };
  });
  return { promise, dispose };
}

/**
 * `openai-router sim`: starts a simulated fleet (from `--config`, or the demo fleet), prints how to
 * reach each endpoint, and runs until SIGINT / SIGTERM (or `io.signal`), then closes it.
 * `argv` is what follows `sim` on the command line (a leading "sim" is tolerated).
 *
 * @returns the exit code: 0 after a clean stop, 1 for a bad config, 2 for bad arguments.
 * @example
 * ```ts
 * process.exitCode = await runSimCommand(["--seed", "7"]);
 * ```
 */
export async function runSimCommand(
  argv: readonly string[],
  io: SimCommandIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const raw = argv[0] === "sim" ? argv.slice(1) : [...argv];
  // `--seed -1` as `--seed=-1`: parseArgs would take `-1` for an option.
  const args = raw.flatMap((arg, i) =>
    raw[i - 1] === "--seed" && /^-\d/.test(arg)
      ? []
      : arg === "--seed" && /^-\d/.test(raw[i + 1] ?? "")
        ? [`--seed=${raw[i + 1]}`]
        : [arg],
  );
  let values: {
    config?: string | undefined;
    seed?: string | undefined;
    json?: boolean | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        seed: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed) || values.seed.trim() === "") {
      io.stderr.write(
        `--seed must be an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got "${values.seed}"\n`,
      );
      return 2;
    }
  }

  let options: StartFleetOptions;
  try {
    options = values.config === undefined ? DEFAULT_SIM_FLEET : await loadConfig(values.config);
  } catch (e) {
    io.stderr.write(`Cannot read ${values.config}: ${(e as Error).message}\n`);
    return 1;
  }
  if (seed !== undefined) options = { ...options, seed };

  const stop = waitForStop(io.signal);
  let fleet: Fleet;
  try {
    fleet = await startFleet(options);
  } catch (e) {
    stop.dispose();
    io.stderr.write(`${e instanceof SimError ? e.message : String(e)}\n`);
    return 1;
  }
  try {
    io.stdout.write(
      values.json
        ? `${JSON.stringify({ seed: options.seed ?? 0, endpoints: fleet.endpoints })}\n`
        : summary(fleet, options),
    );
    const why = await stop.promise;
    if (!values.json) io.stdout.write(`\nStopping (${why})…\n`);
  } finally {
    stop.dispose();
    await fleet.close();
  }
  return 0;
}
