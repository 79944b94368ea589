import { createClient } from "redis";
import {
  createRedisPort,
  type RedisClientLike,
  type RedisPort,
} from "../../../src/limits/shared/redis-port.js";

/** A store's port on its own node-redis client (closed with the store), as the router builds one. */
export function redisPortTo(url: string, commandTimeoutMs = 1_000): RedisPort {
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } });
  return createRedisPort({ client: client as unknown as RedisClientLike, owned: true, commandTimeoutMs });
}
