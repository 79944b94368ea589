import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";
import { loadConfigFile } from "../gateway/config-file.js";
import { createGateway, isLoopback } from "../gateway/gateway.js";
import { mountedMetrics } from "../gateway/mounts.js";
import { createDashboardHandler } from "../metrics/web/handler.js";
import { createRouter } from "../router.js";

/** `openai-router serve --help`. */
export const SERVE_HELP = `openai-router serve --config <file> [options]

Runs the router as an OpenAI-compatible HTTP gateway (chat completions, responses, embeddings, models).
  --config <file>   router config (YAML or JSON): the createRouter schema plus a gateway: section;
                    \${ENV_VAR} references are resolved at start (see examples/router.yaml)
  --port <n>        port to listen on (default gateway.port, 8080; 0 picks a free one)
  --host <addr>     address to listen on (default gateway.host, 127.0.0.1); without gateway.clients
                    only a loopback address is allowed
  --check           validate the config, print every problem with its path, exit non-zero if any
  --quiet           no access log on stdout
SIGTERM / SIGINT drain requests in flight for gateway.drainMs, then exit.
`;

/** Where `serve` writes and what stops it (the process's own by default; tests pass their own). */
export interface ServeIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborting it drains and stops the gateway, as SIGTERM does. Absent: SIGTERM and SIGINT. */
  readonly stop?: AbortSignal;
}

/**
 * The `serve` command: resolves with the exit code (0 after a clean drain, 1 for an invalid config,
 * 2 for bad flags or an unsafe address).
 */
export async function runServe(
  args: readonly string[],
  io: ServeIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let values: {
    config?: string;
    port?: string;
    host?: string;
    check?: boolean;
    quiet?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        config: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        check: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`openai-router serve: ${(error as Error).message}\n\n${SERVE_HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(SERVE_HELP);
    return 0;
  }
  if (values.config === undefined) {
    io.stderr.write(`openai-router serve: --config <file> is required\n\n${SERVE_HELP}`);
    return 2;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    io.stderr.write(`openai-router serve: --port must be an integer 0..65535, got "${values.port}"\n`);
    return 2;
  }
  let file: ReturnType<typeof loadConfigFile>;
  try {
    file = loadConfigFile(values.config, io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(
      `${values.config}: ${error.issues.length} problem${error.issues.length === 1 ? "" : "s"}\n`,
    );
    for (const issue of error.issues) io.stderr.write(`  ${issue.path || "(root)"}: ${issue.message}\n`);
    return 1;
  }
  const clients = file.gateway.clients.length;
  if (values.check) {
    const endpoints = file.router.endpoints.length;
    io.stdout.write(
      `${values.config}: OK (${endpoints} endpoint${endpoints === 1 ? "" : "s"}, ${clients} client${clients === 1 ? "" : "s"})\n`,
    );
    return 0;
  }
  const host = values.host ?? file.gateway.host;
  if (clients === 0 && !isLoopback(host)) {
    io.stderr.write(
      `openai-router serve: refusing to listen on ${host} without gateway.clients (anyone could spend the quota); configure clients with keys, or listen on 127.0.0.1\n`,
    );
    return 2;
  }
  const router = createRouter(file.router);
  const metrics = await mountedMetrics(router);
  const gateway = createGateway(router, {
    ...file.gateway,
    accessLog: values.quiet ? false : io.stdout,
    metrics: metrics ?? undefined,
    dashboard: createDashboardHandler(router),
  });
  let url: string;
  try {
    url = await gateway.listen(port ?? file.gateway.port, host);
  } catch (error) {
    io.stderr.write(
      `openai-router serve: cannot listen on ${host}:${port ?? file.gateway.port} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`,
    );
    await router.close();
    return 2;
  }
  io.stderr.write(
    clients === 0
      ? `openai-router gateway listening on ${url} — no gateway.clients configured: no authentication, loopback only\n`
      : `openai-router gateway listening on ${url} — ${clients} client${clients === 1 ? "" : "s"}, keys required\n`,
  );
  io.stderr.write(
    `  POST ${url}/v1/chat/completions · ${url}/v1/responses · ${url}/v1/embeddings · GET ${url}/v1/models · /healthz /readyz /metrics /dashboard\n`,
  );
  await stopped(io.stop);
  io.stderr.write(`openai-router gateway: draining (up to ${file.gateway.drainMs} ms)\n`);
  await gateway.close();
  await router.close();
  io.stderr.write("openai-router gateway: stopped\n");
  return 0;
}

/** Resolves on the first SIGTERM / SIGINT (a second one exits at once), or when `stop` aborts. */
function stopped(stop: AbortSignal | undefined): Promise<void> {
  if (stop)
    return new Promise((resolve) =>
      stop.aborted ? resolve() : stop.addEventListener("abort", () => resolve(), { once: true }),
    );
  return new Promise((resolve) => {
    const first = () => {
      process.off("SIGTERM", first);
      process.off("SIGINT", first);
      const again = () => process.exit(130);
      process.once("SIGTERM", again);
      process.once("SIGINT", again);
      resolve();
    };
    process.once("SIGTERM", first);
    process.once("SIGINT", first);
  });
}
