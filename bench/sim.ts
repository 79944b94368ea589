/**
 * How many requests per second the simulated fleet serves to the official SDK, latency 0.
 *
 *   npx tsx bench/sim.ts [--seconds 5] [--concurrency 64]
 *
 * The fleet runs in a child process (its own core) and the SDK load in this one, so the figures
 * are the sim's throughput and CPU, not the two fighting over one event loop. "sim capacity" is
 * req/s divided by the sim's CPU share: what one fully busy core of sim would serve. The CPU
 * columns are the figures to compare across runs: req/s swings with whatever else the machine runs.
 */
import { fork } from "node:child_process";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import OpenAI from "openai";
import { startFleet } from "../src/sim/index.js";

interface Ready {
  readonly type: "ready";
  readonly baseURL: string;
  readonly apiKey: string;
}
interface Cpu {
  readonly type: "cpu";
  readonly micros: number;
}
type ChildMessage = Ready | Cpu;

const MESSAGES = [{ role: "user" as const, content: "Summarise the benefits of a single central queue." }];

async function serve(): Promise<void> {
  const fleet = await startFleet({
    seed: 1,
    endpoints: [{ name: "bench", type: "openai", models: ["gpt-4o"] }],
  });
  const e = fleet.endpoint("bench");
  if (e.type !== "openai") throw new Error("unreachable");
  process.on("message", (msg: string) => {
    if (msg === "cpu") {
      const u = process.cpuUsage();
      process.send?.({ type: "cpu", micros: u.user + u.system } satisfies Cpu);
    } else if (msg === "stop") {
      void fleet.close().then(() => process.exit(0));
    }
  });
  process.send?.({ type: "ready", baseURL: e.baseURL, apiKey: e.apiKey } satisfies Ready);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: "string", default: "5" }, concurrency: { type: "string", default: "64" } },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);

  const child = fork(new URL(import.meta.url).pathname, ["--serve"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiters: ((m: ChildMessage) => void)[] = [];
  child.on("message", (m: ChildMessage) => waiters.shift()?.(m));
  const next = () => new Promise<ChildMessage>((resolve) => waiters.push(resolve));
  const ready = (await next()) as Ready;
  const simCpu = async () => {
    const reply = next();
    child.send("cpu");
    return ((await reply) as Cpu).micros;
  };

  const client = new OpenAI({ apiKey: ready.apiKey, baseURL: ready.baseURL, maxRetries: 0 });
  const once = async (stream: boolean) => {
    if (!stream) {
      await client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
      return;
    }
    const s = await client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, stream: true });
    for await (const _ of s) {
      // drain
    }
  };

  const run = async (label: string, stream: boolean) => {
    // Warm up sockets, JIT and the token cache before measuring.
    const warmEnd = performance.now() + 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < warmEnd) await once(stream);
      }),
    );
    const latencies: number[] = [];
    const cpu0 = await simCpu();
    const clientCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          await once(stream);
          latencies.push(performance.now() - s);
        }
      }),
    );
    const wall = performance.now() - t0;
    const simShare = (await simCpu()) - cpu0;
    const clientUsage = process.cpuUsage(clientCpu0);
    const rps = latencies.length / (wall / 1000);
    const simCpuShare = simShare / 1000 / wall;
    latencies.sort((a, b) => a - b);
    return {
      mode: label,
      "req/s": Math.round(rps),
      "p50 ms": Number(percentile(latencies, 0.5).toFixed(2)),
      "p99 ms": Number(percentile(latencies, 0.99).toFixed(2)),
      "sim CPU": `${Math.round(simCpuShare * 100)}%`,
      "client CPU": `${Math.round(((clientUsage.user + clientUsage.system) / 1000 / wall) * 100)}%`,
      "sim CPU µs/req": Math.round(simShare / latencies.length),
      "sim capacity req/s/core": Math.round(rps / simCpuShare),
    };
  };

  console.log(
    `sim bench: ${concurrency} concurrent SDK calls, ${seconds}s per mode, latency 0, node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? "?"})`,
  );
  const rows = [await run("chat (JSON)", false), await run("chat (stream)", true)];
  console.table(rows);
  child.send("stop");
}

if (process.argv.includes("--serve")) await serve();
else await main();
