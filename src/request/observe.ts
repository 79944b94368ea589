import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import { Observable, type OperatorFunction } from "rxjs";
import type { ChatStream } from "../dispatch/chat-stream.js";
import { isRecord } from "../operations/shape.js";
import type { Completion, RouterCallOptions, RouterRequest } from "../types.js";
import { isAbortSignal } from "./read.js";

/** Hands a request in; `deliver` gets its one outcome. */
export type Push = (request: RouterRequest, deliver: (completion: Completion) => void) => void;
/** Starts a streamed call; resolves with the stream. */
export type OpenStream = (
  body: ChatCompletionCreateParamsStreaming,
  options: RouterCallOptions,
) => Promise<ChatStream>;

/**
 * Each request in, its outcome out; completes when the source has completed and every request has
 * its outcome (the operator behind `router.route()`).
 */
export function routeEach(push: Push): OperatorFunction<RouterRequest, Completion> {
  return (source) =>
    new Observable<Completion>((subscriber) => {
      let pending = 0;
      let sourceDone = false;
      const sub = source.subscribe({
        next: (request) => {
          pending += 1;
          push(request, (completion) => {
            subscriber.next(completion);
            pending -= 1;
            if (sourceDone && pending === 0) subscriber.complete();
          });
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (pending === 0) subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}

/**
 * A streamed call as an Observable of chunks (behind `router.stream()`): the call starts on subscribe,
 * and unsubscribing, or the caller's `options.signal`, stops it.
 */
export function streamChunks(
  open: OpenStream,
  body: unknown,
  options: RouterCallOptions,
): Observable<ChatCompletionChunk> {
  return new Observable<ChatCompletionChunk>((subscriber) => {
    const controller = new AbortController();
    // Whatever the caller passed, nothing throws here: what cannot be read or is of the wrong type
    // goes on as it is, and the intake answers REQUEST_INVALID (one outcome, like any request).
    let outer: AbortSignal | undefined;
    let forwarded: RouterCallOptions = options;
    let streamed: unknown = body;
    try {
      const signal = isRecord(options) ? options.signal : undefined;
      if (signal === undefined || isAbortSignal(signal)) {
        outer = signal;
        forwarded = { ...options, signal: controller.signal };
      }
      if (isRecord(body)) streamed = { ...body, stream: true };
    } catch {
      // reported by the intake, which reads the same fields
    }
    const forward = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", forward, { once: true });
    if (outer?.aborted) controller.abort(outer.reason);
    open(streamed as ChatCompletionCreateParamsStreaming, forwarded)
      .then(async (stream) => {
        for await (const chunk of stream) {
          if (subscriber.closed) break;
          subscriber.next(chunk);
        }
        subscriber.complete();
      })
      .catch((error: unknown) => subscriber.error(error));
    return () => {
      outer?.removeEventListener("abort", forward);
      controller.abort();
    };
  });
}
