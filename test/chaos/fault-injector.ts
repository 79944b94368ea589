/** The sim fleet's fault schedule during a chaos run. */
import type { Faults } from "../../src/sim/index.js";
import type { Fleet } from "./scenario.js";
import { between, bump, intBetween, pick, shuffled } from "./util.js";

export const FAULTY = ["az-west", "oai-1", "oai-2"] as const;
export const FAULT_KINDS = [
  "error",
  "storm",
  "reset-before-headers",
  "reset-mid-stream",
  "hang",
  "slow",
  "down",
  "clear",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The fault schedule: a seeded deck of kinds, one endpoint changed per step, never the healthy one. */
export class FaultInjector {
  readonly counts: Record<string, number> = {};
  readonly downCycles: { endpoint: string; upAt200: number; servedAfterUp: number }[] = [];
  private deck: FaultKind[] = [];
  private readonly down = new Map<string, number>();
  private step = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Every fault change in flight: an endpoint coming back up resolves once it listens again. */
  private readonly changes: Promise<void>[] = [];
  private stopped = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly rng: () => number,
  ) {
    // The first deck takes an endpoint down early, so its recovery happens under load.
    const first: FaultKind[] = shuffled(rng, FAULT_KINDS).filter((k) => k !== "down");
    first.splice(intBetween(rng, 0, 2), 0, "down");
    this.deck = first;
  }

  start(): void {
    const next = () => {
      if (this.stopped) return;
      this.change();
      // The first deck goes faster (≤ ~2.5 s), so every kind of fault meets the load even in a short run.
      const firstDeck = this.step <= FAULT_KINDS.length;
      this.timer = setTimeout(next, firstDeck ? between(this.rng, 100, 250) : between(this.rng, 200, 500));
    };
    this.timer = setTimeout(next, between(this.rng, 100, 300));
  }

  /** Stops injecting, heals every endpoint, and resolves once each listens again. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const name of FAULTY) this.apply(name, {});
    await Promise.all(this.changes);
    for (const cycle of this.downCycles) {
      cycle.servedAfterUp = (this.fleet.stats(cycle.endpoint).byStatus[200] ?? 0) - cycle.upAt200;
    }
  }

  private change(): void {
    this.step += 1;
    for (const [name, upAt] of this.down) {
      if (this.step < upAt) continue;
      // One change per step: bringing an endpoint back is this step's change.
      this.down.delete(name);
      this.apply(name, {});
      bump(this.counts, "up");
      this.downCycles.push({
        endpoint: name,
        upAt200: this.fleet.stats(name).byStatus[200] ?? 0,
        servedAfterUp: 0,
      });
      return;
    }
    const candidates = FAULTY.filter((name) => !this.down.has(name));
    if (candidates.length === 0) return;
    const name = pick(this.rng, candidates);
    if (this.deck.length === 0) this.deck = shuffled(this.rng, FAULT_KINDS);
    const kind = this.deck.shift() as FaultKind;
    const { faults, label } = this.faultsFor(kind);
    if (kind === "down") this.down.set(name, this.step + intBetween(this.rng, 2, 4));
    this.apply(name, faults);
    bump(this.counts, label);
  }

  /** Applies a fault change; a failure to listen again fails the run when `stop()` awaits it. */
  private apply(name: string, faults: Faults): void {
    this.changes.push(this.fleet.setFaults(name, faults));
  }

  private faultsFor(kind: FaultKind): { faults: Faults; label: string } {
    const rng = this.rng;
    switch (kind) {
      case "error": {
        const status = pick(rng, [500, 502, 503]);
        return { faults: { errorRate: between(rng, 0.3, 1), errorStatus: status }, label: `error-${status}` };
      }
      case "storm":
        return { faults: { rateLimitStormMs: intBetween(rng, 200, 1_500) }, label: "rate-limit-storm" };
      case "reset-before-headers":
        return { faults: { resetBeforeHeaders: between(rng, 0.3, 1) }, label: "reset-before-headers" };
      case "reset-mid-stream": {
        // 0 cuts a stream after its headers, before any content: that one must fail over unseen.
        const chunks = intBetween(rng, 0, 4);
        const label = chunks === 0 ? "reset-after-headers" : "reset-mid-stream";
        return { faults: { resetMidStreamAfterChunks: chunks }, label };
      }
      case "hang":
        return { faults: { hang: true }, label: "hang" };
      case "slow":
        return { faults: { slowFactor: between(rng, 3, 20) }, label: "slow" };
      case "down":
        return { faults: { down: true }, label: "down" };
      case "clear":
        return { faults: {}, label: "clear" };
    }
  }
}
