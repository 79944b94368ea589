import { Agent, fetch as undiciFetch } from "undici";
import type { Router } from "../../src/index.js";
import type { FastForward } from "./virtual-time.js";

/** What the latency function is told about one answered call. */
export interface Answered {
  /** The endpoint's `host:port`, as the router addressed it. */
  readonly host: string;
  /** `usage.completion_tokens` of a chat answer (undefined for other bodies). */
  readonly completionTokens: number | undefined;
}

/**
 * A fetch for the router that sends every call to the simulated fleet over real HTTP (configure the
 * fleet without latency) and hands the answer back only once the virtual clock has moved on by the
 * latency `latencyOf` gives that call. The router measures latency on the same clock, so what a
 * strategy sees is exactly what the test decided, however slow or loaded this machine is.
 *
 * Non-streamed answers only: the body is read before the hold, so nothing real is left pending
 * while the test jumps the clock.
 */
export function virtualLatencyFetch(clock: FastForward, latencyOf: (call: Answered) => number) {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  let sending = 0;
  let holding = 0;
  const fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const startedAt = clock.now();
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    sending++;
    let status: number;
    let headers: Headers;
    let body: ArrayBuffer;
    try {
      const real = await undiciFetch(url, { ...(init as object), dispatcher: agent } as Parameters<
        typeof undiciFetch
      >[1]);
      status = real.status;
      headers = new Headers(real.headers as unknown as Headers);
      body = await real.arrayBuffer();
    } finally {
      sending--;
    }
    const latency = latencyOf({ host: url.host, completionTokens: completionTokens(body) });
    holding++;
    await new Promise<void>((resolve) => {
      clock.scheduler.schedule(() => resolve(), Math.max(0, startedAt + latency - clock.now()));
    });
    holding--;
    return new Response(body, { status, headers });
  }) as typeof globalThis.fetch;

  return {
    fetch,
    /**
     * True when nothing real is under way: every attempt the router has in flight is held on the
     * virtual clock, so the only way forward is to advance it.
     */
    waitingOnClock(router: Router): boolean {
      return sending === 0 && router.snapshot().totals.inflight === holding;
    },
    close: () => agent.close(),
  };
}

function completionTokens(body: ArrayBuffer): number | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { usage?: { completion_tokens?: unknown } };
    const tokens = parsed.usage?.completion_tokens;
    return typeof tokens === "number" ? tokens : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Drives the virtual clock until `done()`: lets real I/O and promise chains finish until the system
 * waits on the clock alone, then jumps to the next timer (a held answer, an arrival, a refill).
 */
export async function runVirtual(
  clock: FastForward,
  done: () => boolean,
  waitingOnClock: () => boolean,
  maxSteps = 100_000,
): Promise<void> {
  const turn = () => new Promise<void>((r) => setImmediate(r));
  for (let step = 0; step < maxSteps; step++) {
    // Two quiet turns in a row: a call that was just made reaches the router (and its fetch) within one.
    for (let quiet = 0; quiet < 2; ) {
      if (done()) return;
      await turn();
      quiet = waitingOnClock() ? quiet + 1 : 0;
    }
    const next = clock.nextDue();
    if (next === undefined) throw new Error("runVirtual: nothing scheduled, yet not done");
    clock.advanceTo(Math.max(next, clock.now()));
  }
  throw new Error(`runVirtual: not done after ${maxSteps} steps`);
}
