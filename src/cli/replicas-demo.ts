/**
 * `openai-router demo --replicas N` (`npm start -- --replicas 4`): N router processes share one quota
 * through a local redis-server. It starts the redis-server (when one is installed), a simulated fleet
 * of three endpoints, and N replicas that each offer their part of 1.5× the fleet's capacity, then
 * shows what each replica and each endpoint does: the endpoints stay at their limits, no 429 reaches
 * a caller, and the replicas together spend the quota once.
 */
import { parseArgs } from "node:util";
import { startFleet } from "../sim/index.js";
import { toRouterEndpoints } from "../sim/router-endpoints.js";
import { type RedisServer, redisServerBinary, startRedisServer } from "./redis-server.js";
import { type ReplicaHandle, type ReplicaReport, startReplica } from "./replicas.js";

/** The flags of the multi-process demo. */
export interface ReplicasDemoFlags {
  readonly replicas: number;
  /** @unit seconds */
  readonly durationSec: number;
  /** Offered load over all replicas; default 1.5× the fleet's capacity. @unit requests per second */
  readonly rps: number | undefined;
  readonly plain: boolean;
}

/** The help text of `--replicas`. */
export const REPLICAS_HELP = `  demo --replicas <n>   n router processes (2–16) on one quota, via redis-server
    --duration <s>      how long to run, 5–3600 (default 30)
    --rps <n>           offered req/s over all replicas (default 1.5× capacity)
    --plain             periodic plain lines instead of redrawing in place
`;

const RPM = 600;
const ENDPOINTS = ["east", "west", "oai"] as const;

/** Parses `demo --replicas …` arguments; a string is an error message. */
export function parseReplicasArgs(argv: readonly string[]): ReplicasDemoFlags | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        replicas: { type: "string" },
        duration: { type: "string" },
        rps: { type: "string" },
        plain: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (error) {
    return `${(error as Error).message} (with --replicas: --duration, --rps, --plain)`;
  }
  const num = (name: string, raw: unknown, min: number, max: number, integer: boolean): number | string => {
    const n = Number(raw);
    if (
      typeof raw !== "string" ||
      !Number.isFinite(n) ||
      n < min ||
      n > max ||
      (integer && !Number.isInteger(n))
    )
      return `--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got "${String(raw)}"`;
    return n;
  };
  const replicas = num("replicas", values.replicas, 2, 16, true);
  if (typeof replicas === "string") return replicas;
  const duration = values.duration === undefined ? 30 : num("duration", values.duration, 5, 3_600, false);
  if (typeof duration === "string") return duration;
  const rps = values.rps === undefined ? undefined : num("rps", values.rps, 0.1, 500, false);
  if (typeof rps === "string") return rps;
  return { replicas, durationSec: duration, rps, plain: values.plain === true };
}

/** Runs the multi-process demo; resolves with the process exit code. */
export async function runReplicasDemo(
  flags: ReplicasDemoFlags,
  out: NodeJS.WritableStream,
  live: boolean,
  signal: AbortSignal,
): Promise<number> {
  try {
    redisServerBinary();
  } catch {
    out.write(
      "openai-router: --replicas needs a local redis-server, and none is installed.\n" +
        "  Debian/Ubuntu: sudo apt-get install redis-server    macOS: brew install redis\n" +
        "  or point REDIS_SERVER at the binary. The replicas share their quota through it.\n",
    );
    return 1;
  }
  let redis: RedisServer | undefined;
  let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
  const replicas: ReplicaHandle[] = [];
  try {
    redis = await startRedisServer();
    fleet = await startFleet({
      seed: 1,
      endpoints: ENDPOINTS.map((name) =>
        name === "oai"
          ? {
              name,
              type: "openai" as const,
              models: ["gpt-4o"],
              limits: { rpm: RPM, requestWindowSeconds: 1 },
            }
          : {
              name,
              type: "azure" as const,
              deployments: { "gpt-4o": `gpt4o-${name}` },
              limits: { rpm: RPM, requestWindowSeconds: 1 },
            },
      ),
    });
    const capacity = (ENDPOINTS.length * RPM) / 60;
    const offered = flags.rps ?? 1.5 * capacity;
    const limits = { rpm: RPM, requestWindowSeconds: 1 };
    const endpoints = toRouterEndpoints(fleet, Object.fromEntries(ENDPOINTS.map((n) => [n, { limits }])));
    out.write(
      `redis-server on 127.0.0.1:${redis.port}; 3 endpoints × ${RPM} rpm = ${capacity} req/s; ` +
        `${flags.replicas} replicas offering ${offered.toFixed(1)} req/s together\n`,
    );
    replicas.push(
      ...(await Promise.all(
        Array.from({ length: flags.replicas }, () =>
          startReplica({
            endpoints,
            redis: { url: (redis as RedisServer).url, keyPrefix: "demo" },
            rps: offered / flags.replicas,
            model: "gpt-4o",
            maxTokens: 16,
            timeoutMs: 5_000,
            strategy: "least-busy",
          }),
        ),
      )),
    );
    const f = fleet;
    const started = Date.now();
    const count = (status: number) =>
      ENDPOINTS.reduce((sum, n) => sum + (f.stats(n).byStatus[status] ?? 0), 0);
    const servedBefore = count(200);
    const refusedBefore = count(429);
    let last = replicas.map((r) => r.report);
    let lastServed = Object.fromEntries(ENDPOINTS.map((n) => [n, f.stats(n).byStatus[200] ?? 0]));
    let lines = 0;
    while (!signal.aborted && Date.now() - started < flags.durationSec * 1_000) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const now = replicas.map((r) => r.report);
      const served = Object.fromEntries(ENDPOINTS.map((n) => [n, f.stats(n).byStatus[200] ?? 0]));
      const text = render(now, last, served, lastServed, f, capacity, (Date.now() - started) / 1_000);
      if (live && lines > 0) out.write(`\x1b[${lines}A\x1b[J`);
      out.write(text);
      lines = text.split("\n").length - 1;
      last = now;
      lastServed = served;
    }
    const reports = await Promise.all(replicas.map((r) => r.stop()));
    const seconds = (Date.now() - started) / 1_000;
    const servedTotal = count(200) - servedBefore;
    const refused = count(429) - refusedBefore;
    const seen429 = reports.reduce((s, r) => s + r.rateLimited, 0);
    out.write(
      `\n${servedTotal} served in ${seconds.toFixed(0)} s (${(servedTotal / seconds).toFixed(1)} req/s of ${capacity}): ` +
        `endpoint 429s ${refused}, 429s seen by callers ${seen429}; every request had one outcome: ` +
        `${reports.every((r) => r.duplicates === 0 && r.inflight === 0) ? "yes" : "NO"}\n`,
    );
    return 0;
  } finally {
    await Promise.all(replicas.map((r) => r.kill()));
    await fleet?.close();
    await redis?.stop();
  }
}

function render(
  now: readonly ReplicaReport[],
  last: readonly ReplicaReport[],
  served: Record<string, number>,
  lastServed: Record<string, number>,
  fleet: Awaited<ReturnType<typeof startFleet>>,
  capacity: number,
  elapsed: number,
): string {
  const rows = now.map((r, i) => {
    const failed = Object.entries(r.failed)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const store = r.storeDown > r.storeUp ? "Redis DOWN" : "shared";
    return `  replica ${i + 1} (pid ${r.pid})  ${String(r.ok - (last[i]?.ok ?? 0)).padStart(3)} ok/s  queued ${String(r.inflight).padStart(4)}  ${store}  ${failed}`;
  });
  let total = 0;
  const ends = ENDPOINTS.map((n) => {
    const rate = (served[n] ?? 0) - (lastServed[n] ?? 0);
    total += rate;
    const refused = fleet.stats(n).byStatus[429] ?? 0;
    return `  ${n.padEnd(5)} ${String(rate).padStart(3)} served/s of ${RPM / 60} allowed   429s so far ${refused}`;
  });
  return (
    `t=${elapsed.toFixed(0)}s  one quota: ${total} req/s served of ${capacity} (all replicas together)\n` +
    `${rows.join("\n")}\n${ends.join("\n")}\n`
  );
}
