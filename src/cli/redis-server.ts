/**
 * Starts a real `redis-server` for the multi-process demo, the tests and the benchmark (never a mock).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, Socket } from "node:net";

/** Where Debian's package installs the server (`apt-get install redis-server`; `.ci/run` does it). */
const CANDIDATES = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

/** A real `redis-server` on a free loopback port, persistence off. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL), keeping the port number for `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port (an empty dataset: persistence is off). */
  restart(): Promise<void>;
}

/** The redis-server binary, or an error that says how to install one (tests must never skip). */
export function redisServerBinary(): string {
  const fromEnv = process.env.REDIS_SERVER;
  for (const candidate of fromEnv ? [fromEnv, ...CANDIDATES] : CANDIDATES)
    if (existsSync(candidate)) return candidate;
  throw new Error(
    "redis-server not found (looked in $REDIS_SERVER, /usr/bin, /usr/local/bin): install it with " +
      "`apt-get install redis-server` (.ci/run does); the shared-store tests need a real server and never skip",
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/**
 * Starts `redis-server` on a free port of 127.0.0.1 with `--save "" --appendonly no`, and waits until
 * it answers PING. Throws (never skips) when the binary is missing or the server does not come up.
 */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const binary = redisServerBinary();
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = "";
  const launch = async () => {
    output = "";
    const proc = spawn(
      binary,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
        ...extraArgs,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = proc;
    proc.stdout?.on("data", (d) => {
      output = (output + String(d)).slice(-4_000);
    });
    proc.stderr?.on("data", (d) => {
      output = (output + String(d)).slice(-4_000);
    });
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) break;
      if (await answersPing(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill("SIGKILL");
    throw new Error(`redis-server did not start on port ${port}: ${output}`);
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, stop, restart: launch };
}
