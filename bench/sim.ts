/**
 * How many requests per second the simulated fleet serves to the official SDK, latency 0.
 *
 *   npx tsx bench/sim.ts [--seconds 5] [--concurrency 64] [--calls 2000] [--sequential-only]
 *
 * Then, side by side, the cost of one sequential SDK call to a sim endpoint whose latency model is
 * `{ ttftMs: 0, tokensPerSecond: 1e6, jitter: 0 }` against a bare `node:http` server (same child
 * process) answering the same fixed completion, JSON and streamed; the ratio is the sim's overhead
 * per call (issue 9 asks for ≤ 1.3×). Blocks of 25 calls alternate between the two (in turn
 * first) so drift in the machine's load hits both alike; the median of the paired block ratios is
 * printed beside the ratio of the totals. `--sequential-only` skips the throughput table (the quickest run
 * that prints the ratio). The server process's CPU per call is printed for each side too: it is
 * what the sim adds, free of the client's share, and steadier than wall time on a busy machine.
 *
 * The fleet runs in a child process (its own core) and the SDK load in this one, so the figures
 * are the sim's throughput and CPU, not the two fighting over one event loop. "sim capacity" is
 * req/s divided by the sim's CPU share: what one fully busy core of sim would serve. The CPU
 * columns are the figures to compare across runs: req/s swings with whatever else the machine runs.
 */
import { fork } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import OpenAI from "openai";
import { startFleet } from "../src/sim/index.js";

interface Ready {
  readonly type: "ready";
  readonly baseURL: string;
  readonly apiKey: string;
  /** The sim endpoint with the near-zero latency model, for the sequential comparison. */
  readonly fastURL: string;
  readonly fastKey: string;
  /** The bare node:http server answering a fixed completion. */
  readonly bareURL: string;
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
    endpoints: [
      { name: "bench", type: "openai", models: ["gpt-4o"] },
      {
        name: "fast",
        type: "openai",
        models: ["gpt-4o"],
        latency: { ttftMs: 0, tokensPerSecond: 1e6, jitter: 0 },
      },
    ],
  });
  const e = fleet.endpoint("bench");
  const fast = fleet.endpoint("fast");
  if (e.type !== "openai" || fast.type !== "openai") throw new Error("unreachable");
  // The bare server answers with the sim's own reply to the same prompt, captured once.
  const capture = async (stream: boolean) => {
    const res = await fetch(`${e.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${e.apiKey}` },
      body: JSON.stringify({ model: "gpt-4o", messages: MESSAGES, stream }),
    });
    return res.text();
  };
  const json = await capture(false);
  const sse = await capture(true);
  const bare = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const stream =
        (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { stream?: boolean }).stream === true;
      const body = stream ? sse : json;
      res.writeHead(200, {
        "content-type": stream ? "text/event-stream; charset=utf-8" : "application/json",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const barePort = (bare.address() as AddressInfo).port;
  process.on("message", (msg: string) => {
    if (msg === "cpu") {
      const u = process.cpuUsage();
      process.send?.({ type: "cpu", micros: u.user + u.system } satisfies Cpu);
    } else if (msg === "stop") {
      bare.close();
      void fleet.close().then(() => process.exit(0));
    }
  });
  process.send?.({
    type: "ready",
    baseURL: e.baseURL,
    apiKey: e.apiKey,
    fastURL: fast.baseURL,
    fastKey: fast.apiKey,
    bareURL: `http://127.0.0.1:${barePort}/v1`,
  } satisfies Ready);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "5" },
      concurrency: { type: "string", default: "64" },
      calls: { type: "string", default: "2000" },
      "sequential-only": { type: "boolean", default: false },
    },
  });
  const calls = Number(values.calls);
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

  if (!values["sequential-only"]) {
    console.log(
      `sim bench: ${concurrency} concurrent SDK calls, ${seconds}s per mode, latency 0, node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? "?"})`,
    );
    console.table([await run("chat (JSON)", false), await run("chat (stream)", true)]);
  }

  // Sequential: one call at a time, sim (near-zero latency model) vs bare node:http.
  const sim = new OpenAI({ apiKey: ready.fastKey, baseURL: ready.fastURL, maxRetries: 0 });
  const bare = new OpenAI({ apiKey: "bare", baseURL: ready.bareURL, maxRetries: 0 });
  const call = async (c: OpenAI, stream: boolean) => {
    if (!stream) {
      await c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
      return;
    }
    for await (const _ of await c.chat.completions.create({
      model: "gpt-4o",
      messages: MESSAGES,
      stream: true,
    })) {
      // drain
    }
  };
  const sequential = async (stream: boolean) => {
    // Short blocks, in alternating order, so a burst of load from elsewhere on the machine lands on
    // both sides alike; the median of the paired block ratios is the figure such a burst moves least.
    const block = 25;
    const spent = { sim: 0, bare: 0 };
    const serverCpu = { sim: 0, bare: 0 };
    const pairs: number[] = [];
    for (const c of [sim, bare]) for (let i = 0; i < 200; i++) await call(c, stream); // warm-up
    const timeBlock = async (label: "sim" | "bare") => {
      const c = label === "sim" ? sim : bare;
      const cpu0 = await simCpu();
      const t0 = performance.now();
      for (let i = 0; i < block; i++) await call(c, stream);
      const ms = performance.now() - t0;
      spent[label] += ms;
      serverCpu[label] += (await simCpu()) - cpu0;
      return ms;
    };
    for (let round = 0; round * block < calls; round++) {
      const simFirst = round % 2 === 0;
      const first = await timeBlock(simFirst ? "sim" : "bare");
      const second = await timeBlock(simFirst ? "bare" : "sim");
      pairs.push(simFirst ? first / second : second / first);
    }
    const n = pairs.length * block;
    const simMs = spent.sim / n;
    const bareMs = spent.bare / n;
    pairs.sort((a, b) => a - b);
    return {
      mode: stream ? "chat (stream)" : "chat (JSON)",
      "sim ms/call": Number(simMs.toFixed(3)),
      "bare node:http ms/call": Number(bareMs.toFixed(3)),
      ratio: Number((simMs / bareMs).toFixed(2)),
      "median block ratio": Number(percentile(pairs, 0.5).toFixed(2)),
      "sim server CPU µs/call": Math.round(serverCpu.sim / n),
      "bare server CPU µs/call": Math.round(serverCpu.bare / n),
    };
  };
  console.log(
    `sequential SDK calls, ${calls} per side, sim latency { ttftMs: 0, tokensPerSecond: 1e6, jitter: 0 } vs a bare node:http server with the same reply, node ${process.version}, ${cpus().length} cpus`,
  );
  console.table([await sequential(false), await sequential(true)]);
  child.send("stop");
}

if (process.argv.includes("--serve")) await serve();
else await main();
