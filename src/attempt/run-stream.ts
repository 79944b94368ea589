import type { Subscription } from "rxjs";
import type { Admission } from "../dispatch/lane.js";
import type { RoutedStream, StreamEnd } from "../dispatch/routed-stream.js";
import { ResponseInvalidError, StreamInterruptedError } from "../errors.js";
import { streamModelOf } from "../metrics/otel/describe.js";
import type { OpenedStream } from "../operations/surface.js";
import { SURFACES } from "../operations/surfaces.js";
import type { RequestJob } from "../request/job.js";
import {
  type AttemptContext,
  type AttemptFailed,
  abortedFailure,
  callCommon,
  classifyAttempt,
  laneBody,
  timeoutFailure,
} from "./attempt.js";

/** A stream that delivered its first content: from here on it belongs to its caller. */
export interface StreamOpened {
  readonly ok: true;
  readonly stream: RoutedStream<never>;
  readonly headers: Headers | undefined;
}

/** The request settled while its stream was opening: the stream was cancelled, its end reported. */
export interface StreamDropped {
  readonly ok: "dropped";
}

/** How an opened stream ended, with what its attempt needs to settle it. */
export interface StreamEnded {
  readonly end: StreamEnd;
  readonly headers: Headers | undefined;
  readonly ttftMs: number;
  readonly opened: OpenedStream;
}

/**
 * One streamed attempt: the upstream call, then its items read up to the first content. Until then it
 * can still fail over (nothing reached the caller): garbage, an early end, a stall past
 * `firstTokenTimeoutMs` are the endpoint's failures, returned as values. Once content came, the
 * stream is wrapped for the caller and its end arrives later through `onEnd`.
 */
export async function runStream(
  job: RequestJob,
  admission: Admission,
  context: AttemptContext,
  onEnd: (ended: StreamEnded) => void,
): Promise<StreamOpened | StreamDropped | AttemptFailed> {
  const lane = admission.lane;
  const { scheduler } = context;
  const startedAt = scheduler.now();
  let firstTokenTimedOut = false;
  let headersReceived = false;
  let firstTokenTimer: Subscription | undefined;
  try {
    if (admission.ticket.ready) await admission.ticket.ready;
    const surface = SURFACES[job.op].stream;
    if (!surface) throw new TypeError(`${job.op} has no streams`);
    const result = await context.transport(
      surface.call(laneBody(job, admission), callCommon(job, admission, context)),
    );
    if (result.kind !== "stream" && result.kind !== "responses-stream")
      throw new TypeError("transport returned no stream for a streamed call");
    const { headers } = result;
    const data = result.data as AsyncIterable<unknown> & { readonly controller: AbortController };
    headersReceived = true;
    job.upstream = data.controller;
    if (job.state === "settled") data.controller.abort(); // the deadline passed while headers came
    // The deadline timer covers a first token that comes later than the deadline.
    if (context.firstTokenTimeoutMs < job.deadline - scheduler.now()) {
      firstTokenTimer = scheduler.schedule(() => {
        firstTokenTimedOut = true;
        data.controller.abort();
      }, context.firstTokenTimeoutMs);
    }
    const iterator = data[Symbol.asyncIterator]();
    const buffered: never[] = [];
    let content = false;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const item = next.value as never;
      // Garbage before content is the endpoint's failure: it fails over (nothing reached the caller).
      if (!surface.isItem(item))
        throw new ResponseInvalidError(lane.id, "a stream item of the wrong shape before any content", {
          status: 200,
        });
      buffered.push(item);
      if (surface.isContent(item)) {
        content = true;
        break;
      }
    }
    firstTokenTimer?.unsubscribe();
    // The SDK ends an aborted stream quietly instead of throwing: tell a stall from an abort.
    if (data.controller.signal.aborted) {
      const failure = firstTokenTimedOut
        ? timeoutFailure(undefined, "first-token")
        : abortedFailure(undefined);
      return { ok: false, failure, afterHeaders: true };
    }
    // Nothing before the end is a broken stream, unless the service said it finished (a Responses
    // stream may complete with no text at all; a chat one says so with a finish_reason, its content).
    if (!content && !surface.finishedEarly(buffered))
      throw new ResponseInvalidError(lane.id, "a stream that ended before any content", { status: 200 });
    const ttftMs = scheduler.now() - startedAt;
    job.responseModel = streamModelOf(buffered);
    // The stream ends later (read by the caller), by when `opened` is set.
    const opened: OpenedStream = surface.open(
      {
        buffered,
        upstream: iterator as AsyncIterator<never>,
        controller: data.controller,
        stopReason: () => job.stopReason,
        wrapError: (error: unknown, received: number) =>
          new StreamInterruptedError(lane.id, received, error, context.redact),
        onEnd: (end) => onEnd({ end, headers, ttftMs, opened }),
      },
      { body: job.body, endpoint: lane.id },
    );
    if (job.state === "settled") {
      await opened.stream.cancel();
      return DROPPED;
    }
    return { ok: true, stream: opened.stream, headers };
  } catch (error) {
    firstTokenTimer?.unsubscribe();
    const failure = firstTokenTimedOut
      ? timeoutFailure(error, "first-token")
      : classifyAttempt(job, error, scheduler.now());
    return { ok: false, failure, afterHeaders: headersReceived };
  }
}

const DROPPED: StreamDropped = { ok: "dropped" };
