import type { JobOp } from "../dispatch/job.js";
import type { StoredResponseOp } from "../dispatch/transport.js";
import { describe } from "./chat-answer.js";
import { isRecord } from "./shape.js";
import type { Surface } from "./surface.js";

/** A call on a stored response: its id and query (they travel beside the job's body). */
export interface StoredTarget {
  readonly id: string;
  readonly query: Readonly<Record<string, unknown>> | undefined;
}

const VERBS: Readonly<Partial<Record<JobOp, StoredResponseOp>>> = {
  "responses.retrieve": "retrieve",
  "responses.delete": "delete",
  "responses.cancel": "cancel",
  "responses.input_items": "input_items",
};

/** The stored-response verb of an op, if it is one. */
export function storedOp(op: JobOp): StoredResponseOp | undefined {
  return VERBS[op];
}

/** Every problem of a stored-response call: its id (what the URL carries) and its query. */
export function validateTarget(target: StoredTarget | undefined): readonly string[] {
  const id = target?.id;
  if (typeof id !== "string" || id.length === 0 || id.length > 512)
    return ["id: a stored response is named by its id, a non-empty string (e.g. `resp_…`)"];
  const query = target?.query;
  if (query !== undefined && !isRecord(query)) return ["query: must be an object"];
  return [];
}

/**
 * A verb on a stored response (retrieve, delete, cancel, input items): no body, no tokens, the
 * service's JSON as the answer; the lifecycle sends it to the endpoint that holds the response.
 */
export function storedSurface(verb: StoredResponseOp): Surface {
  return {
    validate: () => [], // the target is what is validated (`validateTarget`)
    estimate: () => 0,
    call: (_body, target, common) => ({
      kind: "stored-response",
      op: verb,
      id: target?.id ?? "",
      query: target?.query,
      common,
    }),
    answerProblem: (result) =>
      result.kind === "stored-response" && !isRecord(result.data)
        ? result.data === undefined
          ? "an empty body"
          : `not a JSON object (${describe(result.data)})`
        : undefined,
    usage: () => undefined,
  };
}
