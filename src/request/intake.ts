import type { SchedulerLike } from "rxjs";
import type { Affinity } from "../affinity/affinity.js";
import { continuedRef, softKey } from "../affinity/requests.js";
import type { ResolvedConfig } from "../config.js";
import type { Fleet } from "../dispatch/fleet.js";
import type { JobBody, JobOp } from "../dispatch/job.js";
import {
  AbortedError,
  AffinityUnavailableError,
  NoEndpointForModelError,
  RequestInvalidError,
  RequestTooLargeError,
  RouterClosedError,
  type RouterError,
} from "../errors.js";
import type { TokenEstimator } from "../limits/token-estimate.js";
import type { RouterInstrument } from "../metrics/otel/instrument.js";
import { type StoredTarget, storedOp, validateTarget } from "../operations/stored.js";
import { SURFACES } from "../operations/surfaces.js";
import type { RequestKind } from "../strategies/types.js";
import type { CompletionKind, RouterCallOptions } from "../types.js";
import type { Deliver, RequestJob, StreamStarted } from "./job.js";
import { publicKind } from "./lifecycle.js";
import { bodyProblems, modelOf, readOptions, unreadable } from "./read.js";

/** A request refused at intake: the outcome it gets (it never becomes a job). */
export class Refusal {
  constructor(
    readonly id: string,
    readonly kind: CompletionKind,
    readonly model: string,
    readonly error: RouterError,
  ) {}
}

/** What one request asks for, as an API of the router hands it in. */
export interface Submission {
  readonly kind: RequestKind;
  readonly op: JobOp;
  readonly body: JobBody;
  readonly options: RouterCallOptions | undefined;
  readonly deliver: Deliver;
  readonly started: StreamStarted | undefined;
  readonly target: StoredTarget | undefined;
}

/** What the intake reads of the router. */
export interface IntakeOptions {
  readonly config: ResolvedConfig;
  readonly fleet: Fleet;
  readonly affinity: Affinity;
  readonly estimator: TokenEstimator;
  readonly scheduler: SchedulerLike;
  readonly instrument: RouterInstrument | undefined;
  /** A random part drawn once per router, so ids are unique across routers. */
  readonly idPrefix: string;
  /** The router is closing: new requests are refused. */
  readonly closing: () => boolean;
}

/** Shared by every request without a fallback chain; never written (`shift` runs only when non-empty). */
const NO_FALLBACKS: string[] = [];

/**
 * Admission: turns what a caller handed in into a job, or refuses it with the one error it gets —
 * options and body checked (every problem with its path), the owner of the stored state it continues,
 * its fallback model when its own is served by nobody, its token charge and deadline.
 */
export class Intake {
  private seq = 0;

  constructor(private readonly options: IntakeOptions) {}

  /** `req_<router>_<n>`: unique across routers (the random part is drawn once), cheap per request. */
  nextId(): string {
    return `${this.options.idPrefix}${(this.seq + 1).toString(36)}`;
  }

  admit(submission: Submission): RequestJob | Refusal {
    const { config, fleet, affinity, scheduler } = this.options;
    const { kind, op, body, target } = submission;
    // Options are read (and checked) before anything else: the outcome's id comes from them.
    const read = readOptions(submission.options);
    const id = read.options.id ?? this.nextId();
    const shown = publicKind(kind, op);
    const stored = storedOp(op) !== undefined;
    if (this.options.closing()) return new Refusal(id, shown, modelOf(body), new RouterClosedError());
    // The body's shape is checked before anything else reads it: any malformed value is REQUEST_INVALID
    // with every problem and its path, never a TypeError, never NO_ENDPOINT_FOR_MODEL for a served model.
    const own = stored ? validateTarget(target) : bodyProblems(op, body);
    // No copy on the common path (nothing wrong): an array per request is garbage on every request.
    const problems = read.problems.length === 0 ? own : [...read.problems, ...own];
    if (problems.length > 0)
      return new Refusal(id, shown, modelOf(body), new RequestInvalidError("Invalid request", problems));
    const options = read.options;
    if (options.signal?.aborted)
      return new Refusal(id, shown, modelOf(body), new AbortedError({ cause: options.signal.reason }));
    const now = scheduler.now();
    // Hard affinity: a stored response (or conversation) lives on one endpoint, and so do its follow-ups.
    const ref = stored ? target?.id : continuedRef(op, body);
    const owner = ref === undefined ? undefined : affinity.ownerOf(ref, now);
    if (ref !== undefined && owner !== undefined && !fleet.byId.has(owner.endpoint)) {
      const error = new AffinityUnavailableError(owner.endpoint, ref, "is not configured in this router");
      return new Refusal(id, shown, modelOf(body), error);
    }
    const model = stored ? (owner?.model ?? "") : modelOf(body);
    // Own keys only: a model named "constructor" must not find Object.prototype's.
    const chain =
      ref === undefined && Object.hasOwn(config.fallbacks, model) ? config.fallbacks[model] : undefined;
    // Copied only when there is a chain: a fallback consumes it, and most models have none.
    const fallbacks = chain && chain.length > 0 ? [...chain] : NO_FALLBACKS;
    let current = model;
    let tokens = 0;
    if (!stored) {
      while (!fleet.models.has(current) && fallbacks.length > 0) current = fallbacks.shift() ?? current;
      if (!fleet.models.has(current))
        return new Refusal(id, shown, model, new NoEndpointForModelError(model, [...fleet.models]));
      try {
        tokens =
          SURFACES[op].estimate(body, this.options.estimator, config.defaultOutputTokens) +
          (owner?.contextTokens ?? 0);
      } catch (error) {
        return new Refusal(id, shown, model, unreadable("body", error));
      }
      const largest = fleet.largestTokenBudget(current, now);
      if (tokens > largest)
        return new Refusal(id, shown, model, new RequestTooLargeError(model, tokens, largest));
    }
    const timeoutMs = options.timeout ?? config.timeoutMs;
    const affinityKey = stored ? undefined : softKey(current, body, options.affinityKey);
    return {
      id,
      kind,
      op,
      body: current === model ? body : { ...body, model: current },
      model: current,
      requestedModel: model,
      tokens,
      priority: options.priority ?? 0,
      seq: this.seq++,
      enqueuedAt: now,
      arrivedAt: now,
      queuedAt: now,
      deadline: now + timeoutMs,
      timeoutMs,
      signal: options.signal,
      attempts: [],
      avoid: undefined,
      fallbacks,
      state: "queued",
      pin: owner?.endpoint,
      prefer: affinity.preferred(affinityKey, now),
      target,
      ref,
      affinityKey,
      timer: undefined,
      modelAttempts: 0,
      deadlineSlot: -1,
      upstream: undefined,
      stopReason: undefined,
      timeoutIsDeadline: false,
      lastError: undefined,
      deliver: submission.deliver,
      started: submission.started,
      onAbort: undefined,
      endpoint: undefined,
      begun: this.options.instrument?.begin(),
      responseModel: undefined,
    };
  }
}
