/**
 * A lane's concurrency gate. Admission is decided synchronously (`tryAcquire`), so a request that can
 * go goes in the same tick; an engine may still hold the call back until `ready` resolves.
 */
export interface GateTicket {
  /** Resolves when the call may start; `undefined` when it may start at once (the native engine). */
  readonly ready: Promise<void> | undefined;
  /** Frees the slot. Idempotent. */
  release(): void;
}

/** One interface, two engines: the native counter (default) and bottleneck. */
export interface LaneGate {
  readonly limit: number;
  readonly inflight: number;
  /** A ticket when a slot is free, else undefined. Never waits. */
  tryAcquire(): GateTicket | undefined;
  /** Releases engine resources (timers); outstanding tickets stay valid. */
  close(): Promise<void>;
}

/** Which engine gates a lane's concurrency. */
export type GateEngine = "native" | "bottleneck";

/** The default gate: a counter. No timers, no promises. */
export function createNativeGate(limit: number): LaneGate {
  let inflight = 0;
  return {
    limit,
    get inflight() {
      return inflight;
    },
    tryAcquire() {
      if (inflight >= limit) return undefined;
      inflight += 1;
      let released = false;
      return {
        ready: undefined,
        release() {
          if (released) return;
          released = true;
          inflight -= 1;
        },
      };
    },
    close: () => Promise.resolve(),
  };
}
