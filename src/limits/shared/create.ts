import type { SchedulerLike } from "rxjs";
import { ConfigError } from "../../errors.js";
import type { ThrottleOptions } from "../budget-store.js";
import type { ResolvedRedisConfig } from "./config.js";
import { RedisBudgetStore } from "./redis-budget-store.js";
import { createNodeRedisClient, createRedisPort, type RedisClientLike } from "./redis-port.js";

/** What {@link createSharedBudgetStore} needs from the router. */
export interface SharedStoreInputs {
  /** The validated `redis` config (absent: defaults, with `client` required). */
  readonly config: ResolvedRedisConfig | undefined;
  /** A node-redis client from the dependencies: used as is and never closed by the router. */
  readonly client: RedisClientLike | undefined;
  readonly throttle: Partial<ThrottleOptions>;
  readonly scheduler: SchedulerLike;
}

const DEFAULTS: ResolvedRedisConfig = {
  keyPrefix: "openai-router",
  whenUnavailable: "local-share",
  connectTimeoutMs: 1_000,
  commandTimeoutMs: 250,
  leaseTtlMs: 3_000,
  leaseTargetMs: 2_000,
  heartbeatMs: 1_000,
};

/**
 * The router's shared store when `redis` is configured or a client is given; undefined otherwise (the
 * in-process store then). Only here is the `redis` package loaded, so the library runs without it.
 * @throws ConfigError when neither `redis.url` nor a client is given, or `redis` is not installed.
 */
export function createSharedBudgetStore(inputs: SharedStoreInputs): RedisBudgetStore | undefined {
  const { client } = inputs;
  if (!inputs.config && !client) return undefined;
  const config = inputs.config ?? DEFAULTS;
  if (!client && config.url === undefined)
    throw new ConfigError([
      { path: "redis.url", message: "set redis.url, or pass a connected client as dependencies.redis" },
    ]);
  const secrets = config.url ? passwordOf(config.url) : [];
  const port = createRedisPort({
    client: client ?? createNodeRedisClient(config.url as string, config.connectTimeoutMs),
    owned: !client,
    commandTimeoutMs: config.commandTimeoutMs,
  });
  return new RedisBudgetStore({
    port,
    keyPrefix: config.keyPrefix,
    whenUnavailable: config.whenUnavailable,
    leaseTtlMs: config.leaseTtlMs,
    leaseTargetMs: config.leaseTargetMs,
    heartbeatMs: config.heartbeatMs,
    connectGraceMs: 2 * config.connectTimeoutMs,
    throttle: inputs.throttle,
    scheduler: inputs.scheduler,
    secrets,
  });
}

/** The password (and user) of a Redis URL: never to appear in an event. */
function passwordOf(url: string): string[] {
  try {
    const u = new URL(url);
    return [u.password, u.password ? decodeURIComponent(u.password) : ""].filter((s) => s.length > 0);
  } catch {
    return [];
  }
}
