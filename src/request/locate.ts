import type { SchedulerLike } from "rxjs";
import type { Affinity } from "../affinity/affinity.js";
import { isAskable } from "../affinity/requests.js";
import type { Fleet } from "../dispatch/fleet.js";
import type { Transport } from "../dispatch/transport.js";
import { storedOp } from "../operations/stored.js";
import type { RequestJob } from "./job.js";

/** What finding an owner needs of the router. */
export interface LocateOptions {
  readonly fleet: Fleet;
  readonly affinity: Affinity;
  readonly transport: Transport;
  readonly scheduler: SchedulerLike;
  /** @unit milliseconds */
  readonly attemptTimeoutMs: number;
}

/**
 * Whether a job's stored state must be looked for before it is queued: its owner is unknown here, and
 * someone could know it (the shared store of owners, or the endpoints, for responses and conversations).
 */
export function needsLocating(job: RequestJob, ownerKnown: boolean, affinity: Affinity): boolean {
  if (job.ref === undefined || ownerKnown) return false;
  return storedOp(job.op) !== undefined || affinity.sharesOwners || isAskable(job.ref);
}

/**
 * An id the router has not seen (made by another process, or before a restart): asks the shared store,
 * then the endpoints that could hold it, one at a time, outside their budgets (a lookup is not
 * inference), and pins the job to the one that has it. Nobody has it: the job goes as usual and the
 * service answers its 404. The job waits in `backoff` meanwhile, so an abort or its deadline settles it
 * as any waiting job; `resume` queues it once its owner is known (or known to be nobody).
 */
export function locateOwner(
  job: RequestJob,
  options: LocateOptions,
  resume: (job: RequestJob) => void,
): void {
  const ref = job.ref;
  if (ref === undefined) {
    resume(job);
    return;
  }
  const { fleet, affinity, transport, scheduler } = options;
  job.state = "backoff";
  const candidates = fleet.lanes.filter((lane) => job.model === "" || lane.serves(job.model));
  void (async () => {
    // Another process may have recorded it: one read of the shared store before asking endpoints.
    const recorded = await affinity.sharedOwner(ref);
    if (job.state !== "backoff") return;
    if (recorded !== undefined && fleet.byId.has(recorded)) {
      job.pin = recorded;
      affinity.own(ref, { endpoint: recorded, model: job.model, contextTokens: 0 }, scheduler.now());
    }
    const askable = isAskable(ref) ? candidates : [];
    for (const lane of job.pin === undefined ? askable : []) {
      if (job.state !== "backoff") return;
      try {
        const remaining = Math.max(1, job.deadline - scheduler.now());
        await transport({
          kind: "stored-response",
          op: ref.startsWith("conv_") ? "conversation" : "retrieve",
          id: ref,
          query: undefined,
          common: {
            endpoint: lane.id,
            client: lane.responsesClient,
            signal: job.signal,
            timeout: Math.min(remaining, options.attemptTimeoutMs),
          },
        });
        job.pin = lane.id;
        affinity.own(ref, { endpoint: lane.id, model: job.model, contextTokens: 0 }, scheduler.now());
        break;
      } catch {
        // Not there (404), or the endpoint is down: ask the next one.
      }
    }
    if (job.state !== "backoff") return;
    // A call on a response nobody holds still goes to an endpoint: the service's own 404 says so.
    if (job.op !== "responses") job.pin ??= candidates[0]?.id;
    if (job.model === "" && job.pin !== undefined) job.model = fleet.byId.get(job.pin)?.models[0] ?? "";
    job.state = "queued";
    resume(job);
  })();
}
