import { randomBytes } from "node:crypto";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import type {
  BudgetSignal,
  BudgetState,
  BudgetStore,
  LaneBudgetLimits,
  LearnedLimits,
  RateLimitReport,
  Reservation,
  ThrottleOptions,
} from "../budget-store.js";
import { DEFAULT_REQUEST_WINDOW_SECONDS } from "../token-bucket.js";
import {
  bucketView,
  contended,
  heldCap,
  type LaneBudget,
  learnLimits,
  lowWater,
  newLaneBudget,
  type SharedReservation,
  sharedLevel,
  sizeRenewal,
  spacingAfterPartial,
  UNLIMITED,
  WAIT_HINT_MS,
} from "./lane-budget.js";
import { LocalShare, type Spent } from "./local-share.js";
import { type OwnershipStore, RedisOwnershipStore } from "./ownership.js";
import type { RedisPort } from "./redis-port.js";
import { channelOf, SharedLink } from "./shared-link.js";

/** What a shared store does while Redis is unreachable. */
export type WhenUnavailable = "local-share" | "pause";

/** Options of {@link RedisBudgetStore}. Every time is in milliseconds. */
export interface RedisBudgetStoreOptions {
  readonly port: RedisPort;
  /** Prefix of every key and of the channel; replicas sharing a quota use the same one. @default "openai-router" */
  readonly keyPrefix?: string;
  /** `"local-share"`: spend `limit / live replicas` locally; `"pause"`: admit nothing new. @default "local-share" */
  readonly whenUnavailable?: WhenUnavailable;
  /** A grant may be spent for this long, then what is left goes back. @default 3000 @unit milliseconds */
  readonly leaseTtlMs?: number;
  /** A lease covers this much of the lane's recent rate in this process (at most half its lifetime). @default 2000 @unit milliseconds */
  readonly leaseTargetMs?: number;
  /** @default 1000 @unit milliseconds */
  readonly heartbeatMs?: number;
  /** How often an unreachable Redis is tried again. @default 500 @unit milliseconds */
  readonly probeMs?: number;
  /** At start, how long to keep trying before going on without Redis. @default 2000 @unit milliseconds */
  readonly connectGraceMs?: number;
  /** How a 429 shrinks the named budget (shared by every replica). */
  readonly throttle?: Partial<ThrottleOptions>;
  /** Timers and the clock of asynchronous replies; the router passes its own. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** Scripts take this process's clock instead of Redis's `TIME`: for tests in virtual time only. @default false */
  readonly callerTime?: boolean;
  /** This replica's id in the heartbeats. @default random */
  readonly replicaId?: string;
  /** Strings never to show in events (the Redis URL's password). */
  readonly secrets?: readonly string[];
}

/**
 * A {@link BudgetStore} for many router processes spending one quota. The real buckets live in Redis
 * and are changed only by atomic Lua scripts on Redis's clock; each process holds leases — slices of
 * them sized to its recent rate — and admits from its lease synchronously, with no round trip per
 * request. Leases are renewed ahead of need, expire on their own, and are handed back on `close()`.
 * A 429 seen by one replica cools the lane for all of them (pub/sub). While Redis is unreachable,
 * `whenUnavailable` decides: spend `limit / replicas` locally, or admit nothing new (requests wait in
 * the queue within their deadlines). Create it through the router's `redis` config, or directly:
 * @example
 * createRouter({ strategy, endpoints, redis: { url: "redis://127.0.0.1:6379", keyPrefix: "my-app" } });
 */
export class RedisBudgetStore implements BudgetStore {
  private readonly lanes = new Map<string, LaneBudget>();
  private readonly listeners = new Set<(signal: BudgetSignal) => void>();
  private readonly link: SharedLink;
  private readonly port: RedisPort;
  private readonly prefix: string;
  private readonly policy: WhenUnavailable;
  private readonly ttl: number;
  private readonly target: number;
  private readonly throttle: Pick<ThrottleOptions, "factor" | "minShare" | "recoveryMs">;
  private readonly scheduler: SchedulerLike;
  private readonly replicaId: string;
  private readonly channel: string;
  private readonly keyTtl: string;
  /** Transit and scheduling time of a call, on top of its unit's wait in a lease (see the cushion). */
  private readonly margin: number;
  /** Smoothed round trip of a renewal (ms): the low-water mark keeps enough for one flight. */
  private rttMs = 0;
  /** A 429 within this long of the previous one on a budget (not the same episode) shrinks it. */
  private readonly windowMs: number;
  private closing: Promise<void> | undefined;
  private closingStarted = false;
  /** Renewals under way (close() waits for them). */
  private readonly renewals = new Set<Promise<void>>();

  constructor(options: RedisBudgetStoreOptions) {
    this.port = options.port;
    this.prefix = options.keyPrefix ?? "openai-router";
    this.policy = options.whenUnavailable ?? "local-share";
    this.ttl = options.leaseTtlMs ?? 3_000;
    this.target = options.leaseTargetMs ?? 2_000;
    const { factor = 0.5, minShare = 0.1, recoveryMs = 120_000 } = options.throttle ?? {};
    this.throttle = { factor, minShare, recoveryMs };
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.replicaId = options.replicaId ?? randomBytes(6).toString("hex");
    this.channel = channelOf(this.prefix);
    this.margin = options.throttle?.marginMs ?? 250;
    this.windowMs = options.throttle?.windowMs ?? 10_000;
    this.keyTtl = String(Math.max(600_000, this.throttle.recoveryMs * 2));
    const scheduler = this.scheduler;
    this.link = new SharedLink(
      {
        port: this.port,
        keyPrefix: this.prefix,
        replicaId: this.replicaId,
        heartbeatMs: options.heartbeatMs ?? 1_000,
        probeMs: options.probeMs ?? 500,
        connectGraceMs: options.connectGraceMs ?? 2_000,
        scheduler,
        callerTime: options.callerTime ? () => scheduler.now() : undefined,
        secrets: options.secrets ?? [],
      },
      {
        up: (downMs) => this.onUp(downMs),
        down: (reason) => this.onDown(reason),
        message: (message) => this.onMessage(message),
        beat: () => this.housekeeping(),
      },
    );
    this.link.start();
  }

  /** `connecting`, `up`, `down` or `closed`. */
  get status(): SharedLink["status"] {
    return this.link.status;
  }

  /** Live replicas as last counted by the heartbeats. */
  get replicas(): number {
    return this.link.replicas;
  }

  /**
   * Owners of stored responses on the same Redis and key prefix: a follow-up can arrive at any replica
   * and still go to the endpoint that holds its state.
   */
  ownership(): OwnershipStore {
    return new RedisOwnershipStore({ port: this.port, keyPrefix: this.prefix });
  }

  watch(listener: (signal: BudgetSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  register(lane: string, limits: LaneBudgetLimits, now: number): void {
    const window = limits.requestWindowSeconds ?? DEFAULT_REQUEST_WINDOW_SECONDS;
    const rpm = limits.rpm ?? 0;
    const tpm = limits.tpm ?? 0;
    const b = newLaneBudget(lane, this.prefix, window, rpm, tpm, now);
    this.lanes.set(lane, b);
    this.link.join(b.members);
  }

  reserve(lane: string, tokens: number, now: number): Reservation | undefined {
    const b = this.get(lane);
    if (b.coolingUntil > now) return undefined;
    const limR = b.rpm > 0;
    const limT = b.tpm > 0;
    let source: SharedReservation["source"];
    if (!limR && !limT) source = "free";
    else if (b.lease.covers(tokens, limR, limT, now)) {
      b.lease.take(tokens, limR, limT);
      source = "lease";
    } else if (b.local?.reserve(tokens, now)) source = "local";
    else {
      this.starve(b, tokens, now);
      return undefined;
    }
    b.admitted += 1;
    b.admittedTokens += tokens;
    b.outstanding += 1;
    b.requestsCharged += 1;
    b.tokensCharged += tokens;
    if (source === "lease") this.maybeRenew(b, now);
    const reservation: SharedReservation = {
      lane,
      tokens,
      at: now,
      requestsCharged: b.requestsCharged,
      tokensCharged: b.tokensCharged,
      source,
    };
    return reservation;
  }

  msUntilAvailable(lane: string, tokens: number, now: number): number {
    const b = this.get(lane);
    const cooling = Math.max(0, b.coolingUntil - now);
    const limR = b.rpm > 0;
    const limT = b.tpm > 0;
    if (!limR && !limT) return cooling;
    if (limT && tokens > b.tcap) return Number.POSITIVE_INFINITY;
    if (cooling > 0) return cooling;
    if (b.lease.covers(tokens, limR, limT, now)) return 0;
    if (b.local) {
      const ms = b.local.msUntil(tokens, now);
      // Too large for this replica's share: it waits for Redis to come back.
      return Number.isFinite(ms) ? ms : this.probeHint();
    }
    if (this.link.status !== "up") return this.probeHint();
    this.starve(b, tokens, now);
    return Math.max(WAIT_HINT_MS, b.nextAt - now, b.readyAt - now);
  }

  commit(reservation: Reservation): void {
    this.get(reservation.lane).outstanding -= 1;
  }

  refund(reservation: Reservation, now: number): void {
    const b = this.get(reservation.lane);
    const { source } = reservation as SharedReservation;
    b.outstanding -= 1;
    b.requestsCharged -= 1;
    b.tokensCharged -= reservation.tokens;
    b.admitted = Math.max(0, b.admitted - 1);
    // Back to Redis, not into the lease: re-spent later, the unit could reach the service after the
    // cushion its grant was counted with.
    if (source === "lease")
      b.lease.restore({ requests: b.rpm > 0 ? 1 : 0, tokens: b.tpm > 0 ? reservation.tokens : 0 });
    else if (source === "local") {
      if (b.local) b.local.refund(reservation.tokens, now);
      else if (b.debt) {
        b.debt.requests = Math.max(0, b.debt.requests - 1);
        b.debt.tokens = Math.max(0, b.debt.tokens - reservation.tokens);
      }
    }
    // No signal here: the lane announces freed capacity itself, after a retry is back in the queue.
  }

  cool(lane: string, until: number, drain: "requests" | "tokens" | "both" | "none", now: number): void {
    const b = this.get(lane);
    b.coolingUntil = Math.max(b.coolingUntil, until);
    const dr = drain === "requests" || drain === "both";
    const dt = drain === "tokens" || drain === "both";
    b.lease.destroy(dr, dt);
    if (dr) b.levelR = Math.min(b.levelR, 0);
    if (dt) b.levelT = Math.min(b.levelT, 0);
    const { factor, minShare, recoveryMs } = this.throttle;
    b.local?.throttle(dr, dt, factor, minShare, recoveryMs, now);
    if (this.link.status !== "up") return;
    const args = [
      ...this.bucketArgs(b),
      String(Math.max(1, Math.ceil(until - now))),
      drain,
      String(factor),
      String(minShare),
      String(recoveryMs),
      this.keyTtl,
      this.channel,
      b.id,
      this.replicaId,
      String(this.windowMs),
    ];
    this.port.script("cool", [b.key], args).then(
      (reply) => {
        const [, sr, st] = reply as string[];
        b.shareR = Number(sr);
        b.shareT = Number(st);
      },
      (error: unknown) => this.link.fail(error),
    );
  }

  coolingUntil(lane: string): number {
    return this.get(lane).coolingUntil;
  }

  /**
   * Limits the service's headers teach are shared (every replica's bucket follows). The per-response
   * `remaining` correction of the in-process store is not applied: the shared bucket already counts
   * every replica, and a foreign client spending the same quota shows up as 429s, which shrink it.
   */
  calibrate(
    lane: string,
    report: RateLimitReport,
    _reservation: Reservation | undefined,
    _now: number,
  ): LearnedLimits | undefined {
    const b = this.get(lane);
    const learned = learnLimits(b, report.requests.limit, report.tokens.limit);
    if (learned && this.link.status === "up") {
      const args = [
        ...this.bucketArgs(b),
        learned.rpm === undefined ? "" : String(learned.rpm),
        learned.tpm === undefined ? "" : String(learned.tpm),
        this.keyTtl,
        this.channel,
        b.id,
        this.replicaId,
      ];
      this.port.script("limits", [b.key], args).catch((error: unknown) => this.link.fail(error));
    }
    return learned;
  }

  view(lane: string, now: number): BudgetState {
    const b = this.get(lane);
    return {
      rpm: b.rpm > 0 ? bucketView(b.lease.requests, b.levelR, b.rcap, b.rpm, b.shareR, b.at, now) : UNLIMITED,
      tpm: b.tpm > 0 ? bucketView(b.lease.tokens, b.levelT, b.tcap, b.tpm, b.shareT, b.at, now) : UNLIMITED,
      coolingUntil: b.coolingUntil > now ? b.coolingUntil : 0,
      outstanding: b.outstanding,
    };
  }

  /** Hands every lease back, says goodbye in the heartbeats, closes the connections it opened. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Grants on their way are handed back with the rest (renew() keeps them once closing).
      this.closingStarted = true;
      await Promise.all(this.renewals);
      const up = this.link.status === "up";
      const handbacks: Promise<unknown>[] = [];
      for (const b of this.lanes.values()) {
        b.timer?.unsubscribe();
        b.timer = undefined;
        const back = b.lease.surrender();
        if (!up || (back.requests <= 0 && back.tokens <= 0)) continue;
        const args = this.leaseArgs(b, 0, 0, 0, back.requests, back.tokens, { requests: 0, tokens: 0 });
        handbacks.push(this.port.script("lease", [b.key], args).catch(() => undefined));
      }
      await Promise.all(handbacks);
      await this.link.close();
      await this.port.close();
      this.listeners.clear();
    })();
    return this.closing;
  }

  private track(renewal: Promise<void>): void {
    this.renewals.add(renewal);
    void renewal.finally(() => this.renewals.delete(renewal));
  }

  private get(lane: string): LaneBudget {
    const b = this.lanes.get(lane);
    if (!b) throw new Error(`budget store: unknown lane "${lane}"`);
    return b;
  }

  private signal(signal: BudgetSignal): void {
    for (const listener of this.listeners) listener(signal);
  }

  private probeHint(): number {
    return 100;
  }

  /** A request found too little in the lease: renew as soon as allowed. */
  private starve(b: LaneBudget, tokens: number, now: number): void {
    b.starved = true;
    if (tokens > b.neededTokens) b.neededTokens = tokens;
    this.maybeRenew(b, now);
  }

  private maybeRenew(b: LaneBudget, now: number): void {
    if (b.inflight || this.closingStarted || this.link.status !== "up") return;
    const lease = b.lease;
    const mark = lowWater(b, 2 * this.rttMs);
    const low =
      b.starved ||
      (b.rpm > 0 && lease.requests < mark) ||
      (b.tpm > 0 && lease.tokens < Math.max(1, mark * b.tokensPerRequest));
    if (!low) return;
    if (now < b.nextAt) {
      if (!b.timer)
        b.timer = this.scheduler.schedule(() => {
          b.timer = undefined;
          this.maybeRenew(b, this.scheduler.now());
        }, b.nextAt - now);
      return;
    }
    this.track(this.renew(b, now, false));
  }

  /** Asks Redis for a grant sized to the recent demand (or, with `handbackOnly`, only hands units back). */
  private async renew(b: LaneBudget, now: number, handbackOnly: boolean): Promise<void> {
    b.inflight = true;
    b.timer?.unsubscribe();
    b.timer = undefined;
    const ttl = this.ttlOf(b);
    const replicas = this.link.count(b.members);
    const size = sizeRenewal(b, now, Math.min(this.target, ttl / 2), replicas, this.rttMs);
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
      reply = (await this.port.script(
        "lease",
        [b.key, b.members],
        [...this.leaseArgs(b, want, wantT, minT, back.requests, back.tokens, debt), ...this.link.presence()],
      )) as unknown[];
    } catch (error) {
      b.lease.restore(back);
      b.inflight = false;
      this.link.fail(error);
      return;
    }
    b.inflight = false;
    if (b.debt === debt) b.debt = undefined;
    const t = this.scheduler.now();
    this.rttMs = this.rttMs === 0 ? t - sentAt : 0.8 * this.rttMs + 0.2 * (t - sentAt);
    const [gr, gt, wait, cooling, rpm, tpm, rcap, tcap, lr, lt, sr, st, , live] = reply.map(
      Number,
    ) as number[];
    this.link.heard(b.members, live as number);
    const counted = this.link.count(b.members);
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
    if (this.link.status === "closed") {
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
      if (b.starved) this.maybeRenew(b, t);
      return;
    }
    b.nextAt =
      (gr as number) < want || !granted || contended(b, ttl + this.margin, counted)
        ? t + spacingAfterPartial(b, wait as number, ttl, this.margin, counted)
        : t;
    if (granted) this.signal({ type: "available", lane: b.id });
    if (b.starved || !granted) this.maybeRenew(b, t);
  }

  private bucketArgs(b: LaneBudget): string[] {
    return [this.link.time(), String(b.configured.rpm), String(b.configured.tpm), String(b.window)];
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
      ...this.bucketArgs(b),
      String(want),
      String(wantT),
      String(minT),
      String(Math.max(0, backR)),
      String(Math.max(0, backT)),
      String(Math.max(0, debt.requests)),
      String(Math.max(0, debt.tokens)),
      this.keyTtl,
      String(this.ttlOf(b) + this.margin),
    ];
  }

  /**
   * A grant's lifetime on this lane: at most 40% of the service's window, so that the cushion (which
   * covers a unit's wait in a lease) leaves room for bursts and for the renewals' spacing.
   */
  private ttlOf(b: LaneBudget): number {
    return Math.min(this.ttl, b.window * 400);
  }

  private onUp(downMs: number): void {
    for (const b of this.lanes.values()) {
      if (b.local) {
        b.debt = {
          requests: Math.min(Math.max(0, b.local.spent.requests), b.rcap),
          tokens: Math.min(Math.max(0, b.local.spent.tokens), b.tcap),
        };
        b.local = undefined;
      }
      b.nextAt = 0;
      if (b.rpm > 0 || b.tpm > 0) this.track(this.renew(b, this.scheduler.now(), false));
    }
    if (downMs > 0)
      this.signal({ type: "event", event: { type: "shared-store-up", at: this.scheduler.now(), downMs } });
  }

  private onDown(reason: string): void {
    const now = this.scheduler.now();
    for (const b of this.lanes.values()) {
      b.timer?.unsubscribe();
      b.timer = undefined;
      if (this.policy !== "local-share" || (b.rpm <= 0 && b.tpm <= 0)) continue;
      // The share starts from what the shared bucket held beyond its cushion: the cushion is what the
      // services' buckets still hold for units already on their way, not spare quota.
      const cushionMs = this.ttlOf(b) + this.margin;
      const spare = (level: number, cap: number, perMinute: number, share: number) =>
        Math.max(
          0,
          sharedLevel(level, cap, perMinute, share, b.at, now) - (perMinute * share * cushionMs) / 60_000,
        );
      const fillR = b.rcap > 0 ? spare(b.levelR, b.rcap, b.rpm, b.shareR) / b.rcap : 1;
      const fillT = b.tcap > 0 ? spare(b.levelT, b.tcap, b.tpm, b.shareT) / b.tcap : 1;
      b.local = new LocalShare(
        {
          rpm: b.rpm * b.shareR,
          tpm: b.tpm * b.shareT,
          requestCapacity: b.rcap * b.shareR,
          tokenCapacity: b.tcap * b.shareT,
          requestFill: fillR,
          tokenFill: fillT,
        },
        this.link.count(b.members),
        now,
      );
    }
    this.signal({
      type: "event",
      event: {
        type: "shared-store-down",
        at: now,
        reason,
        policy: this.policy,
        replicas: this.link.replicas,
      },
    });
    for (const b of this.lanes.values()) this.signal({ type: "available", lane: b.id });
  }

  /** A 429 or a learned limit from another replica. */
  private onMessage(message: string): void {
    let m: {
      t?: string;
      lane?: string;
      from?: string;
      ms?: number;
      drain?: string;
      sr?: number;
      st?: number;
      rpm?: number;
      tpm?: number;
    };
    try {
      m = JSON.parse(message) as typeof m;
    } catch {
      return;
    }
    if (m.from === this.replicaId || typeof m.lane !== "string") return;
    const b = this.lanes.get(m.lane);
    if (!b) return;
    const now = this.scheduler.now();
    if (m.t === "cool" && typeof m.ms === "number") {
      b.coolingUntil = Math.max(b.coolingUntil, now + m.ms);
      const dr = m.drain === "requests" || m.drain === "both";
      const dt = m.drain === "tokens" || m.drain === "both";
      b.lease.destroy(dr, dt);
      if (typeof m.sr === "number") b.shareR = m.sr;
      if (typeof m.st === "number") b.shareT = m.st;
    } else if (m.t === "limits") {
      const learned = learnLimits(b, m.rpm, m.tpm);
      if (learned)
        this.signal({
          type: "event",
          event: { type: "limits-learned", at: now, endpoint: b.id, rpm: learned.rpm, tpm: learned.tpm },
        });
    }
  }

  /** On each heartbeat: expired units go back, so an idle replica holds nothing for long. */
  private housekeeping(): void {
    const now = this.scheduler.now();
    for (const b of this.lanes.values()) {
      b.lease.expire(now);
      if (!b.inflight && b.lease.owesHandback) this.track(this.renew(b, now, !b.starved));
    }
  }
}
