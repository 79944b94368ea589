import { asyncScheduler, type SchedulerLike, type Subscription } from "rxjs";
import type { RedisPort } from "./redis-port.js";

/** Whether Redis answers: `connecting` until the first heartbeat, then `up` / `down`; `closed` at the end. */
export type LinkStatus = "connecting" | "up" | "down" | "closed";

/** What the link tells its owner. */
export interface LinkHandlers {
  /** Redis answered again (or for the first time). `downMs` is 0 on the first contact. */
  up(downMs: number): void;
  /** Redis stopped answering; `reason` is safe to show (secrets redacted). */
  down(reason: string): void;
  /** A message another replica published on the store's channel. */
  message(message: string): void;
  /** Each heartbeat (for housekeeping while up). */
  beat(): void;
}

/** Options of {@link SharedLink}. */
export interface SharedLinkOptions {
  readonly port: RedisPort;
  readonly keyPrefix: string;
  readonly replicaId: string;
  /**
   * Heartbeat period while up; replicas silent for 3 periods are no longer counted. A lane whose
   * renewal refreshed this replica within the last period gets no heartbeat. @unit milliseconds
   */
  readonly heartbeatMs: number;
  /** How often an unreachable Redis is tried again. @unit milliseconds */
  readonly probeMs: number;
  /**
   * At start, failures within this long only retry: a process that has not met Redis yet knows no
   * replicas to share with, so it waits this long before it goes on alone. @unit milliseconds
   */
  readonly connectGraceMs?: number;
  /** Timers (heartbeats, probes). @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** Passes the caller's clock to the scripts instead of Redis's `TIME` (tests with virtual time). */
  readonly callerTime?: (() => number) | undefined;
  /** Strings never to show in a reason (the password of the Redis URL). */
  readonly secrets?: readonly string[];
}

/**
 * The health of the link to Redis, one per store: heartbeats (which count live replicas and double as
 * the probe while Redis is away), the pub/sub subscription, and the up/down transitions. Any failed
 * command reported through {@link fail} takes the link down at once; only a heartbeat brings it back,
 * so recovery is automatic and never decided by a lucky command.
 *
 * Replicas are counted per lane, in a set beside the lane's budget (one hash slot), so that a lease
 * renewal can refresh this replica's presence in the same round trip ({@link heard}); heartbeats go
 * only to the lanes no renewal refreshed within the last period. A busy replica then sends none: at
 * steady load they were an eighth of the store's round trips.
 */
export class SharedLink {
  status: LinkStatus = "connecting";
  /** Per replicas set: when this replica was last refreshed in it, and how many it counted. */
  private readonly sets = new Map<string, { at: number; count: number }>();
  /** What the store's own set counted (used only before any lane joined). */
  private ownCount = 1;
  private timer: Subscription | undefined;
  private subscribed = false;
  private downSince = 0;
  private startedAt = 0;
  private beating = false;
  /** A heartbeat went to the store's own set (no lane had joined yet): it is left on close too. */
  private usedOwnSet = false;
  /** A command failed while up; the next heartbeat decides. */
  private suspect = false;
  private readonly scheduler: SchedulerLike;
  private readonly key: string;
  private readonly channel: string;

  constructor(
    private readonly options: SharedLinkOptions,
    private readonly handlers: LinkHandlers,
  ) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.key = `${options.keyPrefix}:{replicas}`;
    this.channel = channelOf(options.keyPrefix);
  }

  /** Counts replicas in this set too (a lane's; before any, the store's own set stands in). */
  join(key: string): void {
    if (!this.sets.has(key)) this.sets.set(key, { at: Number.NEGATIVE_INFINITY, count: 1 });
  }

  /** A renewal refreshed this replica in `key` and counted `count` replicas there (0: it did not). */
  heard(key: string, count: number): void {
    if (count > 0) this.record(key, count);
  }

  /** Live replicas on one set (this one included); 1 before it was first heard. */
  count(key: string): number {
    return this.sets.get(key)?.count ?? this.replicas;
  }

  /** Live replicas as last counted on the lane counting most (this one included); 1 before the first heartbeat. */
  get replicas(): number {
    if (this.sets.size === 0) return this.ownCount;
    let most = 1;
    for (const set of this.sets.values()) if (set.count > most) most = set.count;
    return most;
  }

  /** The arguments a renewal passes to refresh this replica's presence: id and stale ms. */
  presence(): [string, string] {
    return [this.options.replicaId, this.staleMs()];
  }

  /** Starts heartbeating (the first one at once). */
  start(): void {
    this.startedAt = this.scheduler.now();
    this.schedule(0);
  }

  /** The value for a script's `now` argument: '' (Redis's clock) unless the caller's clock is injected. */
  time(): string {
    return this.options.callerTime ? String(this.options.callerTime()) : "";
  }

  /**
   * A command failed. While up, one failure only makes Redis suspect: a heartbeat goes out at once, and
   * only if it fails too does Redis count as unreachable (a stalled event loop or one slow reply must
   * not send every replica to its local share); then until a heartbeat succeeds.
   */
  fail(error: unknown): void {
    if (this.status === "closed" || this.status === "down") return;
    if (this.status === "up" && !this.suspect) {
      this.suspect = true;
      if (!this.beating) this.schedule(0);
      return;
    }
    this.suspect = false;
    this.status = "down";
    this.downSince = this.scheduler.now();
    this.handlers.down(this.redact(error instanceof Error ? error.message : String(error)));
    this.schedule(this.options.probeMs);
  }

  /** Stops the heartbeats and tells the other replicas this one left. */
  async close(): Promise<void> {
    const wasUp = this.status === "up";
    this.status = "closed";
    this.timer?.unsubscribe();
    this.timer = undefined;
    if (!wasUp) return;
    const keys = [...this.sets.keys()];
    if (this.usedOwnSet) keys.push(this.key);
    await Promise.all(
      keys.map((key) =>
        this.options.port
          .script("heartbeat", [key], [this.time(), this.options.replicaId, this.staleMs(), "leave"])
          .catch(() => undefined /* the replica ages out of the set on its own */),
      ),
    );
  }

  private staleMs(): string {
    return String(this.options.heartbeatMs * 3);
  }

  private schedule(delay: number): void {
    this.timer?.unsubscribe();
    this.timer = this.scheduler.schedule(() => {
      this.timer = undefined;
      void this.beat();
    }, delay);
  }

  private async beat(): Promise<void> {
    if (this.status === "closed" || this.beating) return;
    this.beating = true;
    const { port, replicaId, heartbeatMs, probeMs } = this.options;
    try {
      if (!this.subscribed) {
        await port.subscribe(this.channel, (message) => this.handlers.message(message));
        this.subscribed = true;
      }
      const due = this.due();
      const counts = await Promise.all(
        due.map((key) => port.script("heartbeat", [key], [this.time(), replicaId, this.staleMs(), ""])),
      );
      if ((this.status as LinkStatus) === "closed") return;
      for (const [i, key] of due.entries()) this.record(key, Math.max(1, Number(counts[i]) || 1));
      this.suspect = false;
      if (this.status !== "up") {
        const downMs = this.status === "down" ? this.scheduler.now() - this.downSince : 0;
        this.status = "up";
        this.handlers.up(downMs);
      }
      this.handlers.beat();
    } catch (error) {
      const grace = this.options.connectGraceMs ?? 0;
      if (this.status === "up") this.suspect = true;
      if (this.status !== "connecting" || this.scheduler.now() - this.startedAt >= grace) this.fail(error);
    } finally {
      this.beating = false;
    }
    if ((this.status as LinkStatus) !== "closed")
      this.schedule(
        this.status === "up" ? heartbeatMs : this.status === "connecting" ? probeMs / 5 : probeMs,
      );
  }

  /**
   * The sets that need a heartbeat now: those no renewal refreshed within the last period, all of them
   * while Redis is not known to be up (the heartbeat is then the probe), the store's own set before
   * any lane joined. Empty while every lane is busy and Redis answers.
   */
  private due(): string[] {
    if (this.sets.size === 0) {
      this.usedOwnSet = true;
      return [this.key];
    }
    const probing = this.status !== "up" || this.suspect;
    const stale = this.scheduler.now() - this.options.heartbeatMs;
    const due: string[] = [];
    for (const [key, set] of this.sets) if (probing || set.at <= stale) due.push(key);
    return due;
  }

  /** This replica was just refreshed in `key`, which counted `count` replicas. */
  private record(key: string, count: number): void {
    const set = this.sets.get(key);
    if (!set) {
      if (key === this.key) this.ownCount = count;
      return;
    }
    set.at = this.scheduler.now();
    set.count = count;
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.options.secrets ?? []) if (secret) out = out.split(secret).join("***");
    return out;
  }
}

/** The pub/sub channel of a key prefix. */
export function channelOf(keyPrefix: string): string {
  return `${keyPrefix}:events`;
}
