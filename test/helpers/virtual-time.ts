import { VirtualTimeScheduler } from "rxjs";

/**
 * One virtual clock for the router (as its scheduler) and the simulated fleet (as its `now`), advanced
 * only when the caller says the system is idle: minutes of quota refill run in milliseconds of real
 * time, and nothing depends on how fast this machine is.
 */
export class FastForward {
  readonly scheduler = new VirtualTimeScheduler();
  readonly now = (): number => this.scheduler.now();

  constructor(start = 1_000_000) {
    this.scheduler.frame = start;
  }

  /** Runs every timer due at or before `at` and sets the clock to `at`. */
  advanceTo(at: number): void {
    this.scheduler.maxFrames = at;
    this.scheduler.flush();
    if (this.scheduler.frame < at) this.scheduler.frame = at;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.now() + ms);
  }

  /**
   * Advances by `ms`, one timer at a time, letting real I/O settle between timers: requests the router
   * spaced out in virtual time must not reach the simulator at one virtual instant.
   */
  async advanceIdle(ms: number, idle: () => boolean): Promise<void> {
    const target = this.now() + ms;
    for (let next = this.nextDue(); next !== undefined && next <= target; next = this.nextDue()) {
      await settle(idle);
      this.advanceTo(Math.max(next, this.now()));
    }
    await settle(idle);
    this.advanceTo(target);
  }

  /** When the next timer is due, or undefined when none is scheduled. */
  nextDue(): number | undefined {
    return this.scheduler.actions[0]?.delay;
  }

  /**
   * Lets real I/O finish, then jumps to the next timer, until `done()` (or `maxSteps`): the loop a
   * test uses to drive a queue that waits on budgets and cooldowns.
   */
  async runUntil(done: () => boolean, idle: () => boolean, maxSteps = 100_000): Promise<void> {
    for (let step = 0; step < maxSteps && !done(); step++) {
      await settle(idle);
      if (done()) return;
      const next = this.nextDue();
      if (next === undefined) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      this.advanceTo(Math.max(next, this.now()));
    }
  }
}

/** Waits (in real time) until `idle()` holds, yielding to I/O. */
async function settle(idle: () => boolean): Promise<void> {
  for (let i = 0; i < 200_000 && !idle(); i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}
