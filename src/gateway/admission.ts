import type { ClientState } from "./clients.js";
import type { ResolvedGatewayConfig } from "./config.js";
import { GatewayError } from "./errors.js";
import type { Exchange, ModelLine } from "./exchange.js";
import { FairQueue } from "./fair-queue.js";

/** Options of {@link Admission}. */
export interface AdmissionOptions {
  readonly fairness: ResolvedGatewayConfig["fairness"];
  readonly agingMs: number;
  readonly now: () => number;
  /** Sends a request on to the router (it has left its client queue). */
  readonly start: (exchange: Exchange) => void;
}

const eligible = (client: ClientState): boolean => client.inflight < client.concurrency;

/**
 * The gateway's queues in front of the router: one fair queue per model (deficit round-robin over
 * clients, `FairQueue`), of which only `fairness.queuedPerModel` requests at a time wait inside the
 * router's own queue; a client at its concurrency limit waits its turn. See docs/gateway.md, "Fairness".
 */
export class Admission {
  private readonly lines = new Map<string, ModelLine>();
  private readonly queued = new Map<ClientState, number>();
  private readonly limit: number;

  constructor(private readonly options: AdmissionOptions) {
    this.limit = options.fairness.enabled ? options.fairness.queuedPerModel : Number.POSITIVE_INFINITY;
  }

  /** Requests of a client waiting in the gateway. */
  queuedOf(client: ClientState): number {
    return this.queued.get(client) ?? 0;
  }

  /**
   * Puts a request in its model's fair queue and lets through what may go now.
   * @throws GatewayError `CLIENT_QUEUE_FULL` when the client already has `maxQueuedPerClient` waiting.
   */
  enqueue(exchange: Exchange): void {
    const client = exchange.client as ClientState;
    const queued = this.queuedOf(client);
    if (queued >= this.options.fairness.maxQueuedPerClient)
      throw new GatewayError(
        "CLIENT_QUEUE_FULL",
        `Client "${client.name}" already has ${queued} requests waiting in this gateway; retry later.`,
        { retryAfterMs: 1_000 },
      );
    const line = this.lineOf(exchange.model ?? "");
    exchange.queuedAt = this.options.now();
    exchange.line = line;
    this.queued.set(client, queued + 1);
    line.queue.push(exchange);
    this.pump(line);
  }

  /** Takes a request that has not gone on yet out of its queue (its caller left, or the drain ended it). */
  withdraw(exchange: Exchange): boolean {
    if (exchange.started || !exchange.line?.queue.remove(exchange)) return false;
    this.countDown(exchange.client as ClientState);
    return true;
  }

  /** A request let into the router's queue was dispatched to an endpoint (or settled): the next may go. */
  leftRouterQueue(exchange: Exchange): void {
    const line = exchange.line;
    if (!line) return;
    line.inRouter -= 1;
    this.pump(line);
  }

  /** A request of `client` ended: with a concurrency limit, its waiting requests may go now. */
  ended(client: ClientState | undefined): void {
    if (!client || client.concurrency === Number.POSITIVE_INFINITY) return;
    for (const line of this.lines.values()) if (line.queue.size > 0) this.pump(line);
  }

  /** Lets waiting requests into the router's queue while it holds fewer than `queuedPerModel` of the model. */
  private pump(line: ModelLine): void {
    while (line.inRouter < this.limit && line.queue.size > 0) {
      const next = line.queue.next(this.options.now(), eligible);
      if (!next) return;
      this.countDown(next.client as ClientState);
      line.inRouter += 1;
      next.inRouter = true;
      this.options.start(next);
    }
  }

  private countDown(client: ClientState): void {
    const left = this.queuedOf(client) - 1;
    if (left > 0) this.queued.set(client, left);
    else this.queued.delete(client);
  }

  private lineOf(model: string): ModelLine {
    let line = this.lines.get(model);
    if (!line) {
      line = {
        queue: new FairQueue<ClientState, Exchange>({
          quantum: this.options.fairness.quantumTokens,
          agingMs: this.options.agingMs,
        }),
        inRouter: 0,
      };
      this.lines.set(model, line);
    }
    return line;
  }
}
