import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { ConfigError } from "../../errors.js";
import { SCRIPTS, type ScriptName } from "./scripts.js";

/**
 * The part of a node-redis (`redis` ≥ 5) client the shared stores use. A client created with
 * `createClient()` from `redis` fits it; pass one, connected or not, through the router's
 * dependencies (`createRouter(config, { redis: client })`): the router then never closes it.
 */
export interface RedisClientLike {
  /** Sends one raw command (`["EVALSHA", sha, "1", key, …]`). */
  sendCommand(args: string[]): Promise<unknown>;
  /** A second connection with the same options (pub/sub needs its own). */
  duplicate(): RedisClientLike;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  close(): Promise<unknown>;
  destroy(): unknown;
  readonly isOpen: boolean;
  readonly isReady: boolean;
}

/**
 * A Redis command failed, timed out, or Redis could not be reached; the cause is the client's error.
 * It never reaches a caller (requests go on under `whenUnavailable`): its message is the `reason` of
 * the `shared-store-down` event.
 */
export class SharedStoreError extends Error {
  /** Stable code. */
  readonly code = "SHARED_STORE_UNAVAILABLE";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "SharedStoreError";
  }
}

/** How the stores reach Redis: scripts by SHA (loaded on NOSCRIPT), every command under a timeout. */
export interface RedisPort {
  /** Runs one of the {@link SCRIPTS}. @throws SharedStoreError */
  script(name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** One plain command. @throws SharedStoreError */
  command(args: readonly string[]): Promise<unknown>;
  /** Subscribes `listener` to `channel` on a second connection (re-subscribed after reconnects). */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Closes the connections this port opened (a client passed in is left open). */
  close(): Promise<void>;
}

/** Options of {@link createRedisPort}. */
export interface RedisPortOptions {
  readonly client: RedisClientLike;
  /** The port opened `client` and closes it on `close()`. */
  readonly owned: boolean;
  /** A command without a reply after this long fails (Redis counts as unreachable). @unit milliseconds */
  readonly commandTimeoutMs: number;
}

const shaOf = (source: string) => createHash("sha1").update(source).digest("hex");

/** Wraps a node-redis client into a {@link RedisPort}. */
export function createRedisPort(options: RedisPortOptions): RedisPort {
  const { client, owned, commandTimeoutMs } = options;
  const shas = new Map<ScriptName, string>();
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) shas.set(name, shaOf(SCRIPTS[name]));
  // A client emits "error" on every lost connection; without a listener Node would crash the process.
  const swallow = () => {};
  client.on("error", swallow);
  let connecting: Promise<unknown> | undefined;
  let subscriber: RedisClientLike | undefined;
  let closed = false;

  /** Connects a client that was never opened (or was closed); a reconnecting one fails fast instead. */
  const ensureOpen = (): Promise<unknown> | undefined => {
    if (connecting) return connecting;
    if (client.isOpen) return undefined;
    connecting = client.connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const withTimeout = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SharedStoreError(`Redis did not answer ${what} within ${commandTimeoutMs} ms`)),
        commandTimeoutMs,
      );
    });
    try {
      return await Promise.race([
        (async () => {
          const opening = ensureOpen();
          if (opening) await opening;
          return work();
        })(),
        timeout,
      ]);
    } catch (error) {
      if (error instanceof SharedStoreError) throw error;
      throw new SharedStoreError(`Redis ${what} failed: ${messageOf(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    script(name, keys, args) {
      return withTimeout(`script ${name}`, async () => {
        const sha = shas.get(name) as string;
        const call = ["EVALSHA", sha, String(keys.length), ...keys, ...args];
        try {
          return await client.sendCommand(call);
        } catch (error) {
          if (!messageOf(error).startsWith("NOSCRIPT")) throw error;
          await client.sendCommand(["SCRIPT", "LOAD", SCRIPTS[name]]);
          return client.sendCommand(call);
        }
      });
    },
    command(args) {
      return withTimeout(String(args[0]), () => client.sendCommand([...args]));
    },
    async subscribe(channel, listener) {
      if (!subscriber) {
        subscriber = client.duplicate();
        subscriber.on("error", swallow);
      }
      const sub = subscriber;
      await withTimeout("SUBSCRIBE", async () => {
        if (!sub.isOpen) await sub.connect();
        await sub.subscribe(channel, (message) => listener(message));
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const quit = async (c: RedisClientLike) => {
        if (!c.isOpen) return;
        try {
          await Promise.race([c.close(), new Promise((r) => setTimeout(r, commandTimeoutMs))]);
        } catch {
          // already gone
        }
        if (c.isOpen) c.destroy();
      };
      if (subscriber) await quit(subscriber);
      if (owned) await quit(client);
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What `createClient` of node-redis takes, as far as the router sets it. */
interface CreateClientOptions {
  url: string;
  disableOfflineQueue: boolean;
  socket: { connectTimeout: number; reconnectStrategy: (retries: number) => number };
}
type CreateClient = (options: CreateClientOptions) => RedisClientLike;

/**
 * Loads the optional `redis` peer dependency (node-redis) and creates a client for `url`: it fails
 * commands at once while disconnected (no offline queue: a request must never wait behind Redis) and
 * reconnects every ≤ 1 s. Resolved from the application's package first, then from this package.
 * @throws ConfigError (`CONFIG_INVALID`, path `redis`) when the package is not installed.
 */
export function createNodeRedisClient(url: string, connectTimeoutMs: number): RedisClientLike {
  for (const base of [`${process.cwd()}/package.json`, import.meta.url]) {
    let mod: { createClient?: CreateClient } | undefined;
    try {
      mod = createRequire(base)("redis") as { createClient?: CreateClient };
    } catch {
      continue;
    }
    if (typeof mod.createClient !== "function") continue;
    return mod.createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connectTimeoutMs,
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1_000),
      },
    });
  }
  throw new ConfigError([
    { path: "redis", message: "a shared store needs the redis package (node-redis): npm i redis" },
  ]);
}
