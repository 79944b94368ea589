import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import type { EmbeddingCreateParams } from "openai/resources/embeddings";
import type {
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
} from "openai/resources/responses/responses";
import type { JobBody, JobOp } from "../dispatch/job.js";
import type { CallCommon, StoredResponseOp, UpstreamCall, UpstreamResult } from "../dispatch/transport.js";
import { responsesUsage } from "./responses.js";

/** A call on a stored response: its id and query (they travel beside the job's body). */
export interface StoredTarget {
  readonly id: string;
  readonly query: Readonly<Record<string, unknown>> | undefined;
}

const STORED: Readonly<Partial<Record<JobOp, StoredResponseOp>>> = {
  "responses.retrieve": "retrieve",
  "responses.delete": "delete",
  "responses.cancel": "cancel",
  "responses.input_items": "input_items",
};

/** The stored-response verb of an op, if it is one. */
export function storedOp(op: JobOp): StoredResponseOp | undefined {
  return STORED[op];
}

/** The upstream call a plain (not streamed) attempt makes, from the job's op and the body for its lane. */
export function plainCall(
  op: JobOp,
  body: JobBody,
  target: StoredTarget | undefined,
  common: CallCommon,
): UpstreamCall {
  const stored = STORED[op];
  if (stored !== undefined) {
    return { kind: "stored-response", op: stored, id: target?.id ?? "", query: target?.query, common };
  }
  switch (op) {
    case "embeddings":
      return { kind: "embeddings", body: body as EmbeddingCreateParams, common };
    case "responses":
      return { kind: "responses", body: body as ResponseCreateParamsNonStreaming, common };
    default:
      return { kind: "chat", body: body as ChatCompletionCreateParamsNonStreaming, common };
  }
}

/**
 * The upstream call a streamed attempt makes. Chat streams always ask for the usage chunk (the budgets
 * and metrics need it; the stream hides it from a caller who did not ask).
 */
export function streamCall(op: JobOp, body: JobBody, common: CallCommon): UpstreamCall {
  if (op === "responses") {
    return {
      kind: "responses-stream",
      body: { ...(body as ResponseCreateParamsStreaming), stream: true },
      common,
    };
  }
  const chat = body as ChatCompletionCreateParamsStreaming;
  return {
    kind: "stream",
    body: { ...chat, stream: true, stream_options: { ...chat.stream_options, include_usage: true } },
    common,
  };
}

/** The usage an answer reports, in the chat shape the lanes count. */
export function usageOf(
  result: UpstreamResult,
): CompletionUsage | { prompt_tokens: number; total_tokens: number } | undefined {
  switch (result.kind) {
    case "chat":
    case "embeddings":
      return result.data.usage ?? undefined;
    case "responses":
      return responsesUsage(result.data);
    default:
      return undefined;
  }
}
