import { type ReplicaHandle, type ReplicaReport, startReplica } from "../../../src/cli/replicas.js";
import type { RedisConfig } from "../../../src/limits/shared/config.js";
import { startFleet } from "../../../src/sim/index.js";
import { toRouterEndpoints } from "../../../src/sim/router-endpoints.js";
import { type RedisServer, startRedisServer } from "../../helpers/redis-server.js";

type Fleet = Awaited<ReturnType<typeof startFleet>>;

/** Three sim endpoints, each limited to `rpm` over 1-s windows; the routers know the limits. */
export const ENDPOINTS = ["east", "west", "oai"] as const;

/** A redis-server, a fleet of three endpoints, and router replicas in child processes. */
export interface Cluster {
  readonly redis: RedisServer;
  readonly fleet: Fleet;
  readonly replicas: ReplicaHandle[];
  /** Summed capacity of the fleet. @unit requests per second */
  readonly capacity: number;
  readonly rpm: number;
  /** Starts one more replica offering `rps` (`shared: false`: with its own in-process budgets). */
  add(rps: number, shared?: boolean): Promise<ReplicaHandle>;
  /** Successes each endpoint served (sim's own counts) since the last `reset`. */
  served(): Record<string, number>;
  /** 429s each endpoint answered since the last `reset`. */
  refused(): Record<string, number>;
  /** Requests each endpoint received since the last `reset`. */
  received(): Record<string, number>;
  reset(): void;
  /** Stops every replica still running (their outcomes all in), then the fleet and Redis. */
  close(): Promise<ReplicaReport[]>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  readonly rpm?: number;
  /** The window over which the sim enforces (and the routers know) `rpm`. @default 1 */
  readonly windowSeconds?: number;
  readonly redis?: Partial<RedisConfig>;
  readonly timeoutMs?: number;
  readonly keyPrefix?: string;
}

/** Starts Redis and the fleet (no replicas yet). */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const rpm = options.rpm ?? 600;
  const windowSeconds = options.windowSeconds ?? 1;
  const redis = await startRedisServer();
  const fleet = await startFleet({
    seed: 11,
    endpoints: [
      {
        name: "east",
        type: "azure",
        deployments: { "gpt-4o": "gpt4o-east" },
        limits: { rpm, requestWindowSeconds: windowSeconds },
        latency: { ttftMs: 30, tokensPerSecond: 2_000 },
      },
      {
        name: "west",
        type: "azure",
        deployments: { "gpt-4o": "gpt4o-west" },
        limits: { rpm, requestWindowSeconds: windowSeconds },
        latency: { ttftMs: 30, tokensPerSecond: 2_000 },
      },
      {
        name: "oai",
        type: "openai",
        models: ["gpt-4o"],
        limits: { rpm, requestWindowSeconds: windowSeconds },
        latency: { ttftMs: 30, tokensPerSecond: 2_000 },
      },
    ],
  });
  const limits = { rpm, tpm: 1_000_000, requestWindowSeconds: windowSeconds };
  const endpoints = toRouterEndpoints(fleet, { east: { limits }, west: { limits }, oai: { limits } });
  const replicas: ReplicaHandle[] = [];
  const count = (pick: (s: ReturnType<Fleet["stats"]>) => number) =>
    Object.fromEntries(ENDPOINTS.map((n) => [n, pick(fleet.stats(n))]));
  return {
    redis,
    fleet,
    replicas,
    rpm,
    capacity: (3 * rpm) / 60,
    async add(rps, shared = true) {
      const replica = await startReplica({
        endpoints,
        redis: shared
          ? { url: redis.url, keyPrefix: options.keyPrefix ?? "t", commandTimeoutMs: 1_000, ...options.redis }
          : undefined,
        rps,
        model: "gpt-4o",
        maxTokens: 8,
        timeoutMs: options.timeoutMs ?? 10_000,
        // Overload is shed at the door (QUEUE_FULL), so what waits is served well before its deadline.
        queueSize: 16,
      });
      replicas.push(replica);
      return replica;
    },
    served: () => count((s) => s.byStatus[200] ?? 0),
    refused: () => count((s) => s.byStatus[429] ?? 0),
    received: () => count((s) => s.requests),
    reset: () => fleet.resetStats(),
    async close() {
      const reports = await Promise.all(replicas.map((r) => r.stop()));
      await fleet.close();
      await redis.stop();
      return reports;
    },
  };
}

/** Sums a field over reports. */
export function total(reports: readonly ReplicaReport[], pick: (r: ReplicaReport) => number): number {
  return reports.reduce((sum, r) => sum + pick(r), 0);
}

/** Real-time pause (the multi-process runs are real time by nature: separate processes, real HTTP). */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
