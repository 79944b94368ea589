import type { Admission } from "../dispatch/lane.js";
import type { UpstreamResult } from "../dispatch/transport.js";
import { ResponseInvalidError } from "../errors.js";
import type { CountableUsage, Surface } from "../operations/surface.js";
import { SURFACES } from "../operations/surfaces.js";
import type { RequestJob } from "../request/job.js";
import type { CompletionResponse } from "../types.js";
import { type AttemptContext, type AttemptFailed, callCommon, classifyAttempt, laneBody } from "./attempt.js";

/** A plain call answered as its operation expects. */
export interface CallAnswered {
  readonly ok: true;
  readonly endpoint: string;
  readonly response: CompletionResponse;
  readonly usage: CountableUsage | undefined;
  readonly headers: Headers | undefined;
}

/** Where an attempt's result goes (one function for every call: no closure per request). */
export type CallEnded = (job: RequestJob, admission: Admission, end: CallAnswered | AttemptFailed) => void;

/**
 * One plain (not streamed) attempt on the lane that admitted it: the upstream call through the job's
 * surface, and its answer checked. Never throws: its result, a failure classified, goes to `ended`
 * (a continuation rather than a returned promise: a second async layer per attempt cost ~500 bytes).
 */
export async function runCall(
  job: RequestJob,
  admission: Admission,
  context: AttemptContext,
  ended: CallEnded,
): Promise<void> {
  let end: CallAnswered | AttemptFailed;
  try {
    if (admission.ticket.ready) await admission.ticket.ready;
    const surface = SURFACES[job.op];
    const common = callCommon(job, admission, context);
    const result = await context.transport(surface.call(laneBody(job, admission), job.target, common));
    if (result.kind === "stream" || result.kind === "responses-stream")
      throw new TypeError("transport returned a stream for a non-streamed call");
    // Not what the operation expects (an HTML page, someone else's JSON, nothing): the endpoint's failure.
    const invalid = answerProblem(surface, job, admission.lane.id, result);
    if (invalid) throw invalid;
    end = {
      ok: true,
      endpoint: admission.lane.id,
      response: result.data as CompletionResponse,
      usage: surface.usage(result),
      headers: result.headers,
    };
  } catch (error) {
    end = { ok: false, failure: classifyAttempt(job, error, context.scheduler.now()), afterHeaders: false };
  }
  ended(job, admission, end);
}

/** Characters of a bad answer kept for diagnosis. */
const EXCERPT_LENGTH = 200;

/**
 * What is wrong with a plain call's answer, if anything (see `Surface.answerProblem`), as the
 * endpoint's failure: an HTML page the SDK returned as a string, an empty body, someone else's JSON.
 */
function answerProblem(
  surface: Surface,
  job: RequestJob,
  endpoint: string,
  result: UpstreamResult,
): ResponseInvalidError | undefined {
  const problem = surface.answerProblem(result, job.body);
  if (problem === undefined) return undefined;
  return new ResponseInvalidError(endpoint, problem, {
    status: 200,
    excerpt: excerptOf(result.data),
    ...(result.headers ? { headers: result.headers } : {}),
  });
}

/** The first characters of what an endpoint sent instead of an answer (redacted before a caller sees it). */
function excerptOf(data: unknown): string | undefined {
  try {
    const text = typeof data === "string" ? data : JSON.stringify(data);
    return text === undefined ? undefined : text.slice(0, EXCERPT_LENGTH);
  } catch {
    return undefined;
  }
}
