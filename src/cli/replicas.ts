/**
 * Many router processes on one quota: each replica is a child process running its own router (same
 * config, one Redis) under a steady load, reporting its counts to the parent over IPC. The
 * multi-process demo (`--replicas N`), the tests and the benchmark all drive replicas through here.
 *
 * The child is this file run with `--replica <json>`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AzureEndpointConfig, OpenAIEndpointConfig } from "../config.js";
import type { RouterEvent } from "../events.js";
import type { RedisConfig } from "../limits/shared/config.js";
import { createRouter } from "../router.js";

/** What a replica is told at start. */
export interface ReplicaOptions {
  readonly endpoints: readonly (AzureEndpointConfig | OpenAIEndpointConfig)[];
  /** The shared store; absent: each replica keeps its own in-process budgets (the baseline). */
  readonly redis?: RedisConfig | undefined;
  /** Requests per second this replica offers (0 = idle). */
  readonly rps: number;
  readonly model: string;
  readonly maxTokens: number;
  /** Each request's deadline (queue time included). @unit milliseconds */
  readonly timeoutMs: number;
  /**
   * The router's queue bound: under overload the excess is refused at once (QUEUE_FULL) instead of
   * waiting until requests are dispatched so close to their deadline that they expire in flight. @default 100000
   */
  readonly queueSize?: number;
  /** The router's strategy. @default "least-busy" */
  readonly strategy?: "least-busy" | "round-robin" | "usage-based" | "least-latency";
}

/** A replica's counts so far. */
export interface ReplicaReport {
  readonly pid: number;
  readonly submitted: number;
  readonly ok: number;
  /** Outcomes by error code. */
  readonly failed: Readonly<Record<string, number>>;
  /** Failed requests whose last answer was a 429 (a caller-visible 429). */
  readonly rateLimited: number;
  /** Successes by endpoint. */
  readonly okBy: Readonly<Record<string, number>>;
  /** Requests that got more than one outcome (must stay 0). */
  readonly duplicates: number;
  readonly storeDown: number;
  readonly storeUp: number;
  readonly inflight: number;
  /** Why the shared store last went down, if it did. */
  readonly downReason?: string;
}

type ToReplica = { readonly type: "rate"; readonly rps: number } | { readonly type: "stop" };
type FromReplica = { readonly type: "report"; readonly report: ReplicaReport; readonly final: boolean };

/** A replica seen from the parent. */
export interface ReplicaHandle {
  readonly pid: number;
  /** The latest report (every 200 ms). */
  readonly report: ReplicaReport;
  setRate(rps: number): void;
  /** Stops the load, waits for every request's outcome, closes the router (leases go back). */
  stop(): Promise<ReplicaReport>;
  /** `kill -9`: no goodbye, no hand-back. */
  kill(): Promise<void>;
  readonly exited: boolean;
}

const SELF = fileURLToPath(import.meta.url);

const EMPTY: ReplicaReport = {
  pid: 0,
  submitted: 0,
  ok: 0,
  failed: {},
  rateLimited: 0,
  okBy: {},
  duplicates: 0,
  storeDown: 0,
  storeUp: 0,
  inflight: 0,
};

/** Forks one replica and resolves once its router runs. */
export async function startReplica(options: ReplicaOptions): Promise<ReplicaHandle> {
  // Under tsx (tests, `npm start`) the child needs the loader too; the built CLI runs plain JS.
  const execArgv = SELF.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child: ChildProcess = fork(SELF, ["--replica", JSON.stringify(options)], {
    execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let report: ReplicaReport = { ...EMPTY, pid: child.pid ?? 0 };
  let finalReport: ((r: ReplicaReport) => void) | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`replica exited before it started (${code})`)));
  });
  child.on("message", (m: FromReplica) => {
    if (m.type !== "report") return;
    report = m.report;
    if (m.final) finalReport?.(m.report);
  });
  await ready;
  const send = (m: ToReplica) => {
    if (!exited && child.connected) child.send(m);
  };
  return {
    pid: child.pid ?? 0,
    get report() {
      return report;
    },
    get exited() {
      return exited;
    },
    setRate: (rps) => send({ type: "rate", rps }),
    async stop() {
      if (exited) return report;
      const final = new Promise<ReplicaReport>((resolve) => (finalReport = resolve));
      send({ type: "stop" });
      const r = await final;
      await exit;
      return r;
    },
    async kill() {
      if (exited) return;
      child.kill("SIGKILL");
      await exit;
    },
  };
}

/** The child: one router, a steady load, reports to the parent. */
async function runReplica(options: ReplicaOptions): Promise<void> {
  const router = createRouter({
    strategy: options.strategy ?? "least-busy",
    endpoints: options.endpoints.map((e) => ({ ...e })),
    ...(options.redis ? { redis: options.redis } : {}),
    timeoutMs: options.timeoutMs,
    queue: { maxSize: options.queueSize ?? 100_000, agingMs: 10_000 },
  });
  const counts = {
    submitted: 0,
    ok: 0,
    rateLimited: 0,
    duplicates: 0,
    storeDown: 0,
    storeUp: 0,
    inflight: 0,
  };
  const failed: Record<string, number> = {};
  let downReason: string | undefined;
  const okBy: Record<string, number> = {};
  router.events$.subscribe((e: RouterEvent) => {
    if (e.type === "shared-store-down") {
      counts.storeDown += 1;
      downReason = e.reason;
    }
    if (e.type === "shared-store-up") counts.storeUp += 1;
  });
  const snapshot = (): ReplicaReport => ({
    pid: process.pid,
    ...counts,
    failed: { ...failed },
    okBy: { ...okBy },
    ...(downReason === undefined ? {} : { downReason }),
  });
  const post = (final: boolean) =>
    process.send?.({ type: "report", report: snapshot(), final } satisfies FromReplica);
  let rps = options.rps;
  let credit = 0;
  let last = Date.now();
  /** Requests not settled yet; `stop` aborts them (each still gets its one outcome: ABORTED). */
  const pending = new Set<AbortController>();
  const fire = () => {
    const controller = new AbortController();
    pending.add(controller);
    counts.submitted += 1;
    counts.inflight += 1;
    let settled = false;
    const settle = () => {
      if (settled) counts.duplicates += 1;
      settled = true;
      counts.inflight -= 1;
      pending.delete(controller);
    };
    router.chat.completions
      .create(
        {
          model: options.model,
          messages: [{ role: "user", content: "hello" }],
          max_tokens: options.maxTokens,
        },
        { signal: controller.signal },
      )
      .then(
        () => {
          settle();
          counts.ok += 1;
        },
        (error: { code?: string; status?: number }) => {
          settle();
          const code = error.code ?? "UNKNOWN";
          failed[code] = (failed[code] ?? 0) + 1;
          if (error.status === 429) counts.rateLimited += 1;
        },
      );
  };
  router.completions$.subscribe((c) => {
    if (c.ok && c.endpoint !== undefined) okBy[c.endpoint] = (okBy[c.endpoint] ?? 0) + 1;
  });
  const load = setInterval(() => {
    const now = Date.now();
    credit = Math.min(credit + ((now - last) * rps) / 1_000, 50);
    last = now;
    while (credit >= 1) {
      credit -= 1;
      fire();
    }
  }, 10);
  const reports = setInterval(() => post(false), 200);
  process.on("message", (m: ToReplica) => {
    if (m.type === "rate") rps = m.rps;
    if (m.type !== "stop") return;
    clearInterval(load);
    for (const controller of pending) controller.abort();
    void (async () => {
      while (counts.inflight > 0) await new Promise((r) => setTimeout(r, 20));
      clearInterval(reports);
      await router.close();
      post(true);
      process.disconnect();
    })();
  });
  post(false);
}

if (process.argv[2] === "--replica") {
  runReplica(JSON.parse(process.argv[3] as string) as ReplicaOptions).catch((error: unknown) => {
    process.stderr.write(`replica: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
