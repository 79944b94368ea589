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
  bucketArgs,
  bucketView,
  drained,
  endOutage,
  type LaneBudget,
  learnLimits,
  newLaneBudget,
  outageShare,
  type SharedReservation,
  UNLIMITED,
  WAIT_HINT_MS,
} from "./lane-budget.js";
import { LeaseRenewal } from "./lease-renewal.js";
import { type OwnershipStore, RedisOwnershipStore } from "./ownership.js";
import { readPeerMessage } from "./peer-message.js";
import type { RedisPort } from "./redis-port.js";
import { channelOf, SharedLink } from "./shared-link.js";

/** Wake-up hint while Redis is unreachable: about when the next probe may have brought it back. */
const PROBE_HINT_MS = 100;

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
  private readonly throttle: Pick<ThrottleOptions, "factor" | "minShare" | "recoveryMs">;
  private readonly scheduler: SchedulerLike;
  private readonly replicaId: string;
  private readonly channel: string;
  private readonly keyTtl: string;
  private readonly renewal: LeaseRenewal;
  /** A 429 within this long of the previous one on a budget (not the same episode) shrinks it. */
  private readonly windowMs: number;
  private closing: Promise<void> | undefined;

  constructor(options: RedisBudgetStoreOptions) {
    this.port = options.port;
    this.prefix = options.keyPrefix ?? "openai-router";
    this.policy = options.whenUnavailable ?? "local-share";
    const { factor = 0.5, minShare = 0.1, recoveryMs = 120_000 } = options.throttle ?? {};
    this.throttle = { factor, minShare, recoveryMs };
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.replicaId = options.replicaId ?? randomBytes(6).toString("hex");
    this.channel = channelOf(this.prefix);
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
        // Expired units go back on each heartbeat, so an idle replica holds nothing for long.
        beat: () => this.renewal.expire(this.lanes.values(), scheduler.now()),
      },
    );
    this.renewal = new LeaseRenewal({
      port: this.port,
      link: this.link,
      scheduler,
      leaseTtlMs: options.leaseTtlMs ?? 3_000,
      leaseTargetMs: options.leaseTargetMs ?? 2_000,
      marginMs: options.throttle?.marginMs ?? 250,
      keyTtl: this.keyTtl,
      granted: (lane) => this.signal({ type: "available", lane }),
    });
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
      this.renewal.starve(b, tokens, now);
      return undefined;
    }
    b.admitted += 1;
    b.admittedTokens += tokens;
    b.outstanding += 1;
    b.requestsCharged += 1;
    b.tokensCharged += tokens;
    if (source === "lease") this.renewal.maybe(b, now);
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
      return Number.isFinite(ms) ? ms : PROBE_HINT_MS;
    }
    if (this.link.status !== "up") return PROBE_HINT_MS;
    this.renewal.starve(b, tokens, now);
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
    const { requests: dr, tokens: dt } = drained(drain);
    b.lease.destroy(dr, dt);
    if (dr) b.levelR = Math.min(b.levelR, 0);
    if (dt) b.levelT = Math.min(b.levelT, 0);
    const { factor, minShare, recoveryMs } = this.throttle;
    b.local?.throttle(dr, dt, factor, minShare, recoveryMs, now);
    if (this.link.status !== "up") return;
    const args = [
      ...bucketArgs(b, this.link.time()),
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
        ...bucketArgs(b, this.link.time()),
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
      // Grants on their way are handed back with the rest (a renewal keeps them once stopped).
      await this.renewal.stop();
      const up = this.link.status === "up";
      const handbacks: Promise<unknown>[] = [];
      for (const b of this.lanes.values()) {
        b.timer?.unsubscribe();
        b.timer = undefined;
        const back = b.lease.surrender();
        if (up && (back.requests > 0 || back.tokens > 0))
          handbacks.push(this.renewal.handBack(b, back).catch(() => undefined));
      }
      await Promise.all(handbacks);
      await this.link.close();
      await this.port.close();
      this.listeners.clear();
    })();
    return this.closing;
  }

  private get(lane: string): LaneBudget {
    const b = this.lanes.get(lane);
    if (!b) throw new Error(`budget store: unknown lane "${lane}"`);
    return b;
  }

  private signal(signal: BudgetSignal): void {
    for (const listener of this.listeners) listener(signal);
  }

  private onUp(downMs: number): void {
    for (const b of this.lanes.values()) {
      endOutage(b);
      b.nextAt = 0;
      if (b.rpm > 0 || b.tpm > 0) this.renewal.now(b, this.scheduler.now(), false);
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
      b.local = outageShare(b, this.renewal.cushionOf(b), this.link.count(b.members), now);
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
    const m = readPeerMessage(message, this.replicaId);
    const b = m && this.lanes.get(m.lane);
    if (!m || !b) return;
    const now = this.scheduler.now();
    if (m.t === "cool") {
      b.coolingUntil = Math.max(b.coolingUntil, now + m.ms);
      const { requests, tokens } = drained(m.drain);
      b.lease.destroy(requests, tokens);
      if (m.sr !== undefined) b.shareR = m.sr;
      if (m.st !== undefined) b.shareT = m.st;
      return;
    }
    const learned = learnLimits(b, m.rpm, m.tpm);
    if (learned)
      this.signal({
        type: "event",
        event: { type: "limits-learned", at: now, endpoint: b.id, rpm: learned.rpm, tpm: learned.tpm },
      });
  }
}
