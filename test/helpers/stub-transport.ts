import { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { SchedulerLike, Subscription } from "rxjs";
import { COMPLETION } from "../../bench/lib/fixtures.js";
import type { ChunkStream, Transport, UpstreamCall, UpstreamResult } from "../../src/index.js";

/**
 * A scriptable stand-in for the SDK behind the router's `Transport`: it answers on a virtual
 * scheduler, honours the call's `timeout` the way the SDK does (until the response headers:
 * `APIConnectionTimeoutError`) and its abort signal (`APIUserAbortError`), throws
 * the SDK's own error classes for HTTP failures, and streams like the SDK's `Stream` (an abort ends
 * the iteration quietly). No HTTP is made.
 */

/** A streamed chunk carrying `delta`. */
export function chunk(delta: ChatCompletionChunk.Choice.Delta): ChatCompletionChunk {
  return {
    id: "chatcmpl-stream00000000000000000000",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o-2024-08-06",
    system_fingerprint: "fp_test",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
  };
}

/** The chunk that ends a whole answer: a stream that ends without one was cut (STREAM_INTERRUPTED). */
export const STREAM_FINISH: ChatCompletionChunk = {
  ...chunk({}),
  choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
};

/** The first two chunks of a typical stream: the role, then the first content. */
export const STREAM_START: readonly ChatCompletionChunk[] = [
  chunk({ role: "assistant", content: "", refusal: null }),
  chunk({ content: "Hello" }),
];

/** What the service says with an error status, as openai.com words it. */
const ERROR_BODIES: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: "Invalid value for 'temperature'.", type: "invalid_request_error", code: null },
  401: {
    message: "Incorrect API key provided: sk-test-***. You can find your API key at the dashboard.",
    type: "invalid_request_error",
    code: "invalid_api_key",
  },
  404: {
    message: "The model `gpt-4o` does not exist or you do not have access to it.",
    type: "invalid_request_error",
    code: "model_not_found",
  },
  429: {
    message: "Rate limit reached for gpt-4o on requests per min (RPM): Limit 500, Used 500, Requested 1.",
    type: "requests",
    code: "rate_limit_exceeded",
  },
  500: {
    message: "The server had an error while processing your request. Sorry about that!",
    type: "server_error",
    code: null,
  },
  503: {
    message: "The engine is currently overloaded, please try again later.",
    type: "server_error",
    code: null,
  },
};

/** The SDK's error for an HTTP failure (`RateLimitError`, `AuthenticationError`, …), as it throws it. */
export function sdkError(status: number, headers: Record<string, string> = {}): APIError {
  const body = ERROR_BODIES[status] ?? { message: `status ${status}`, type: "error", code: null };
  return APIError.generate(
    status,
    { error: body },
    undefined,
    new Headers({ "content-type": "application/json", "x-request-id": `req_${status}`, ...headers }),
  );
}

/** What the stub does with one call. */
export type Reply =
  | { readonly kind: "ok"; readonly afterMs: number }
  | {
      readonly kind: "error";
      readonly afterMs: number;
      readonly status: number;
      readonly headers: Record<string, string>;
    }
  /** Never answers; only an abort or the call's timeout ends it (a stalled response). */
  | { readonly kind: "hang" }
  /** Answers when the test calls `answer` (a call held open). */
  | Held
  /** A stream: these chunks at once, then nothing more until it is aborted (or the end, if `end`). */
  | {
      readonly kind: "stream";
      readonly afterMs: number;
      readonly chunks: readonly ChatCompletionChunk[];
      readonly end: boolean;
    };

type Immediate = Exclude<Reply, Held | { kind: "hang" }>;

export const ok = (afterMs = 0): Reply => ({ kind: "ok", afterMs });
export const fail = (status: number, options: { afterMs?: number; headers?: Record<string, string> } = {}) =>
  ({ kind: "error", status, afterMs: options.afterMs ?? 0, headers: options.headers ?? {} }) as const;
export const hang = (): Reply => ({ kind: "hang" });
export const stream = (
  chunks: readonly ChatCompletionChunk[] = STREAM_START,
  options: { afterMs?: number; end?: boolean } = {},
): Reply => ({ kind: "stream", chunks, afterMs: options.afterMs ?? 0, end: options.end ?? false });

/** A call held open until the test answers it. */
export class Held {
  readonly kind = "held";
  private settle: ((reply: Immediate) => void) | undefined;
  private early: Immediate | undefined;

  /** Answers the held call now (its `afterMs` is ignored). */
  answer(reply: Reply): void {
    if (reply.kind === "hang" || reply.kind === "held") throw new TypeError("answer with ok/fail/stream");
    if (this.settle) this.settle(reply);
    else this.early = reply;
  }

  /** @internal */
  bind(settle: (reply: Immediate) => void): void {
    this.settle = settle;
    if (this.early) settle(this.early);
  }
}
export const held = (): Held => new Held();

/** One call the stub received. */
export interface StubCall {
  readonly endpoint: string;
  readonly kind: UpstreamCall["kind"];
  /** The `model` sent (the deployment on Azure). */
  readonly model: string;
  /** Virtual time of the call. */
  readonly at: number;
  readonly signal: AbortSignal | undefined;
  /** Virtual time the attempt's signal aborted the call, if it did. */
  abortedAt: number | undefined;
  /** Virtual time the stub answered (resolved or threw an HTTP error). */
  answeredAt: number | undefined;
  /** Virtual time the call's `timeout` ended it before it answered, if it did. */
  timedOutAt: number | undefined;
}

/** Picks the reply for a call. */
export type Handler = (call: StubCall, index: number) => Reply;

/** A stub transport on `scheduler`, and every call it saw. */
export function stubTransport(scheduler: SchedulerLike, handler: Handler) {
  const calls: StubCall[] = [];
  const transport: Transport = (upstream) => {
    const call: StubCall = {
      endpoint: upstream.common.endpoint,
      kind: upstream.kind,
      model: "body" in upstream ? String(upstream.body.model) : "",
      at: scheduler.now(),
      signal: upstream.common.signal,
      abortedAt: undefined,
      answeredAt: undefined,
      timedOutAt: undefined,
    };
    const index = calls.length;
    calls.push(call);
    // Recorded whenever it happens, also after the answer (a stream is aborted while it is read).
    const signal = upstream.common.signal;
    const noteAbort = () => {
      call.abortedAt ??= scheduler.now();
    };
    if (signal?.aborted) noteAbort();
    else signal?.addEventListener("abort", noteAbort, { once: true });
    return respond(scheduler, upstream, call, handler(call, index));
  };
  return {
    transport,
    calls,
    /** The calls one endpoint received. */
    on: (endpoint: string) => calls.filter((c) => c.endpoint === endpoint),
  };
}

/** A handler answering each endpoint's calls in turn from its list (the last reply repeats). */
export function perEndpoint(script: Record<string, readonly Reply[]>): Handler {
  const seen = new Map<string, number>();
  return (call) => {
    const list = script[call.endpoint];
    if (!list || list.length === 0) throw new Error(`no script for endpoint ${call.endpoint}`);
    const n = seen.get(call.endpoint) ?? 0;
    seen.set(call.endpoint, n + 1);
    return list[Math.min(n, list.length - 1)] as Reply;
  };
}

function respond(
  scheduler: SchedulerLike,
  upstream: UpstreamCall,
  call: StubCall,
  reply: Reply,
): Promise<UpstreamResult> {
  return new Promise<UpstreamResult>((resolve, reject) => {
    const signal = upstream.common.signal;
    let timer: Subscription | undefined;
    let done = false;
    let timeout: Subscription | undefined;
    const onAbort = () => {
      if (done) return;
      done = true;
      timer?.unsubscribe();
      timeout?.unsubscribe();
      reject(new APIUserAbortError());
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    // The SDK's `timeout` runs until the response headers, then it is cleared.
    timeout = scheduler.schedule(() => {
      if (done) return;
      done = true;
      timer?.unsubscribe();
      signal?.removeEventListener("abort", onAbort);
      call.timedOutAt = scheduler.now();
      reject(new APIConnectionTimeoutError());
    }, upstream.common.timeout);
    const answer = (r: Immediate) => {
      if (done) return;
      done = true;
      timeout?.unsubscribe();
      signal?.removeEventListener("abort", onAbort);
      call.answeredAt = scheduler.now();
      switch (r.kind) {
        case "ok":
          if (upstream.kind === "embeddings") throw new TypeError("the stub answers chat calls only");
          if (upstream.kind === "stream") {
            resolve({
              kind: "stream",
              data: sdkLikeStream([...STREAM_START], signal, true),
              headers: undefined,
            });
          } else resolve({ kind: "chat", data: COMPLETION, headers: undefined });
          return;
        case "error":
          reject(sdkError(r.status, r.headers));
          return;
        case "stream":
          resolve({ kind: "stream", data: sdkLikeStream(r.chunks, signal, r.end), headers: undefined });
          return;
      }
    };
    switch (reply.kind) {
      case "hang":
        return;
      case "held":
        reply.bind(answer);
        return;
      default:
        if (reply.afterMs > 0) timer = scheduler.schedule(() => answer(reply), reply.afterMs);
        else answer(reply);
    }
  });
}

/**
 * A stream shaped like the SDK's `Stream`: the request's signal aborts its controller (the SDK links
 * them), an abort makes the pending body read fail with an `AbortError`, which the SDK's iterator
 * swallows: the iteration just ends. Breaking out of the loop aborts the controller.
 */
function sdkLikeStream(
  chunks: readonly ChatCompletionChunk[],
  signal: AbortSignal | undefined,
  end: boolean,
): ChunkStream {
  const controller = new AbortController();
  const forward = () => controller.abort();
  if (signal?.aborted) controller.abort();
  else signal?.addEventListener("abort", forward, { once: true });
  const bodyRead = () =>
    new Promise<never>((_, reject) => {
      const fail = () => reject(new DOMException("This operation was aborted", "AbortError"));
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener("abort", fail, { once: true });
    });
  async function* iterate(): AsyncGenerator<ChatCompletionChunk> {
    let done = false;
    try {
      for (const c of chunks) {
        if (controller.signal.aborted) await bodyRead();
        yield c;
      }
      if (!end) await bodyRead();
      // A stream that ends on its own ends as the services end one: with a finish_reason.
      if (!chunks.some((c) => c.choices.some((choice) => choice.finish_reason))) yield STREAM_FINISH;
      done = true;
    } catch (error) {
      if ((error as { name?: unknown }).name === "AbortError") return;
      throw error;
    } finally {
      if (!done) controller.abort();
    }
  }
  let consumed = false;
  return {
    controller,
    [Symbol.asyncIterator]() {
      if (consumed) throw new Error("Cannot iterate over a consumed stream");
      consumed = true;
      return iterate();
    },
  };
}
