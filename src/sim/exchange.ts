import type { IncomingMessage, ServerResponse } from "node:http";
import { TIMER_RESOLUTION_MS } from "./latency.js";

/** One HTTP exchange from request to close. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly started: number;
  status: number;
  admitted: boolean;
  closed: boolean;
  timer: NodeJS.Timeout | undefined;
  rateHeaders: Record<string, string> | undefined;
}

/**
 * The timers that answer one endpoint's exchanges later. Each exchange keeps its pending timer, so
 * a client that goes away stops its answer; the endpoint keeps them all, so closing it stops every one.
 */
export class ExchangeTimers {
  readonly #timers = new Set<NodeJS.Timeout>();

  /**
   * Runs `fn` after `ms`; synchronously when the delay is below the timer resolution (Node's timers
   * wait at least 1 ms, so a 0.1 ms delay would otherwise cost a whole millisecond).
   */
  after(ex: Exchange, ms: number, fn: () => void): void {
    if (ms < TIMER_RESOLUTION_MS) fn();
    else this.later(ex, fn, ms);
  }

  /** Runs `fn` after `ms` on a timer, even when the delay is below the timer resolution. */
  later(ex: Exchange, fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      ex.timer = undefined;
      fn();
    }, ms);
    this.#timers.add(timer);
    ex.timer = timer;
  }

  /** Cancels the exchange's pending timer, if any. */
  clear(ex: Exchange): void {
    if (ex.timer === undefined) return;
    clearTimeout(ex.timer);
    this.#timers.delete(ex.timer);
    ex.timer = undefined;
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
