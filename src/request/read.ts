/**
 * Reading what callers pass without trusting it: options, bodies and pushed requests may be of any
 * type, frozen, Proxies, or have getters that throw. Nothing here throws; what is wrong comes back as
 * problems, each `path: what is wrong`, for a REQUEST_INVALID that lists them all.
 */
import type { JobBody, JobOp } from "../dispatch/job.js";
import { RequestInvalidError } from "../errors.js";
import { describe as describeValue } from "../operations/chat.js";
import { isRecord, NO_PROBLEMS } from "../operations/shape.js";
import { SURFACES } from "../operations/surfaces.js";
import type { CompletionKind, RouterCallOptions } from "../types.js";

const NO_OPTIONS: RouterCallOptions = Object.freeze({});
/** Options as they are read on the common paths: none given, or given right (no allocation for either). */
export interface ReadOptions {
  readonly options: RouterCallOptions;
  readonly problems: readonly string[];
}
const NONE_GIVEN: ReadOptions = Object.freeze({ options: NO_OPTIONS, problems: NO_PROBLEMS });

/**
 * Per-call options, checked: the queue orders by `priority` and times by `timeout` (a NaN would break
 * either), the outcome carries `id`, and `signal` gets a listener. Right options are returned as they
 * came (no copy on the hot path); wrong ones keep only a usable `id`, for the outcome.
 */
export function readOptions(options: unknown): ReadOptions {
  if (options === undefined) return NONE_GIVEN;
  if (!isRecord(options))
    return { options: NO_OPTIONS, problems: [`options: must be an object (got ${describeValue(options)})`] };
  let problems: string[] | undefined;
  try {
    const { id, priority, timeout, signal, affinityKey } = options;
    if (id !== undefined && (typeof id !== "string" || id.length === 0))
      problems = append(problems, "id: must be a non-empty string");
    if (priority !== undefined && !(typeof priority === "number" && Number.isFinite(priority)))
      problems = append(problems, "priority: must be a finite number (lower is served first)");
    if (timeout !== undefined && !(typeof timeout === "number" && timeout > 0))
      problems = append(problems, "timeout: must be a positive number of milliseconds");
    if (signal !== undefined && !isAbortSignal(signal))
      problems = append(problems, "signal: must be an AbortSignal");
    if (affinityKey !== undefined && typeof affinityKey !== "string")
      problems = append(problems, "affinityKey: must be a string");
    if (problems === undefined) return { options: options as RouterCallOptions, problems: NO_PROBLEMS };
    return { options: typeof id === "string" && id.length > 0 ? { id } : NO_OPTIONS, problems };
  } catch (error) {
    return { options: NO_OPTIONS, problems: [`options: could not be read (${describeThrown(error)})`] };
  }
}

/** Every problem of a body for its surface (see src/operations); a body whose reading throws is that problem. */
export function bodyProblems(op: JobOp, body: unknown): readonly string[] {
  try {
    return SURFACES[op].validate(body);
  } catch (error) {
    return [`body: could not be read (${describeThrown(error)})`];
  }
}

/** A request (or its body) whose reading threw: REQUEST_INVALID saying what threw, never the throw itself. */
export function unreadable(what: string, error: unknown): RequestInvalidError {
  return new RequestInvalidError("Invalid request", [
    `${what}: could not be read (${describeThrown(error)})`,
  ]);
}

/** What a caller's getter threw, in a few words (its message is the caller's own: it stays short). */
function describeThrown(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

/** `stream: true` on a body, read without trusting it (not an object, or a getter that throws: false). */
export function isStreamed(body: unknown): boolean {
  try {
    return isRecord(body) && body.stream === true;
  } catch {
    return false;
  }
}

/** Duck-typed like the SDK does: an AbortSignal from another realm or polyfill works too. */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function" &&
    typeof (value as AbortSignal).removeEventListener === "function"
  );
}

/** The body's model, whatever the body is (validation says what is wrong with it). */
export function modelOf(body: unknown): string {
  try {
    const model = (body as { model?: unknown } | null | undefined)?.model;
    return typeof model === "string" ? model : "";
  } catch {
    return ""; // a getter that throws: the validation reports it
  }
}

/** A request pushed into `router.requests`, read: what to submit, or why it cannot be. */
export type PushedRequest =
  | {
      readonly ok: true;
      readonly op: "chat" | "embeddings" | "responses";
      readonly body: JobBody;
      readonly options: RouterCallOptions;
    }
  | {
      readonly ok: false;
      readonly id: string | undefined;
      readonly kind: CompletionKind;
      readonly model: string;
      readonly error: RequestInvalidError;
    };

/**
 * A request pushed into `requests` or piped through `route()`: whatever it is (not an object, no id,
 * an unknown kind, a getter that throws), it is read into a submission or a REQUEST_INVALID.
 */
export function readPushed(request: unknown): PushedRequest {
  let fields: Record<string, unknown>;
  try {
    if (!isRecord(request)) {
      const problem = `request: must be an object { id, kind, body } (got ${describeValue(request)})`;
      const error = new RequestInvalidError("Invalid request", [problem]);
      return { ok: false, id: undefined, kind: "chat", model: "", error };
    }
    const { id, kind, body, priority, timeoutMs, signal } = request;
    fields = { id, kind, body, priority, timeoutMs, signal };
  } catch (error) {
    return { ok: false, id: undefined, kind: "chat", model: "", error: unreadable("request", error) };
  }
  const { id, kind, body } = fields;
  const problems: string[] = [];
  if (typeof id !== "string" || id.length === 0) problems.push("id: must be a non-empty string");
  if (kind !== "chat" && kind !== "embeddings" && kind !== "responses")
    problems.push('kind: must be "chat", "embeddings" or "responses"');
  else if (kind !== "embeddings" && isStreamed(body))
    problems.push(
      "body.stream: streamed requests go through router.stream() or chat.completions.create({ stream: true })",
    );
  if (problems.length > 0) {
    const shown: CompletionKind = kind === "embeddings" || kind === "responses" ? kind : "chat";
    const outcomeId = typeof id === "string" && id.length > 0 ? id : undefined;
    const error = new RequestInvalidError("Invalid request", problems);
    return { ok: false, id: outcomeId, kind: shown, model: modelOf(body), error };
  }
  const options = {
    id: id as string,
    priority: fields.priority,
    timeout: fields.timeoutMs,
    signal: fields.signal,
  } as RouterCallOptions;
  return { ok: true, op: kind as "chat" | "embeddings" | "responses", body: body as JobBody, options };
}

/** Adds to a list made only when something is added (most calls add nothing). */
function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}
