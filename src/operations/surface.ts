import type { CompletionUsage } from "openai/resources/completions";
import type { Response as ResponseObject } from "openai/resources/responses/responses";
import type { JobBody } from "../dispatch/job.js";
import type { RoutedStream, RoutedStreamParts, StreamReader } from "../dispatch/routed-stream.js";
import type { CallCommon, UpstreamCall, UpstreamResult } from "../dispatch/transport.js";
import type { TokenEstimator } from "../limits/token-estimate.js";
import type { StoredTarget } from "./stored.js";

/** Usage in the shape the lanes and metrics count (chat's; embeddings have no completion tokens). */
export type CountableUsage = CompletionUsage | { prompt_tokens: number; total_tokens: number };

/**
 * One API surface (chat, embeddings, responses, a stored response's verbs) as the request lifecycle
 * uses it: everything that differs between surfaces, and nothing else. The lifecycle (queue, attempts,
 * retries, failover, affinity, outcomes) is the same for all. To add a surface, write its module with
 * one of these and register it in `surfaces.ts`.
 */
export interface Surface {
  /** Every problem of a request body, each `path: what is wrong`; empty when its shape is right. */
  validate(body: unknown): readonly string[];
  /**
   * What a TPM limiter charges for the request: its input estimate plus the output it may produce.
   * (A Responses follow-up's stored context is added by the lifecycle: it is invisible in the body.)
   */
  estimate(body: JobBody, estimator: TokenEstimator, defaultOutputTokens: number): number;
  /** The upstream call of a plain (not streamed) attempt, with the body as the lane sends it. */
  call(body: JobBody, target: StoredTarget | undefined, common: CallCommon): UpstreamCall;
  /**
   * What is wrong with a plain answer, if anything (an HTML page, someone else's JSON, nothing): the
   * endpoint's failure, never the caller's result. `body` is the request (e.g. how many inputs it had).
   */
  answerProblem(result: UpstreamResult, body: JobBody): string | undefined;
  /** The usage a plain answer reports, when it is well formed. */
  usage(result: UpstreamResult): CountableUsage | undefined;
  /** The surface's streams, if it has them. */
  readonly stream?: StreamSurface;
}

/** The streams of a surface: how they are asked for, where their content starts, how they are read. */
export interface StreamSurface {
  /** The upstream call of a streamed attempt (e.g. chat asks for the usage chunk). */
  call(body: JobBody, common: CallCommon): UpstreamCall;
  /** An item of the right shape: anything else before content is the endpoint's failure (it fails over). */
  isItem(item: unknown): boolean;
  /** The first item that carries output: from there on the stream can no longer fail over. */
  isContent(item: unknown): boolean;
  /** The service finished the stream before any content (a Responses stream may; a chat one never). */
  finishedEarly(buffered: readonly unknown[]): boolean;
  /** Wraps the upstream once content arrived: the stream handed to the caller, and what reads it. */
  open(parts: Omit<RoutedStreamParts<never>, "reader">, context: StreamContext): OpenedStream;
}

/** What a stream's wrapper needs to know of its request. */
export interface StreamContext {
  /** The body as the caller sent it (whether the caller asked for the usage chunk). */
  readonly body: JobBody;
  /** The endpoint's name (for errors about its items). */
  readonly endpoint: string;
}

/** A stream handed to the caller, and its reader (the usage, completeness, the stored response). */
export interface OpenedStream {
  readonly stream: RoutedStream<never>;
  readonly reader: StreamReader<never> & { readonly response?: ResponseObject | undefined };
}
