import type { Subscription } from "rxjs";
import { type Completion, createRouter, type Router, type StrategyName } from "../../src/index.js";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { toRouterEndpoints } from "../../src/sim/router-endpoints.js";
import { ENDPOINTS, type Planned, simConfig } from "./plan.js";

/**
 * One strategy's run in bench/goodput.ts: its router over its own fleet, what each request became and
 * when it was dispatched, and the queue and token stock sampled as the run goes.
 */

export interface Outcome {
  readonly completedAt: number;
  /** When the attempt that produced the outcome was dispatched (the services charge at admission). */
  readonly dispatchedAt: number | undefined;
  readonly completion: Completion;
}

export interface Sample {
  readonly t: number;
  readonly depth: number;
  /** Tokens left in the router's TPM buckets, summed over endpoints. */
  readonly stock: number;
  readonly saturated: boolean;
}

export class StrategyRun {
  readonly outcomes = new Map<string, Outcome>();
  readonly pending = new Map<string, AbortController>();
  readonly running = new Set<string>();
  readonly dispatchedAt = new Map<string, number>();
  readonly abortedByBench = new Set<string>();
  readonly events: Record<string, number> = {};
  readonly samples: Sample[] = [];
  readonly settled: Promise<unknown>[] = [];
  saturatedAt: number | undefined;
  maxDepth = 0;
  atEnd: { queued: number; inflight: number; pending: number } | undefined;
  private readonly subs: Subscription[] = [];

  private constructor(
    readonly strategy: StrategyName,
    readonly fleet: Fleet,
    readonly router: Router,
    clock: () => number,
    private readonly meanCharge: number,
    private readonly timeout: number,
  ) {
    this.subs.push(
      router.completions$.subscribe((c) => {
        this.outcomes.set(c.id, {
          completedAt: clock(),
          dispatchedAt: this.dispatchedAt.get(c.id),
          completion: c,
        });
        this.running.delete(c.id);
      }),
      router.events$.subscribe((e) => {
        this.events[e.type] = (this.events[e.type] ?? 0) + 1;
        if (e.type === "dispatched") {
          this.running.add(e.id);
          this.dispatchedAt.set(e.id, clock());
        } else if (e.type === "retried") this.running.delete(e.id);
      }),
    );
  }

  /** One router of `strategy` over a fleet of its own; `timeout` is every request's. */
  static async start(
    strategy: StrategyName,
    clock: () => number,
    meanCharge: number,
    { seed, timeout }: { readonly seed: number; readonly timeout: number },
  ): Promise<StrategyRun> {
    const fleet = await startFleet({ seed, endpoints: ENDPOINTS.map(simConfig) });
    const extras = Object.fromEntries(
      ENDPOINTS.map((e) => [e.name, { limits: { ...e.limits }, weight: e.weight, priority: e.priority }]),
    );
    const router = createRouter({
      strategy,
      endpoints: toRouterEndpoints(fleet, extras),
      queue: { maxSize: 100_000 },
      timeoutMs: timeout,
    });
    return new StrategyRun(strategy, fleet, router, clock, meanCharge, timeout);
  }

  submit(p: Planned): void {
    const id = `g${p.index}`;
    const controller = new AbortController();
    this.pending.set(id, controller);
    const done = this.router.chat.completions
      .create(p.body, { id, timeout: this.timeout, signal: controller.signal })
      .catch(() => undefined)
      .finally(() => this.pending.delete(id));
    this.settled.push(done);
  }

  sample(t: number): void {
    const snap = this.router.snapshot();
    const depth = snap.queue.depth;
    this.maxDepth = Math.max(this.maxDepth, depth);
    let stock = 0;
    let saturated = true;
    for (const e of snap.endpoints) {
      const remaining = e.tpm.remaining ?? Number.POSITIVE_INFINITY;
      stock += remaining;
      if (remaining >= this.meanCharge) saturated = false;
    }
    if (saturated && this.saturatedAt === undefined) this.saturatedAt = t;
    this.samples.push({ t, depth, stock, saturated });
  }

  /** Stops offering: records what is left, aborts what never started, lets running calls finish. */
  async stop(): Promise<void> {
    const snap = this.router.snapshot();
    this.atEnd = { queued: snap.queue.depth, inflight: snap.totals.inflight, pending: this.pending.size };
    for (const [id, controller] of this.pending) {
      if (this.running.has(id)) continue;
      this.abortedByBench.add(id);
      controller.abort(new Error("bench over"));
    }
    await Promise.all(this.settled);
    await this.router.close();
    for (const s of this.subs) s.unsubscribe();
  }
}
