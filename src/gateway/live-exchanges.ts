import type { Exchange } from "./exchange.js";

/**
 * The requests the gateway is handling, and the answers it gave each client by status: what a drain
 * waits for, and what `/metrics` counts per client.
 */
export class LiveExchanges {
  private readonly live = new Set<Exchange>();
  private readonly statuses = new Map<string, Map<number, number>>();
  private idle: (() => void) | undefined;

  get size(): number {
    return this.live.size;
  }

  /** A snapshot, safe to iterate while exchanges end. */
  all(): Exchange[] {
    return [...this.live];
  }

  add(exchange: Exchange): void {
    this.live.add(exchange);
  }

  /** The exchange answered: counted under its client (`-` before it authenticated) and status. */
  ended(exchange: Exchange): void {
    this.live.delete(exchange);
    const name = exchange.client?.name ?? "-";
    let byStatus = this.statuses.get(name);
    if (!byStatus) {
      byStatus = new Map();
      this.statuses.set(name, byStatus);
    }
    byStatus.set(exchange.status, (byStatus.get(exchange.status) ?? 0) + 1);
    if (this.live.size === 0) this.idle?.();
  }

  /** Resolves when no request is in flight, or after `ms`. */
  async idleOrAfter(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.idle = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  /** Clients that got an answer, by name. */
  answered(): Iterable<string> {
    return this.statuses.keys();
  }

  /** The answers `name` got, by status. */
  byStatus(name: string): Map<number, number> {
    return this.statuses.get(name) ?? new Map();
  }
}
