import { createRequire } from "node:module";
import type Bottleneck from "bottleneck";
import { ConfigError } from "../errors.js";
import type { GateTicket, LaneGate } from "./lane-gate.js";

type BottleneckCtor = typeof Bottleneck;

/**
 * Loads the optional `bottleneck` peer dependency. Resolved from the working directory's package first,
 * then from this package, so an application's own copy is used.
 * @throws ConfigError when bottleneck is not installed.
 */
export function loadBottleneck(): BottleneckCtor {
  for (const base of [`${process.cwd()}/package.json`, import.meta.url]) {
    try {
      const mod = createRequire(base)("bottleneck") as BottleneckCtor | { default: BottleneckCtor };
      return "default" in mod && typeof mod.default === "function" ? mod.default : (mod as BottleneckCtor);
    } catch {
      // try the next base
    }
  }
  throw new ConfigError([
    { path: "lanes.engine", message: 'engine "bottleneck" needs the bottleneck package: npm i bottleneck' },
  ]);
}

/**
 * A gate whose slots are granted by a bottleneck limiter (`maxConcurrent` = the lane's concurrency).
 * The admission decision stays synchronous (our own counter mirrors bottleneck's), while the call waits
 * for bottleneck to start the job: that wait is bottleneck's own scheduling cost, measured in bench/.
 */
export function createBottleneckGate(limit: number, Ctor: BottleneckCtor): LaneGate {
  const limiter = new Ctor({ maxConcurrent: Number.isFinite(limit) ? limit : null });
  let inflight = 0;
  return {
    limit,
    get inflight() {
      return inflight;
    },
    tryAcquire(): GateTicket | undefined {
      if (inflight >= limit) return undefined;
      inflight += 1;
      let released = false;
      let finishJob: (() => void) | undefined;
      const ready = new Promise<void>((resolveReady, rejectReady) => {
        limiter
          .schedule(
            () =>
              new Promise<void>((done) => {
                // Released before bottleneck started us (e.g. aborted): finish at once.
                if (released) return done();
                finishJob = done;
                resolveReady();
              }),
          )
          .catch(rejectReady);
      });
      // A ticket released before `ready` settles must not leave an unhandled rejection behind.
      ready.catch(() => undefined);
      return {
        ready,
        release() {
          if (released) return;
          released = true;
          inflight -= 1;
          finishJob?.();
        },
      };
    },
    async close() {
      await limiter.stop({ dropWaitingJobs: false });
    },
  };
}
