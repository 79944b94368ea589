import type { SchedulerLike } from "rxjs";
import {
  bucketArgs,
  contended,
  heldCap,
  type LaneBudget,
  lowWater,
  sizeRenewal,
  spacingAfterPartial,
} from "./lane-budget.js";
import type { Spent } from "./local-share.js";
import type { RedisPort } from "./redis-port.js";
import type { SharedLink } from "./shared-link.js";

/** Options of {@link LeaseRenewal}. Every time is in milliseconds. */
export interface LeaseRenewalOptions {
  readonly port: RedisPort;
  readonly link: SharedLink;
  readonly scheduler: SchedulerLike;
  /** A grant may be spent for this long (see {@link LeaseRenewal.ttlOf}). */
  readonly leaseTtlMs: number;
  /** A lease covers this much of the lane's recent rate (at most half its lifetime). */
  readonly leaseTargetMs: number;
  /** Transit and scheduling time of a call, on top of its unit's wait in a lease (the cushion). */
  readonly marginMs: number;
  /** Expiry of the lane's keys in Redis, as the scripts take it. */
  readonly keyTtl: string;
  /** A grant arrived: the lane can admit again. */
  readonly granted: (lane: string) => void;
}

/**
 * When and how much a lane's lease is renewed from the shared bucket: ahead of need (at the low-water
 * mark), at once when a request found too little, spaced after a partial grant, and handing expired or
 * refunded units back. The store decides what a request may spend; this decides the round trips.
 */
export class LeaseRenewal {
  /** Smoothed round trip of a renewal: the low-water mark keeps enough for one flight. */
  private rttMs = 0;
  private stopped = false;
  /** Renewals under way ({@link stop} waits for them). */
  private readonly flights = new Set<Promise<void>>();

  constructor(private readonly options: LeaseRenewalOptions) {}

  /** A request found too little in the lease: renew as soon as allowed. */
  starve(b: LaneBudget, tokens: number, now: number): void {
    b.starved = true;
    if (tokens > b.neededTokens) b.neededTokens = tokens;
    this.maybe(b, now);
  }

  /** Renews if the lease is low (or starved) and no renewal is on its way, or schedules it after the spacing. */
  maybe(b: LaneBudget, now: number): void {
    const { link, scheduler } = this.options;
    if (b.inflight || this.stopped || link.status !== "up") return;
    const lease = b.lease;
    const mark = lowWater(b, 2 * this.rttMs);
    const low =
      b.starved ||
      (b.rpm > 0 && lease.requests < mark) ||
      (b.tpm > 0 && lease.tokens < Math.max(1, mark * b.tokensPerRequest));
    if (!low) return;
    if (now < b.nextAt) {
      if (!b.timer)
        b.timer = scheduler.schedule(() => {
          b.timer = undefined;
          this.maybe(b, scheduler.now());
        }, b.nextAt - now);
      return;
    }
    this.now(b, now, false);
  }

  /** Renews at once (with `handbackOnly`, only hands units back). */
  now(b: LaneBudget, now: number, handbackOnly: boolean): void {
    const flight = this.renew(b, now, handbackOnly);
    this.flights.add(flight);
    void flight.finally(() => this.flights.delete(flight));
  }

  /** On each heartbeat: expired units go back, so an idle replica holds nothing for long. */
  expire(lanes: Iterable<LaneBudget>, now: number): void {
    for (const b of lanes) {
      b.lease.expire(now);
      if (!b.inflight && b.lease.owesHandback) this.now(b, now, !b.starved);
    }
  }

  /** No renewal starts from now on; resolves once those under way have landed (their grants kept in the lease). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.flights);
  }

  /** Hands `back` (what the lease held at close) to the shared bucket. */
  handBack(b: LaneBudget, back: Spent): Promise<unknown> {
    const args = this.leaseArgs(b, 0, 0, 0, back.requests, back.tokens, { requests: 0, tokens: 0 });
    return this.options.port.script("lease", [b.key], args);
  }

  /**
   * A grant's lifetime on this lane: at most 40% of the service's window, so that the cushion (which
   * covers a unit's wait in a lease) leaves room for bursts and for the renewals' spacing.
   */
  ttlOf(b: LaneBudget): number {
    return Math.min(this.options.leaseTtlMs, b.window * 400);
  }

  /** What the services' buckets may still hold for units on their way: a grant's lifetime plus transit. */
  cushionOf(b: LaneBudget): number {
    return this.ttlOf(b) + this.options.marginMs;
  }

  /** Asks Redis for a grant sized to the recent demand (or, with `handbackOnly`, only hands units back). */
  private async renew(b: LaneBudget, now: number, handbackOnly: boolean): Promise<void> {
    const { port, link, scheduler, marginMs } = this.options;
    b.inflight = true;
    b.timer?.unsubscribe();
    b.timer = undefined;
    const ttl = this.ttlOf(b);
    const replicas = link.count(b.members);
    const size = sizeRenewal(b, now, Math.min(this.options.leaseTargetMs, ttl / 2), replicas, this.rttMs);
    let want = size.want;
    const { wantT, minT } = size;
    if (handbackOnly) want = 0;
    else b.want = size.target;
    const back = b.lease.takeHandback();
    const debt = b.debt ?? { requests: 0, tokens: 0 };
    if (!handbackOnly) {
      b.starved = false;
      b.neededTokens = 0;
    }
    const sentAt = now;
    let reply: unknown[];
    try {
      reply = (await port.script(
        "lease",
        [b.key, b.members],
        [...this.leaseArgs(b, want, wantT, minT, back.requests, back.tokens, debt), ...link.presence()],
      )) as unknown[];
    } catch (error) {
      b.lease.restore(back);
      b.inflight = false;
      link.fail(error);
      return;
    }
    b.inflight = false;
    if (b.debt === debt) b.debt = undefined;
    const t = scheduler.now();
    this.rttMs = this.rttMs === 0 ? t - sentAt : 0.8 * this.rttMs + 0.2 * (t - sentAt);
    const [gr, gt, wait, cooling, rpm, tpm, rcap, tcap, lr, lt, sr, st, , live] = reply.map(
      Number,
    ) as number[];
    link.heard(b.members, live as number);
    const counted = link.count(b.members);
    b.rpm = rpm as number;
    b.tpm = tpm as number;
    b.rcap = rcap as number;
    b.tcap = tcap as number;
    b.levelR = lr as number;
    b.levelT = lt as number;
    b.shareR = sr as number;
    b.shareT = st as number;
    b.at = t;
    if ((cooling as number) > 0) b.coolingUntil = Math.max(b.coolingUntil, t + (cooling as number));
    if (link.status === "closed") {
      b.lease.restore({ requests: gr as number, tokens: gt as number });
      return;
    }
    const granted = (gr as number) > 0 || (gt as number) > 0;
    if (granted) {
      b.lease.add(gr as number, gt as number, sentAt + ttl);
      // The ask counted on the flight's spending; what was not spent meanwhile stays within the cap.
      if (b.rpm > 0) b.lease.trimRequests(heldCap(b, counted));
    }
    // Requests that starved while this renewal was on its way are served by its grant (the lane is
    // announced below): asking again for them would hold more than the lease's cap.
    if (b.starved && b.lease.covers(b.neededTokens, b.rpm > 0, b.tpm > 0, t)) b.starved = false;
    b.readyAt = (wait as number) > 0 ? t + (wait as number) : 0;
    if (handbackOnly) {
      if (b.starved) this.maybe(b, t);
      return;
    }
    b.nextAt =
      (gr as number) < want || !granted || contended(b, ttl + marginMs, counted)
        ? t + spacingAfterPartial(b, wait as number, ttl, marginMs, counted)
        : t;
    if (granted) this.options.granted(b.id);
    if (b.starved || !granted) this.maybe(b, t);
  }

  private leaseArgs(
    b: LaneBudget,
    want: number,
    wantT: number,
    minT: number,
    backR: number,
    backT: number,
    debt: Spent,
  ): string[] {
    return [
      ...bucketArgs(b, this.options.link.time()),
      String(want),
      String(wantT),
      String(minT),
      String(Math.max(0, backR)),
      String(Math.max(0, backT)),
      String(Math.max(0, debt.requests)),
      String(Math.max(0, debt.tokens)),
      this.options.keyTtl,
      String(this.cushionOf(b)),
    ];
  }
}
