import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SimError } from "./sim-error.js";

/**
 * Binding the port again after `down` can meet EADDRINUSE when the kernel has lent the free port to
 * an outgoing connection meanwhile. Such a port frees up soon, so retry with a capped backoff
 * (about 4 s in all) before giving up.
 */
const RELISTEN_ATTEMPTS = 20;
const RELISTEN_FIRST_DELAY_MS = 10;
const RELISTEN_MAX_DELAY_MS = 250;

/**
 * The listening socket of one sim endpoint: opened once on a port, then closed and reopened on that
 * same port as the `down` fault comes and goes. Changes run one at a time, in call order, so
 * "down, up" issued without awaiting still ends up listening.
 */
export class Listener {
  #port = 0;
  #shutdown = false;
  /** Whether the socket is open once every queued change has run. */
  #target = true;
  /** Queued changes. Never rejects: a failure goes to the promise of the call that asked for it. */
  #changes: Promise<void> = Promise.resolve();
  #generation = 0;
  /** Ends the backoff of a pending re-listen early (set while one sleeps). */
  #wake: (() => void) | undefined;

  constructor(
    private readonly server: Server,
    private readonly host: string,
    private readonly name: string,
    /** Resets the open connections when the socket closes (keep-alive clients would get through). */
    private readonly dropConnections: () => void,
  ) {}

  /** True once `close` has been called: the socket is never reopened. */
  get shutdown(): boolean {
    return this.#shutdown;
  }

  /** Binds `port` (0: any free one) and keeps the port it got for later re-listens. */
  async open(port: number): Promise<AddressInfo> {
    await this.#bind(port);
    const address = this.server.address() as AddressInfo;
    this.#port = address.port;
    return address;
  }

  /**
   * Queues the change that ends with the socket open (`listening`) or closed, unless the queue
   * already ends there; resolves once that state is reached.
   * @throws SimError `SIM_LISTEN_FAILED` (rejection) when the port cannot be bound again.
   */
  follow(listening: boolean): Promise<void> {
    if (listening === this.#target) return this.#changes;
    this.#target = listening;
    const generation = ++this.#generation;
    const change = this.#changes.then(() => (listening ? this.#relisten() : this.#unlisten()));
    this.#changes = change.catch(() => {
      // Still closed: the next `follow(true)` tries again, unless a later change is already queued.
      if (generation === this.#generation) this.#target = false;
    });
    return change;
  }

  /**
   * Closes the socket for good, after any change in progress (which sees the shutdown and stops),
   * and resolves once the socket and the connections are really gone. Idempotent only through the
   * caller (it keeps the promise).
   */
  close(): Promise<void> {
    this.#shutdown = true;
    this.#wake?.();
    return this.#changes
      .then(
        () =>
          new Promise<void>((resolve) => {
            if (!this.server.listening) resolve();
            else this.server.close(() => resolve());
            this.dropConnections();
          }),
      )
      .then(settleSockets);
  }

  async #unlisten(): Promise<void> {
    if (this.#shutdown || !this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropConnections();
    await closed;
    await settleSockets();
  }

  async #relisten(): Promise<void> {
    for (let attempt = 1; !this.#shutdown && !this.server.listening; attempt++) {
      try {
        await this.#bind(this.#port);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= RELISTEN_ATTEMPTS) {
          throw new SimError(
            "SIM_LISTEN_FAILED",
            `Sim endpoint "${this.name}" could not listen again on port ${this.#port}: ${String(e)}`,
            { cause: e },
          );
        }
        await this.#pause(Math.min(RELISTEN_MAX_DELAY_MS, RELISTEN_FIRST_DELAY_MS * 2 ** (attempt - 1)));
      }
    }
  }

  #bind(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = this.server;
      const onError = (err: Error) => {
        server.off("listening", onListening);
        reject(err);
      };
      const onListening = () => {
        server.off("error", onError);
        resolve();
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(port, this.host);
    });
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

/**
 * Waits until closed sockets and listeners are really gone. `server.close` calls back before libuv
 * has released the handles. A client in this process reads its RST in the next poll phase, but
 * undici forgets the pooled connection only on the socket's `close`, in that iteration's close
 * phase. Two check phases later all of it has run: the caller's next request opens a new
 * connection (refused while down) instead of reusing a dead one, and no handle is left. One turn
 * was measured not to be enough.
 */
async function settleSockets(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}
