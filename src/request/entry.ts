import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import type { ResponseCreateParamsStreaming } from "openai/resources/responses/responses";
import type { Affinity } from "../affinity/affinity.js";
import type { ChatStream } from "../dispatch/chat-stream.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { JobBody, JobOp } from "../dispatch/job.js";
import type { StoredTarget } from "../operations/stored.js";
import type { Redact } from "../resilience/redact.js";
import { RouterPromise } from "../router-promise.js";
import type { RequestKind } from "../strategies/types.js";
import type { Completion, RouterCallOptions, RouterRequest } from "../types.js";
import { type Intake, Refusal, type Submission } from "./intake.js";
import type { Deliver, RequestJob, StreamStarted } from "./job.js";
import type { Lifecycle } from "./lifecycle.js";
import { type LocateOptions, locateOwner, needsLocating } from "./locate.js";
import { readPushed } from "./read.js";

/** What the way in needs of the router. */
export interface EntryOptions {
  readonly intake: Intake;
  readonly lifecycle: Lifecycle;
  readonly dispatcher: Dispatcher<RequestJob>;
  readonly affinity: Affinity;
  readonly locate: LocateOptions;
  readonly redact: Redact;
}

const noop = (): void => undefined;

/**
 * Every API's way in (a call, a stream, a pushed request, `router.fetch`): each becomes one
 * {@link Submission}, which is admitted and queued, or refused with its one outcome.
 */
export class Entry {
  private readonly resume = (job: RequestJob): void => this.options.dispatcher.submit(job);

  constructor(private readonly options: EntryOptions) {}

  /** A plain call of the SDK-shaped API: the promise settles with the response or the error. */
  call(op: JobOp, body: JobBody, options?: RouterCallOptions, target?: StoredTarget): RouterPromise<unknown> {
    const kind: RequestKind = op === "embeddings" ? "embeddings" : "chat";
    return RouterPromise.start(({ resolve, reject }) => {
      const deliver: Deliver = (c, headers) => (c.ok ? resolve(c.response, headers) : reject(c.error));
      this.submit({ kind, op, body, options, deliver, started: undefined, target });
    }, this.options.redact);
  }

  /** A streamed call: the promise resolves with the stream once the first attempt has started one. */
  stream(
    body: ChatCompletionCreateParamsStreaming | ResponseCreateParamsStreaming,
    options?: RouterCallOptions,
    // Named by the caller, never guessed from the body (which may be malformed, or not an object).
    op: JobOp = "chat",
  ): RouterPromise<ChatStream> {
    return RouterPromise.start(({ resolve, reject }) => {
      const deliver: Deliver = (c) => {
        if (!c.ok) reject(c.error);
      };
      const started: StreamStarted = (stream, _endpoint, headers) =>
        resolve(stream as unknown as ChatStream, headers);
      this.submit({ kind: "stream", op, body, options, deliver, started, target: undefined });
    }, this.options.redact);
  }

  /** A request pushed into `requests` or piped through `route()`: exactly one outcome, whatever it is. */
  push(request: RouterRequest, deliver: ((c: Completion) => void) | undefined): void {
    const read = readPushed(request);
    const { lifecycle, intake } = this.options;
    if (!read.ok) {
      lifecycle.reject(read.id ?? intake.nextId(), read.kind, read.model, read.error, deliver);
      return;
    }
    const kind: RequestKind = read.op === "embeddings" ? "embeddings" : "chat";
    this.submit({
      kind,
      op: read.op,
      body: read.body,
      options: read.options,
      deliver: deliver ?? noop,
      started: undefined,
      target: undefined,
    });
  }

  /** Admitted (or refused with its one outcome), then queued, after its owner is found if it must be. */
  submit(submission: Submission): void {
    const { intake, lifecycle, affinity, dispatcher, locate } = this.options;
    const job = intake.admit(submission);
    if (job instanceof Refusal) {
      lifecycle.reject(job.id, job.kind, job.model, job.error, submission.deliver);
      return;
    }
    lifecycle.admit(job);
    if (needsLocating(job, job.pin !== undefined, affinity)) locateOwner(job, locate, this.resume);
    else dispatcher.submit(job);
  }
}
