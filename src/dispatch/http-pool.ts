import { Agent } from "undici";
import { poolFetch } from "./pool-fetch.js";

/** A connection pool the router owns, so `close()` can release every socket it opened. */
export interface HttpPool {
  readonly fetch: typeof fetch;
  /** Waits for the requests in flight, then closes every socket. */
  close(): Promise<void>;
  /** Closes every socket now, cutting whatever is still in flight (what `close()` does at its bound). */
  destroy(): Promise<void>;
}

/**
 * One undici Agent per router: keep-alive connections are reused across calls (the SDK's own default
 * would put them in the process-global pool, which a router cannot close). Its `fetch` goes through
 * undici's dispatcher API rather than undici's `fetch` (see {@link poolFetch}).
 */
export function createHttpPool(
  options: {
    connectionsPerOrigin?: number | undefined;
    /**
     * Longest silence inside a response body before the call fails (the SDK's own timeout ends at the
     * headers, so a body that stalls after them would otherwise hold its lane until undici's 300 s).
     */
    bodyTimeoutMs?: number | undefined;
  } = {},
): HttpPool {
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    ...(options.bodyTimeoutMs ? { bodyTimeout: options.bodyTimeoutMs } : {}),
    ...(options.connectionsPerOrigin ? { connections: options.connectionsPerOrigin } : {}),
  });
  return {
    fetch: poolFetch(agent),
    close: () => agent.close(),
    destroy: () => agent.destroy(),
  };
}
