import { merge, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from "rxjs";
import type { LaneSnapshot, Strategy } from "../strategies/types.js";
import type { Job } from "./job.js";
import type { Admission, Lane } from "./lane.js";
import type { ModelQueues } from "./model-queues.js";

/** How many jobs behind a blocked head the dispatcher looks at for lanes nobody ahead is waiting for. */
const LOOKAHEAD = 16;
const NO_LANES: readonly Lane[] = [];

/** Empties a scratch array keeping its storage (`length = 0` drops it: the next push allocates again). */
function clear(a: unknown[]): void {
  if (a.length === 0) return;
  if (a.length > 1) a.length = 1;
  a.pop();
}

/** A job bound to a lane that admitted it. */
export interface Assignment {
  readonly job: Job;
  readonly admission: Admission;
}

/** Why a job cannot keep waiting. */
export type StuckReason =
  /** The queue is at its bound. */
  | "queue-full"
  /** No lane will ever admit it (every lane for the model disabled, or it fits no budget). */
  | "unservable"
  /** The soonest lane recovers after the job's deadline. */
  | "too-late";

/** Options of {@link selectLane}. */
export interface SelectLaneOptions {
  readonly lanes: readonly Lane[];
  readonly strategy: Strategy;
  readonly queue: ModelQueues;
  readonly maxQueueSize: number;
  readonly scheduler: SchedulerLike;
  readonly rng: () => number;
  /** A job left the queue without a lane; the caller settles it (or gives it a fallback). */
  readonly onStuck: (job: Job, reason: StuckReason) => void;
  /** Whether a job that failed may take a lane in its avoid set when no other healthy lane exists. */
  readonly isAlternative?: (lane: Lane, now: number) => boolean;
  /**
   * Receives, at subscription, a function that offers a job exactly as `next` on the source does,
   * without the Subject and subscriber chain in between (~220 bytes per request on the hot path).
   */
  readonly connect?: (offer: (job: Job) => void) => void;
}

/**
 * The selection operator: jobs in, assignments out. A job is bound to a lane only when some lane
 * serving its model can admit it now (late binding), in the same tick when one can; otherwise it waits
 * in the central queue and is retried whenever a lane reports freed capacity (`changed$`, the lanes'
 * state observables) or when the soonest budget refill / cooldown / breaker probe is due.
 * @example
 * jobs$.pipe(selectLane({ lanes, strategy, queue, maxQueueSize, scheduler, rng, onStuck }))
 */
export function selectLane(options: SelectLaneOptions): OperatorFunction<Job, Assignment> {
  return (jobs$) =>
    new Observable<Assignment>((subscriber) => {
      const { lanes, strategy, queue, scheduler, rng, onStuck } = options;
      const now = () => scheduler.now();
      const byModel = new Map<string, Lane[]>();
      const byId = new Map(lanes.map((lane) => [lane.id, lane]));
      for (const lane of lanes) {
        for (const model of lane.models) {
          const list = byModel.get(model) ?? [];
          list.push(lane);
          byModel.set(model, list);
        }
      }
      const isAlternative = options.isAlternative ?? ((lane: Lane, t: number) => lane.state(t) === "healthy");
      const candidates: Lane[] = [];
      const avoided: Lane[] = [];
      const admissible: Lane[] = [];
      /** Lanes that jobs ahead in the queue are waiting for: later jobs must not take them. */
      const reserved = new Set<Lane>();
      const none: ReadonlySet<Lane> = new Set();
      const context = { rng };
      let wake: { at: number; sub: Subscription } | undefined;
      let pumping = false;
      let again = false;

      /**
       * The lanes a job may use now: every lane serving its model, except the ones it failed on while a
       * healthy alternative exists (failover prefers another lane, but never waits for a sick one).
       * `preferred` gets the lanes not avoided, `fallback` the avoided ones that remain usable.
       */
      const usable = (job: Job, t: number, preferred: Lane[], fallback: Lane[]): void => {
        clear(preferred);
        clear(fallback);
        if (job.pin !== undefined) {
          // Hard affinity: the owner or nothing (a failed attempt retries there too).
          const owner = byId.get(job.pin);
          if (owner && (job.op !== "responses" || owner.serves(job.model))) preferred.push(owner);
          return;
        }
        const avoid = job.avoid;
        let alternative = false;
        const lanesOf = byModel.get(job.model) ?? NO_LANES;
        for (let i = 0; i < lanesOf.length; i++) {
          const lane = lanesOf[i] as Lane;
          if (!lane.serves(job.model)) continue;
          if (avoid?.has(lane.id) === true) fallback.push(lane);
          else {
            preferred.push(lane);
            // Only a retry has lanes to avoid, so only a retry needs to know whether others are healthy.
            if (avoid !== undefined && !alternative && isAlternative(lane, t)) alternative = true;
          }
        }
        if (alternative) clear(fallback);
      };

      /** Binds `job` to a lane that can admit it now, skipping `excluded`; false when none can. */
      const tryDispatch = (job: Job, t: number, excluded: ReadonlySet<Lane>): boolean => {
        usable(job, t, candidates, avoided);
        const pick = admissible;
        clear(pick);
        for (const lane of candidates)
          if (!excluded.has(lane) && lane.canAdmit(job.kind, job.tokens, t)) pick.push(lane);
        if (pick.length === 0)
          for (const lane of avoided)
            if (!excluded.has(lane) && lane.canAdmit(job.kind, job.tokens, t)) pick.push(lane);
        if (pick.length === 0) return false;
        let lane: Lane | undefined = pick[0];
        const prefer = job.prefer === undefined ? undefined : pick.find((l) => l.id === job.prefer);
        if (prefer) lane = prefer;
        else if (pick.length > 1) {
          const snapshots: LaneSnapshot[] = pick.map((l) => l.snapshot(t));
          const id = strategy(snapshots, { model: job.model, kind: job.kind, tokens: job.tokens }, context);
          if (id === undefined) return false;
          lane = pick.find((l) => l.id === id);
        }
        const admission = lane?.admit(job.model, job.kind, job.tokens, t);
        if (!admission) return false;
        job.state = "running";
        subscriber.next({ job, admission });
        return true;
      };

      /**
       * A waiting job holds back every lane it is waiting for, so that later jobs cannot take the budget or
       * slot it needs next. Lanes it cannot use in the foreseeable future (too small for it, disabled,
       * stream circuit open for a stream) stay free for the jobs behind it.
       */
      const reserve = (job: Job, t: number): void => {
        usable(job, t, candidates, avoided);
        for (const lane of candidates) if (lane.couldAdmit(job.kind, job.tokens, t)) reserved.add(lane);
        for (const lane of avoided) if (lane.couldAdmit(job.kind, job.tokens, t)) reserved.add(lane);
      };

      const anyFreeSlot = (lanes: readonly Lane[]): boolean => {
        for (const lane of lanes) if (lane.hasFreeSlot) return true;
        return false;
      };

      const allReserved = (lanes: readonly Lane[]): boolean => {
        for (const lane of lanes) if (!reserved.has(lane)) return false;
        return true;
      };

      /**
       * Dispatches the first job, in service order, that may go now: the heads of the lines in their rank
       * order, and behind a blocked head a few jobs that can take lanes nobody ahead of them waits for.
       */
      const dispatchNext = (t: number): boolean => {
        reserved.clear();
        for (const line of queue.ranked(t)) {
          const head = line.queue.peek(t);
          if (head === undefined) continue;
          if (tryDispatch(head, t, reserved)) {
            line.queue.shift(t);
            queue.shifted();
            return true;
          }
          const lanes = byModel.get(line.model) ?? [];
          // Every slot taken (the usual state under load): nothing of this line can go, and full lanes
          // admit nothing that would need holding back.
          if (!anyFreeSlot(lanes)) continue;
          reserve(head, t);
          if (allReserved(lanes)) continue;
          for (const job of line.queue.upcoming(t, LOOKAHEAD + 1)) {
            if (job === head) continue;
            if (tryDispatch(job, t, reserved)) {
              queue.remove(job);
              return true;
            }
            reserve(job, t);
          }
        }
        return false;
      };

      /**
       * Soonest time a lane the job may use could admit it: NaN when no lane serves the model any more,
       * Infinity when none will on its own, -1 when only a busy lane's release (an event) can help.
       */
      const soonest = (job: Job, t: number): number => {
        usable(job, t, candidates, avoided);
        if (candidates.length + avoided.length === 0) return Number.NaN;
        let best = Number.POSITIVE_INFINITY;
        let anyBusy = false;
        // One loop over both lists, no closure: this runs for every queued head at every pump.
        const total = candidates.length + avoided.length;
        for (let i = 0; i < total; i++) {
          const lane = (i < candidates.length ? candidates[i] : avoided[i - candidates.length]) as Lane;
          if (lane.inflight > 0) anyBusy = true;
          if (lane.state(t) !== "disabled")
            best = Math.min(best, lane.msUntilAdmissible(job.kind, job.tokens, t));
        }
        return best === Number.POSITIVE_INFINITY && anyBusy ? -1 : best;
      };

      /**
       * A job with a fallback model that waits behind others cannot be served before the line's head
       * can: when even that is past its deadline, its fallback takes over now rather than at the deadline.
       */
      const tooLateBehindHead = (job: Job, t: number): boolean => {
        const head = queue.lineOf(job)?.queue.peek(t);
        if (head === undefined || head === job) return false;
        const wait = Math.max(soonest(head, t), soonest(job, t));
        return Number.isFinite(wait) && wait > 0 && t + wait > job.deadline;
      };

      // The job's deadline is the router's: it removes the job from the queue when it passes.
      const enqueue = (job: Job, t: number) => {
        job.state = "queued";
        job.queuedAt = t;
        queue.push(job);
      };

      const leave = (job: Job, reason: StuckReason): void => {
        if (queue.remove(job)) onStuck(job, reason);
      };

      const pump = () => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        let t: number;
        try {
          do {
            again = false;
            // Each pass dispatches one job; the next pass re-ranks the lines. `t` ends as the instant
            // of the pass that found nothing to dispatch.
            for (t = now(); queue.size > 0 && dispatchNext(t); t = now()) {}
          } while (again);
        } finally {
          pumping = false;
        }
        scheduleWake(t);
      };

      /**
       * One timer for the whole queue: the soonest moment a blocked head could go. `t` must be the
       * instant dispatch last found nothing to do: read later, the clock may have passed the moment a
       * lane reopened, making it look admissible "now" when nothing was dispatched to it, and no timer
       * would be set.
       */
      const scheduleWake = (t: number) => {
        if (queue.size === 0) {
          wake?.sub.unsubscribe();
          wake = undefined;
          return;
        }
        let next = Number.POSITIVE_INFINITY;
        let stuck: [Job, StuckReason][] | undefined;
        for (const line of queue.ranked(t)) {
          const head = line.queue.peek(t);
          if (!head) continue;
          const ms = soonest(head, t);
          if (Number.isNaN(ms) || ms === Number.POSITIVE_INFINITY)
            stuck = append(stuck, [head, "unservable"]);
          else if (ms > 0) {
            // A job with somewhere else to go (a fallback model), or pinned to an owner that will not
            // be back in time, leaves now rather than at its deadline.
            if (t + ms > head.deadline && (head.fallbacks.length > 0 || head.pin !== undefined))
              stuck = append(stuck, [head, "too-late"]);
            else next = Math.min(next, ms);
          }
        }
        if (stuck) for (const [job, reason] of stuck) leave(job, reason);
        if (next === Number.POSITIVE_INFINITY) return;
        const at = t + next;
        if (wake && wake.at <= at && wake.at > t) return;
        wake?.sub.unsubscribe();
        wake = {
          at,
          sub: scheduler.schedule(() => {
            wake = undefined;
            pump();
          }, next),
        };
      };

      const offer = (job: Job): void => {
        const t = now();
        if (!pumping && queue.size === 0 && tryDispatch(job, t, none)) return;
        if (queue.size >= options.maxQueueSize && job.attempts.length === 0) {
          // Full, but a lane that nobody waiting needs may still take it at once.
          if (!pumping && dispatchPastQueue(job, t)) return;
          onStuck(job, "queue-full");
          return;
        }
        enqueue(job, t);
        pump();
        if (job.state === "queued" && job.fallbacks.length > 0 && tooLateBehindHead(job, t))
          leave(job, "too-late");
      };
      options.connect?.(offer);
      const intake = jobs$.subscribe({
        next: offer,
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });

      /** Dispatches `job` without queueing it, on a lane none of the waiting heads is waiting for. */
      const dispatchPastQueue = (job: Job, t: number): boolean => {
        reserved.clear();
        for (const line of queue.ranked(t)) {
          const head = line.queue.peek(t);
          if (head) reserve(head, t);
        }
        const done = tryDispatch(job, t, reserved);
        reserved.clear();
        return done;
      };
      const freed = merge(...lanes.map((l) => l.changed$)).subscribe(() => {
        if (queue.size > 0) pump();
      });
      return () => {
        intake.unsubscribe();
        freed.unsubscribe();
        wake?.sub.unsubscribe();
        wake = undefined;
      };
    });
}

/** Adds to a list made only when something is added (most calls add nothing). */
function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}
