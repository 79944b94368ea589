/**
 * Runs a simulated fleet in a child process, so the sim's CPU is not charged to the event loop
 * being measured (on a 2-core machine the sim and the client each get a core).
 *
 * The parent imports {@link startSimChild}; the child is this same file run with `--serve`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SimEndpoint, StartFleetOptions } from "../../src/sim/index.js";
import { startFleet } from "../../src/sim/index.js";

type ToChild = { readonly type: "cpu" } | { readonly type: "stop" };
type FromChild =
  | { readonly type: "ready"; readonly endpoints: readonly SimEndpoint[] }
  | { readonly type: "cpu"; readonly micros: number };

/** A fleet living in a child process. */
export interface SimChild {
  readonly endpoints: readonly SimEndpoint[];
  /** The child's user + system CPU time so far, in microseconds. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

/** Forks the child, starts the fleet there and resolves once it listens. */
export async function startSimChild(options: StartFleetOptions): Promise<SimChild> {
  const child: ChildProcess = fork(SELF, ["--serve", JSON.stringify(options)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiters: { resolve: (m: FromChild) => void; reject: (e: Error) => void }[] = [];
  child.on("message", (m: FromChild) => waiters.shift()?.resolve(m));
  child.on("exit", (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`sim child exited (${code})`));
  });
  const next = () => new Promise<FromChild>((resolve, reject) => waiters.push({ resolve, reject }));
  const send = (m: ToChild) => child.send(m);
  const ready = await next();
  if (ready.type !== "ready") throw new Error("sim child: unexpected first message");
  return {
    endpoints: ready.endpoints,
    async cpuMicros() {
      const reply = next();
      send({ type: "cpu" });
      const m = await reply;
      return m.type === "cpu" ? m.micros : Number.NaN;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        send({ type: "stop" });
      }),
  };
}

async function serve(options: StartFleetOptions): Promise<void> {
  const fleet = await startFleet(options);
  process.on("message", (m: ToChild) => {
    if (m.type === "cpu") {
      const u = process.cpuUsage();
      process.send?.({ type: "cpu", micros: u.user + u.system } satisfies FromChild);
    } else if (m.type === "stop") {
      void fleet.close().then(() => process.exit(0));
    }
  });
  process.send?.({ type: "ready", endpoints: fleet.endpoints } satisfies FromChild);
}

if (process.argv[1] === SELF && process.argv[2] === "--serve") {
  void serve(JSON.parse(process.argv[3] ?? "{}") as StartFleetOptions);
}
