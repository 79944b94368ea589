/**
 * The gateway's cost, side by side in one run: the official SDK calling the simulated fleet directly
 * vs the same SDK calling `createGateway` (node:http → router.fetch → router → sim). The fleet runs in
 * one child process, the gateway in another (so neither is charged to the client's event loop); the
 * arms are interleaved call by call (sequential) or in alternating blocks (concurrent), and every
 * figure is the median over rounds. A third arm, a bare node:http proxy (`startBareProxy`) in the
 * gateway's process, shows in the same run what the extra hop alone costs on this machine.
 *
 *   npx tsx bench/gateway.ts [--sequential 200 --rounds 3 --concurrent 600 --memory-requests 10000]
 *   npx tsx bench/gateway.ts --full     (200,000 requests for the memory figure)
 */
import { fork } from "node:child_process";
import { createWriteStream } from "node:fs";
import { Agent, createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { OpenAI } from "openai";
import { createGateway } from "../src/gateway/gateway.js";
import { createRouter } from "../src/index.js";
import type { SimEndpoint } from "../src/sim/index.js";
import { flags } from "./lib/args.js";
import { CHAT_BODY, collectGarbage, drive } from "./lib/fixtures.js";
import { fmt, printTable, printVerdicts, type Verdict, writeResult } from "./lib/report.js";
import { startSimChild } from "./lib/sim-child.js";
import { median, percentiles } from "./lib/stats.js";

const SELF = fileURLToPath(import.meta.url);

type ToChild = { type: "memory" } | { type: "stop" };
type FromChild =
  | { type: "ready"; url: string; bareUrl: string }
  | { type: "memory"; heapUsed: number; rss: number; cpu: number };

/**
 * The floor any Node gateway pays: a plain node:http server that forwards each request's bytes to one
 * upstream over a keep-alive node:http agent and pipes the answer back, with no parsing, routing or
 * SDK. bench/gateway.ts runs it beside the gateway so the gateway's added time can be split into the
 * hop itself and what the gateway does on top.
 */
export async function startBareProxy(
  upstreamBaseURL: string,
  apiKey: string,
): Promise<{ url: string; server: Server }> {
  const upstream = new URL(upstreamBaseURL);
  const agent = new Agent({ keepAlive: true });
  const prefix = upstream.pathname.replace(/\/$/, "");
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: `${prefix}${(req.url ?? "/").replace(/^\/v1/, "")}`,
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": String(body.length),
            authorization: `Bearer ${apiKey}`,
          },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("error", () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

/** The gateway process: a router over the fleet, a gateway in front, access log on (to /dev/null). */
async function serveGateway(endpoint: SimEndpoint): Promise<void> {
  if (endpoint.type !== "openai") throw new Error("expected an openai endpoint");
  const router = createRouter({
    endpoints: [
      {
        name: endpoint.name,
        type: "openai",
        baseURL: endpoint.baseURL,
        apiKey: endpoint.apiKey,
        models: [...endpoint.models],
      },
    ],
  });
  const gateway = createGateway(router, { accessLog: createWriteStream("/dev/null") });
  const url = await gateway.listen(0, "127.0.0.1");
  const bare = await startBareProxy(endpoint.baseURL, endpoint.apiKey);
  process.on("message", (m: ToChild) => {
    if (m.type === "memory") {
      collectGarbage();
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      process.send?.({
        type: "memory",
        heapUsed: mem.heapUsed,
        rss: mem.rss,
        cpu: cpu.user + cpu.system,
      } satisfies FromChild);
    } else {
      void gateway
        .close({ drainMs: 1_000 })
        .then(() => router.close())
        .then(() => new Promise((resolve) => bare.server.close(resolve)))
        .then(() => process.exit(0));
    }
  });
  process.once("disconnect", () => process.exit(0)); // the bench died: do not linger
  process.send?.({ type: "ready", url, bareUrl: bare.url } satisfies FromChild);
}

async function startGatewayChild(endpoint: SimEndpoint) {
  const child = fork(SELF, ["--gateway", JSON.stringify(endpoint)], {
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiters: ((m: FromChild) => void)[] = [];
  child.on("message", (m: FromChild) => waiters.shift()?.(m));
  const next = () => new Promise<FromChild>((resolve) => waiters.push(resolve));
  const ready = await next();
  if (ready.type !== "ready") throw new Error("gateway child: unexpected first message");
  return {
    url: ready.url,
    bareUrl: ready.bareUrl,
    /** Heap and RSS after GC, and the process's CPU time so far (µs). */
    async memory(): Promise<{ heapUsed: number; rss: number; cpu: number }> {
      const reply = next();
      child.send({ type: "memory" } satisfies ToChild);
      const m = await reply;
      return m.type === "memory" ? m : { heapUsed: Number.NaN, rss: Number.NaN, cpu: Number.NaN };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.send({ type: "stop" } satisfies ToChild);
      }),
  };
}

async function main(): Promise<void> {
  const opts = flags("npx tsx bench/gateway.ts [flags]", {
    sequential: 200,
    rounds: 3,
    concurrent: 600,
    concurrency: 64,
    "memory-requests": 10_000,
    full: false,
  });
  const memoryRequests = opts.full ? 200_000 : opts["memory-requests"];
  const sim = await startSimChild({
    seed: 1,
    endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"] }],
  });
  const endpoint = sim.endpoints[0];
  if (endpoint?.type !== "openai") throw new Error("expected an openai endpoint");
  const gateway = await startGatewayChild(endpoint);
  const direct = new OpenAI({ apiKey: endpoint.apiKey, baseURL: endpoint.baseURL, maxRetries: 0 });
  const through = new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const bare = new OpenAI({ apiKey: "unused", baseURL: gateway.bareUrl, maxRetries: 0 });
  const arms = { direct, gateway: through, bare } as const;
  const call = (client: OpenAI) => client.chat.completions.create(CHAT_BODY);
  /**
   * Time to the first chunk (µs), the stream then read to its end: breaking out of it would abort the
   * request, and an aborted fetch destroys its socket, so every sample would include a new connection
   * on each hop (one for direct, two through a proxy) instead of what the gateway does per request.
   */
  const firstChunk = async (client: OpenAI): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const stream = await client.chat.completions.create({ ...CHAT_BODY, stream: true });
    let first = 0;
    for await (const _ of stream) if (first === 0) first = Number(process.hrtime.bigint() - t0) / 1_000;
    return first;
  };

  // Warm-up: sockets, JIT, token-count caches on both paths.
  for (let i = 0; i < 300; i++) {
    await call(direct);
    await call(through);
    await call(bare);
    if (i % 10 === 0) {
      await firstChunk(direct);
      await firstChunk(through);
      await firstChunk(bare);
    }
  }

  const rounds: {
    p50: Record<string, number>;
    p99: Record<string, number>;
    ttfc: Record<string, number>;
    rps: Record<string, number>;
  }[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const samples = {
      direct: new Float64Array(opts.sequential),
      gateway: new Float64Array(opts.sequential),
      bare: new Float64Array(opts.sequential),
    };
    const ttfc = {
      direct: new Float64Array(opts.sequential / 4),
      gateway: new Float64Array(opts.sequential / 4),
      bare: new Float64Array(opts.sequential / 4),
    };
    for (let i = 0; i < opts.sequential; i++) {
      const order =
        (i + round) % 2 === 0
          ? (["direct", "gateway", "bare"] as const)
          : (["bare", "gateway", "direct"] as const);
      for (const arm of order) {
        const t0 = process.hrtime.bigint();
        await call(arms[arm]);
        samples[arm][i] = Number(process.hrtime.bigint() - t0) / 1_000;
      }
      if (i % 4 === 0)
        for (const arm of order) {
          ttfc[arm][i / 4] = await firstChunk(arms[arm]);
        }
    }
    const rps: Record<string, number> = {};
    const blocks =
      round % 2 === 0 ? (["direct", "gateway", "bare"] as const) : (["bare", "gateway", "direct"] as const);
    for (const arm of blocks) {
      const t0 = performance.now();
      const done = await drive(opts.concurrent, opts.concurrency, () => call(arms[arm]));
      rps[arm] = done / ((performance.now() - t0) / 1000);
    }
    const p = {
      direct: percentiles(samples.direct),
      gateway: percentiles(samples.gateway),
      bare: percentiles(samples.bare),
    };
    const t = {
      direct: percentiles(ttfc.direct),
      gateway: percentiles(ttfc.gateway),
      bare: percentiles(ttfc.bare),
    };
    rounds.push({
      p50: { direct: p.direct.p50, gateway: p.gateway.p50, bare: p.bare.p50 },
      p99: { direct: p.direct.p99, gateway: p.gateway.p99, bare: p.bare.p99 },
      ttfc: { direct: t.direct.p50, gateway: t.gateway.p50, bare: t.bare.p50 },
      rps,
    });
  }
  const med = (f: (r: (typeof rounds)[number]) => number) => median(rounds.map(f));
  const addedP50 = med((r) => (r.p50.gateway ?? 0) - (r.p50.direct ?? 0));
  const addedP99 = med((r) => (r.p99.gateway ?? 0) - (r.p99.direct ?? 0));
  const addedTtfc = med((r) => (r.ttfc.gateway ?? 0) - (r.ttfc.direct ?? 0));
  const ratio = med((r) => (r.rps.gateway ?? 0) / (r.rps.direct ?? 1));
  const bareP50 = med((r) => (r.p50.bare ?? 0) - (r.p50.direct ?? 0));
  const bareP99 = med((r) => (r.p99.bare ?? 0) - (r.p99.direct ?? 0));
  const bareTtfc = med((r) => (r.ttfc.bare ?? 0) - (r.ttfc.direct ?? 0));
  const bareRatio = med((r) => (r.rps.bare ?? 0) / (r.rps.direct ?? 1));

  // Memory: the gateway process's heap after GC, before and after many requests at concurrency 64.
  const before = await gateway.memory();
  const half = Math.floor(memoryRequests / 2);
  await drive(half, opts.concurrency, () => call(through));
  const middle = await gateway.memory();
  await drive(memoryRequests - half, opts.concurrency, () => call(through));
  const after = await gateway.memory();
  const growthMiB = (after.heapUsed - middle.heapUsed) / 2 ** 20;
  // CPU per request: the gateway process's (router + its SDK + node:http), against the sim's and the
  // client's own for a direct call: what decides added latency and throughput on a machine with idle cores.
  const gatewayCpuPerCall = (after.cpu - before.cpu) / memoryRequests;
  const simCpu0 = await sim.cpuMicros();
  const clientCpu0 = process.cpuUsage();
  await drive(5_000, opts.concurrency, () => call(direct));
  const clientCpu1 = process.cpuUsage(clientCpu0);
  const simCpuPerCall = ((await sim.cpuMicros()) - simCpu0) / 5_000;
  const clientCpuPerCall = (clientCpu1.user + clientCpu1.system) / 5_000;

  printTable(
    "SDK → sim vs SDK → gateway → sim (median of rounds, µs)",
    ["figure", "direct", "gateway", "added"],
    [
      [
        "p50 sequential",
        fmt(med((r) => r.p50.direct ?? 0)),
        fmt(med((r) => r.p50.gateway ?? 0)),
        fmt(addedP50),
      ],
      [
        "p99 sequential",
        fmt(med((r) => r.p99.direct ?? 0)),
        fmt(med((r) => r.p99.gateway ?? 0)),
        fmt(addedP99),
      ],
      [
        "stream: first chunk p50",
        fmt(med((r) => r.ttfc.direct ?? 0)),
        fmt(med((r) => r.ttfc.gateway ?? 0)),
        fmt(addedTtfc),
      ],
      [
        `throughput @${opts.concurrency} (req/s)`,
        fmt(med((r) => r.rps.direct ?? 0)),
        fmt(med((r) => r.rps.gateway ?? 0)),
        `${ratio.toFixed(2)}×`,
      ],
    ],
  );
  printTable(
    "Added over direct: the gateway vs a bare node:http proxy, same run (median of rounds, µs)",
    ["figure", "bare proxy", "gateway", "gateway less bare"],
    [
      ["p50 sequential", fmt(bareP50), fmt(addedP50), fmt(addedP50 - bareP50)],
      ["p99 sequential", fmt(bareP99), fmt(addedP99), fmt(addedP99 - bareP99)],
      ["stream: first chunk p50", fmt(bareTtfc), fmt(addedTtfc), fmt(addedTtfc - bareTtfc)],
      [`throughput @${opts.concurrency} (× direct)`, `${bareRatio.toFixed(2)}×`, `${ratio.toFixed(2)}×`, ""],
    ],
  );
  printTable(
    `Gateway heap after GC over ${memoryRequests} requests (MiB)`,
    ["start", `after ${half}`, `after ${memoryRequests}`, "growth over the second half"],
    [
      [
        fmt(before.heapUsed / 2 ** 20, 1),
        fmt(middle.heapUsed / 2 ** 20, 1),
        fmt(after.heapUsed / 2 ** 20, 1),
        fmt(growthMiB, 2),
      ],
    ],
  );
  printTable(
    "CPU per request (µs, at concurrency 64)",
    ["client SDK (direct call)", "sim", "gateway process (per gateway call)"],
    [[fmt(clientCpuPerCall), fmt(simCpuPerCall), fmt(gatewayCpuPerCall)]],
  );
  const verdicts: Verdict[] = [
    { budget: "added p50 ≤ 150 µs", measured: `${fmt(addedP50)} µs`, pass: addedP50 <= 150 },
    { budget: "added p99 ≤ 1 ms", measured: `${fmt(addedP99)} µs`, pass: addedP99 <= 1_000 },
    {
      budget: `throughput @${opts.concurrency} ≥ 0.7× direct`,
      measured: `${ratio.toFixed(2)}×`,
      pass: ratio >= 0.7,
    },
    { budget: "stream first chunk added ≤ 200 µs", measured: `${fmt(addedTtfc)} µs`, pass: addedTtfc <= 200 },
    {
      budget: `memory flat over ${memoryRequests} requests (second half grows < 2 MiB)`,
      measured: `${fmt(growthMiB, 2)} MiB`,
      pass: growthMiB < 2,
    },
  ];
  printVerdicts(verdicts);
  writeResult(opts.full ? "gateway-full" : "gateway", {
    settings: { ...opts, memoryRequests },
    rounds,
    figures: {
      addedP50,
      addedP99,
      addedTtfc,
      ratio,
      bare: { addedP50: bareP50, addedP99: bareP99, addedTtfc: bareTtfc, ratio: bareRatio },
      cpuPerCall: { client: clientCpuPerCall, sim: simCpuPerCall, gateway: gatewayCpuPerCall },
      memory: { before, middle, after, growthMiB },
    },
    verdicts,
  });
  await gateway.stop();
  await sim.stop();
}

if (process.argv[2] === "--gateway") void serveGateway(JSON.parse(process.argv[3] ?? "{}") as SimEndpoint);
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
