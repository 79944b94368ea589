import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Router } from "../../router.js";
import { createDashboardHandler, type DashboardHandlerOptions } from "./handler.js";

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions extends DashboardHandlerOptions {
  /** Port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number | undefined;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  /** Ends open event streams and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves a router's live dashboard on 127.0.0.1 (loopback only: the page shows endpoint names and
 * traffic, which are not for the network at large). What `openai-router demo --web` runs.
 * @example
 * const web = await startDashboardServer(router, { port: 8081 });
 * console.log(`dashboard: ${web.url}`);
 * @throws Error (`EADDRINUSE`, …) when the port cannot be bound.
 */
export async function startDashboardServer(
  router: Router,
  options: DashboardServerOptions = {},
): Promise<DashboardServer> {
  const server = createServer(createDashboardHandler(router, options));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
