/**
 * The shared store (Redis leases) against the in-process store.
 *
 *   npx tsx bench/shared.ts                 # quick (~90 s: two 4-process runs)
 *   npx tsx bench/shared.ts --seconds 30    # longer multi-process phases
 *
 * (a) Clients: the LEASE script's round trip through node-redis (`redis`) and ioredis, sequential and
 *     32 concurrent, interleaved rounds (the evidence behind the client choice, docs/dependencies.md).
 * (b) Added cost per request: a router with a stub transport (no HTTP), sequential calls, the
 *     in-process store vs the Redis store (leases warm), interleaved rounds; p50 of each, and the
 *     difference. Budget ≤ 10 µs.
 * (b2) A 429's cooldown set by one store, until another store sees it (pub/sub), p50 of 40.
 * (c) Four router processes at 1.5× the summed capacity of three sim endpoints, once with each replica
 *     on its own in-process budgets (the problem) and once on the shared store: served rate against
 *     each limit, endpoint 429s, caller-visible 429s, goodput, and Redis commands per request (from
 *     `INFO commandstats`, budget ≤ 0.2).
 */
import { Redis } from "ioredis";
import { createClient } from "redis";
import { startRedisServer } from "../src/cli/redis-server.js";
import { createRouter, type Router, type Transport, type UpstreamResult } from "../src/index.js";
import { RedisBudgetStore } from "../src/limits/shared/redis-budget-store.js";
import { createRedisPort, type RedisClientLike } from "../src/limits/shared/redis-port.js";
import { SCRIPTS } from "../src/limits/shared/scripts.js";
import { ENDPOINTS, sleep, startCluster, total } from "../test/limits/shared/harness.js";
import { flags } from "./lib/args.js";
import { CHAT_BODY, COMPLETION, MODEL } from "./lib/fixtures.js";
import { fmt, pct, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { median, percentiles, round } from "./lib/stats.js";

const USAGE = "npx tsx bench/shared.ts [flags]: the Redis lease store against the in-process store";
const opts = flags(USAGE, {
  rounds: 5,
  "client-calls": 3_000,
  requests: 4_000,
  seconds: 12,
  rpm: 3_000,
  warmup: 22,
  "local-warmup": 22,
  out: "shared",
});

const BUDGET_ADDED_US = 10;
const BUDGET_COMMANDS_PER_REQUEST = 0.2;
/** The commands the Lua scripts call (counted by commandstats, but no round trip of their own). */
const INSIDE_SCRIPTS = new Set([
  "hmget",
  "hset",
  "pexpire",
  "time",
  "zadd",
  "zrem",
  "zremrangebyscore",
  "zcard",
  "publish",
]);

const STUB_RESULT: UpstreamResult = { kind: "chat", data: COMPLETION, headers: undefined };
const stub: Transport = () => Promise.resolve(STUB_RESULT);

async function clients(url: string, port: number) {
  const nodeRedis = createClient({ url });
  await nodeRedis.connect();
  const io = new Redis(port, "127.0.0.1");
  const sha = await nodeRedis.scriptLoad(SCRIPTS.lease);
  const args = (i: number) => [
    "",
    "600000",
    "0",
    "10",
    "1",
    "0",
    "0",
    "0",
    "0",
    "0",
    "0",
    "600000",
    "0",
    `b{${i % 8}}`,
  ];
  const calls: Record<string, (i: number) => Promise<unknown>> = {
    "node-redis": (i) => {
      const a = args(i);
      return nodeRedis.evalSha(sha, { keys: [a[13] as string], arguments: a.slice(0, 13) });
    },
    ioredis: (i) => {
      const a = args(i);
      return io.evalsha(sha, 1, a[13] as string, ...a.slice(0, 13));
    },
  };
  const results: Record<string, { sequential: number[]; concurrent: number[] }> = {
    "node-redis": { sequential: [], concurrent: [] },
    ioredis: { sequential: [], concurrent: [] },
  };
  const n = opts["client-calls"];
  for (let round = 0; round < opts.rounds; round++) {
    for (const [name, call] of Object.entries(calls)) {
      let t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await call(i);
      results[name]?.sequential.push(Number(process.hrtime.bigint() - t) / n / 1_000);
      t = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < n) await call(next++);
        }),
      );
      results[name]?.concurrent.push(Number(process.hrtime.bigint() - t) / n / 1_000);
    }
  }
  await nodeRedis.close();
  io.disconnect();
  return Object.fromEntries(
    Object.entries(results).map(([k, v]) => [
      k,
      { sequentialUs: median(v.sequential), concurrentUs: median(v.concurrent) },
    ]),
  );
}

async function addedCost(url: string) {
  const endpoints = [0, 1, 2].map((i) => ({
    name: `e${i}`,
    type: "openai" as const,
    apiKey: "sk-bench",
    baseURL: "http://127.0.0.1:9/v1",
    models: [MODEL],
    limits: { rpm: 6_000_000, tpm: 6_000_000_000 },
  }));
  const memory = createRouter({ strategy: "round-robin", endpoints }, { transport: stub });
  const shared = createRouter(
    { strategy: "round-robin", endpoints, redis: { url, keyPrefix: "bench-added" } },
    { transport: stub },
  );
  const samples: Record<string, number[]> = { memory: [], redis: [] };
  const run = async (router: Router, out: number[]) => {
    const latencies = new Float64Array(opts.requests);
    for (let i = 0; i < opts.requests; i++) {
      const t0 = process.hrtime.bigint();
      await router.chat.completions.create(CHAT_BODY);
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1_000;
    }
    out.push(percentiles(latencies).p50);
  };
  // Warm both (the shared one's first leases come from Redis).
  for (let i = 0; i < 2_000; i++) {
    await memory.chat.completions.create(CHAT_BODY);
    await shared.chat.completions.create(CHAT_BODY);
  }
  for (let round = 0; round < opts.rounds; round++) {
    await run(memory, samples.memory as number[]);
    await run(shared, samples.redis as number[]);
  }
  await memory.close();
  await shared.close();
  const m = median(samples.memory as number[]);
  const r = median(samples.redis as number[]);
  return { memoryP50Us: m, redisP50Us: r, addedUs: r - m };
}

/** How long a cooldown set by one store takes to reach another through pub/sub (real time). */
async function propagation(url: string) {
  const mk = () =>
    new RedisBudgetStore({
      port: createRedisPort({
        client: createClient({ url, disableOfflineQueue: true }) as unknown as RedisClientLike,
        owned: true,
        commandTimeoutMs: 2_000,
      }),
      keyPrefix: "bench-cool",
    });
  const a = mk();
  const b = mk();
  const limits = { rpm: 600_000, requestWindowSeconds: 10 };
  a.register("east", limits, Date.now());
  b.register("east", limits, Date.now());
  while (a.status !== "up" || b.status !== "up") await sleep(10);
  const samples: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = Date.now();
    const until = t0 + 60_000 + i * 1_000;
    const start = process.hrtime.bigint();
    a.cool("east", until, "none", t0);
    while (b.coolingUntil("east") < until - 100) await new Promise((r) => setImmediate(r));
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  await a.close();
  await b.close();
  return { p50Ms: median(samples), maxMs: Math.max(...samples) };
}

/** The store's defaults (leaseTtlMs, marginMs): what the LEASE script keeps back as its cushion. */
const CUSHION_MS = 3_000 + 250;

/**
 * Each lane's shared bucket above its cushion now (requests), from the hashes the LEASE script keeps:
 * the stock a window would serve on top of its refill. Steady load means it is drawn down to a few
 * leases' worth; until then the services' own buckets still hold stock too, and served exceeds the
 * per-second limit without exceeding the limit (their windows allow that stock).
 */
async function stockAboveCushion(stats: {
  sendCommand(args: string[]): Promise<unknown>;
}): Promise<Record<string, number>> {
  // redis-server runs on this host: its TIME and this clock agree.
  const now = Date.now();
  const out: Record<string, number> = {};
  const keys = (await stats.sendCommand(["KEYS", "bench:*:budget"])) as string[];
  for (const key of keys.sort()) {
    const fields = (await stats.sendCommand(["HMGET", key, "r", "rcap", "rpm", "last", "rf"])) as string[];
    const [r, rcap, rpm, last, rf] = fields.map(Number) as [number, number, number, number, number];
    const share = Number.isFinite(rf) && rf < 1 ? rf : 1;
    const level = Math.min(rcap * share, r + (Math.max(0, now - last) * rpm * share) / 60_000);
    const lane = /\{(.*)\}/.exec(key)?.[1] ?? key;
    out[lane] = level - (rpm * share * CUSHION_MS) / 60_000;
    if (rpm !== opts.rpm || share !== 1) out[`${lane} rpm×share`] = rpm * share;
  }
  return out;
}

async function replicas(shared: boolean, warmupSeconds: number) {
  const c = await startCluster({ rpm: opts.rpm, windowSeconds: 10, keyPrefix: "bench" });
  try {
    await Promise.all([0, 1, 2, 3].map(() => c.add((1.5 * c.capacity) / 4, shared)));
    // Past the first bursts (the services' 10-s buckets start full, and so do the routers' own).
    await sleep(warmupSeconds * 1_000);
    const stats = createClient({ url: c.redis.url });
    await stats.connect();
    // On a loaded machine the replicas offer less than 1.5× and the first stock drains slower: wait
    // (up to a minute more) until every shared bucket is down to 0.5% of the window's units above the
    // cushion (stock left there is served inside the window on top of its refill).
    let stockAtStart: Record<string, number> = {};
    let waitedS = 0;
    if (shared) {
      const steady = ((opts.rpm / 60) * opts.seconds) / 200;
      for (; waitedS < 60; waitedS += 0.5) {
        stockAtStart = await stockAboveCushion(stats);
        const levels = Object.values(stockAtStart);
        if (levels.length > 0 && levels.every((l) => l <= steady)) break;
        await sleep(500);
      }
    }
    const byCommand: Record<string, number> = {};
    // commandstats also counts the commands a script runs inside Redis; what the replicas send (the
    // round trips) is everything else: EVALSHA, SUBSCRIBE, PING, HELLO, …
    const commands = async (sign: number) => {
      const info = await stats.info("commandstats");
      let calls = 0;
      for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
        const name = m[1] as string;
        if (name === "info" || name === "config|resetstat") continue;
        byCommand[name] = (byCommand[name] ?? 0) + sign * Number(m[2]);
        if (!INSIDE_SCRIPTS.has(name)) calls += Number(m[2]);
      }
      return calls;
    };
    // The window is timed from the services' reset to their counts' snapshot, with no await in
    // between at either end: under load a round trip to Redis took long enough there to count a few
    // tenths of a second of served requests against none of the window's seconds (+1–2 %). The
    // commands' window brackets it (a little longer: a conservative count).
    const commandsBefore = await commands(-1);
    c.reset();
    const before = c.replicas.map((r) => r.report);
    const started = Date.now();
    await sleep(opts.seconds * 1_000);
    const seconds = (Date.now() - started) / 1_000;
    const served = c.served();
    const refused = c.refused();
    const received = c.received();
    const after = c.replicas.map((r) => r.report);
    const commandsAfter = await commands(1);
    const stockAtEnd = shared ? await stockAboveCushion(stats) : {};
    await stats.close();
    const servedTotal = Object.values(served).reduce((a, b) => a + b, 0);
    const receivedTotal = Object.values(received).reduce((a, b) => a + b, 0);
    const refusedTotal = Object.values(refused).reduce((a, b) => a + b, 0);
    const limitPerSecond = opts.rpm / 60;
    return {
      seconds,
      perEndpoint: Object.fromEntries(
        ENDPOINTS.map((n) => [
          n,
          {
            servedPerSecond: (served[n] ?? 0) / seconds,
            ofLimit: (served[n] ?? 0) / seconds / limitPerSecond,
          },
        ]),
      ),
      worstOfLimit: Math.max(...ENDPOINTS.map((n) => (served[n] ?? 0) / seconds / limitPerSecond)),
      endpoint429Share: receivedTotal > 0 ? refusedTotal / receivedTotal : 0,
      caller429: total(after, (r) => r.rateLimited) - total(before, (r) => r.rateLimited),
      goodput: servedTotal / (c.capacity * seconds),
      commandsPerRequest: shared ? (commandsAfter - commandsBefore) / Math.max(1, servedTotal) : Number.NaN,
      commandsByName: byCommand,
      // Per request, by what sent it: each LEASE, COOL and LIMITS runs one HMGET and a HEARTBEAT none
      // (so the heartbeats are the scripts less the HMGETs), each COOL (and each LIMITS that changed a
      // limit) one PUBLISH.
      perRequest: {
        evalsha: (byCommand.evalsha ?? 0) / Math.max(1, servedTotal),
        heartbeat: ((byCommand.evalsha ?? 0) - (byCommand.hmget ?? 0)) / Math.max(1, servedTotal),
        budgetScripts: (byCommand.hmget ?? 0) / Math.max(1, servedTotal),
        publish: (byCommand.publish ?? 0) / Math.max(1, servedTotal),
        other: (commandsAfter - commandsBefore - (byCommand.evalsha ?? 0)) / Math.max(1, servedTotal),
      },
      // What Redis let out in the window, from its buckets' equation (refill plus the stock drawn from
      // above the cushion; hand-backs are in the levels): served beyond it was granted before the
      // window (held in leases, or on its way while the loaded machine lagged).
      grantedOfLimit: Object.fromEntries(
        Object.keys(stockAtStart)
          .filter((k) => !k.includes(" "))
          .map((k) => [k, 1 + ((stockAtStart[k] ?? 0) - (stockAtEnd[k] ?? 0)) / (limitPerSecond * seconds)]),
      ),
      waitedForSteadyS: waitedS,
      storeDownInWindow: total(after, (r) => r.storeDown) - total(before, (r) => r.storeDown),
      stockAboveCushion: { start: stockAtStart, end: stockAtEnd },
    };
  } finally {
    await c.close();
  }
}

const redis = await startRedisServer();
console.log(`bench/shared: rounds ${opts.rounds}, redis-server on port ${redis.port}`);
const clientFigures = await clients(redis.url, redis.port);
printTable(
  "(a) LEASE script round trip by client (median of rounds)",
  ["client", "sequential µs/call", "32 concurrent µs/call"],
  Object.entries(clientFigures).map(([k, v]) => [k, fmt(v.sequentialUs, 1), fmt(v.concurrentUs, 1)]),
);
const added = await addedCost(redis.url);
const cooling = await propagation(redis.url);
await redis.stop();
printTable(
  "(b) per request, stub transport, sequential (median of rounds)",
  ["store", "p50 µs"],
  [
    ["in-process", fmt(added.memoryP50Us, 1)],
    ["Redis leases", fmt(added.redisP50Us, 1)],
    ["added", fmt(added.addedUs, 1)],
  ],
);
// Four replicas that each believe they own the quota need longer to empty the services' first bursts.
printTable(
  "(b2) a 429's cooldown reaching another replica (pub/sub, 40 trials)",
  ["p50 ms", "max ms"],
  [[fmt(cooling.p50Ms, 2), fmt(cooling.maxMs, 2)]],
);
const local = await replicas(false, opts["local-warmup"]);
const shared = await replicas(true, opts.warmup);
printTable(
  `(c) 4 router processes at 1.5× capacity (3 endpoints × ${opts.rpm} rpm, 10-s windows), ${opts.seconds} s steady state`,
  ["budgets", "worst endpoint / limit", "endpoint 429s", "caller 429s", "goodput", "Redis cmds / request"],
  [local, shared].map((r, i) => [
    i === 0 ? "in-process, per replica" : "shared (Redis leases)",
    pct(r.worstOfLimit),
    pct(r.endpoint429Share, 2),
    fmt(r.caller429),
    pct(r.goodput),
    Number.isNaN(r.commandsPerRequest) ? "–" : fmt(r.commandsPerRequest, 3),
  ]),
);
printTable(
  "(c2) shared run: Redis round trips per request by what sent them; shared stock above the cushion",
  [
    "EVALSHA",
    "of which HEARTBEAT",
    "LEASE/COOL/LIMITS",
    "PUBLISH (COOL)",
    "other",
    "steady after",
    "stock start → end",
  ],
  [
    [
      fmt(shared.perRequest.evalsha, 3),
      fmt(shared.perRequest.heartbeat, 3),
      fmt(shared.perRequest.budgetScripts, 3),
      fmt(shared.perRequest.publish, 3),
      fmt(shared.perRequest.other, 3),
      `+${fmt(shared.waitedForSteadyS, 1)} s, ${shared.storeDownInWindow} store-down`,
      Object.keys(shared.stockAboveCushion.start)
        .map(
          (k) =>
            `${k} ${fmt(shared.stockAboveCushion.start[k] ?? 0, 0)} → ${fmt(shared.stockAboveCushion.end[k] ?? 0, 0)}`,
        )
        .join(", "),
    ],
  ],
);
const verdicts: Verdict[] = [
  {
    budget: `added p50 ≤ ${BUDGET_ADDED_US} µs`,
    measured: `${fmt(added.addedUs, 1)} µs`,
    pass: added.addedUs <= BUDGET_ADDED_US,
  },
  {
    budget: `Redis commands per request ≤ ${BUDGET_COMMANDS_PER_REQUEST}`,
    measured: fmt(shared.commandsPerRequest, 3),
    pass: shared.commandsPerRequest <= BUDGET_COMMANDS_PER_REQUEST,
  },
  {
    budget: "each endpoint ≤ limit + 1%",
    measured: pct(shared.worstOfLimit),
    pass: shared.worstOfLimit <= 1.01,
  },
  {
    budget: "endpoint 429s ≤ 0.5%",
    measured: pct(shared.endpoint429Share, 2),
    pass: shared.endpoint429Share <= 0.005,
  },
  { budget: "caller-visible 429s = 0", measured: fmt(shared.caller429), pass: shared.caller429 === 0 },
  { budget: "goodput ≥ 95% of capacity", measured: pct(shared.goodput), pass: shared.goodput >= 0.95 },
  {
    budget: "cooldown shared within 50 ms (p50)",
    measured: `${fmt(cooling.p50Ms, 2)} ms`,
    pass: cooling.p50Ms <= 50,
  },
];
printVerdicts(verdicts);
writeResult(opts.out, {
  settings: opts,
  clients: clientFigures,
  added: { ...added, addedUs: round(added.addedUs) },
  cooling,
  local,
  shared,
  verdicts,
});
