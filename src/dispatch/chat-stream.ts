import { Stream } from "openai/core/streaming";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import type { RouterError } from "../errors.js";

/** How a stream ended, reported once to the router. */
export type StreamEnd =
  | { readonly kind: "done"; readonly usage: CompletionUsage | undefined }
  | {
      readonly kind: "error";
      /** What the upstream threw. */
      readonly error: unknown;
      /** What the caller's loop got (the same error the outcome reports). */
      readonly surfaced: unknown;
      readonly usage: CompletionUsage | undefined;
    }
  | { readonly kind: "stopped"; readonly usage: CompletionUsage | undefined };

/** What the router hands a {@link ChatStream} once the first content chunk arrived. */
export interface ChatStreamParts {
  /** Chunks read before the first content (role, filter results, the first content chunk). */
  readonly buffered: ChatCompletionChunk[];
  readonly upstream: AsyncIterator<ChatCompletionChunk>;
  /** The SDK stream's controller. */
  readonly controller: AbortController;
  /**
   * Why the router stopped the stream, if it did (its deadline): the caller's loop throws it, so a cut
   * stream never looks like a finished one.
   */
  readonly stopReason: () => RouterError | undefined;
  /** The caller asked for the usage chunk (else the router's own request for it is hidden). */
  readonly includeUsage: boolean;
  readonly onEnd: (end: StreamEnd) => void;
  readonly wrapError: (error: unknown, received: number) => unknown;
}

/**
 * A streamed chat completion: the SDK's own `Stream<ChatCompletionChunk>` (a subclass), so it goes
 * wherever one is expected, with `tee()`, `toReadableStream()` and `controller`. Iterate it once with
 * `for await`; `controller.abort()` or breaking out of the loop stops it. The lane's slot is held until
 * the stream ends, errors, or the consumer stops: busy and latency figures stay honest for streams.
 * An abort also ends a stream nobody is reading, so an abandoned stream frees its slot at its deadline.
 * @example
 * const stream = await router.chat.completions.create({ model, messages, stream: true });
 * for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
 */
export class ChatStream extends Stream<ChatCompletionChunk> {
  private consumed = false;
  private ended = false;
  /** Waiting on the upstream: an abort then ends the stream through that read. */
  private reading = false;
  private usage: CompletionUsage | undefined;
  private delivered = 0;
  private readonly buffered: ChatCompletionChunk[];
  private readonly upstream: AsyncIterator<ChatCompletionChunk>;
  private readonly stopReason: () => RouterError | undefined;
  private readonly includeUsage: boolean;
  private readonly onEnd: (end: StreamEnd) => void;
  private readonly wrapError: (error: unknown, received: number) => unknown;

  /** @internal built by the router once the first content chunk arrived */
  constructor(parts: ChatStreamParts) {
    // The SDK's tee() reads through the iterator given here: the same one-shot iteration as for-await.
    const self: { stream?: ChatStream } = {};
    super(() => (self.stream as ChatStream)[Symbol.asyncIterator](), parts.controller);
    self.stream = this;
    this.buffered = parts.buffered;
    this.upstream = parts.upstream;
    this.stopReason = parts.stopReason;
    this.includeUsage = parts.includeUsage;
    this.onEnd = parts.onEnd;
    this.wrapError = parts.wrapError;
    this.controller.signal.addEventListener("abort", () => this.abortedWhileIdle(), { once: true });
  }

  /** Stops the stream (the same as `controller.abort()`). */
  abort(): void {
    this.controller.abort();
  }

  override async *[Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    if (this.consumed) {
      throw new Error(
        "Cannot iterate over a consumed stream, use `.tee()` to split it or call the router again.",
      );
    }
    this.consumed = true;
    let finished = false;
    try {
      for (const chunk of this.buffered.splice(0)) {
        if (this.ended) break;
        const out = this.filter(chunk);
        if (out) yield out;
      }
      for (;;) {
        if (this.ended) {
          // Stopped while the consumer was elsewhere: say why, once it comes back.
          finished = true;
          const reason = this.stopReason();
          if (reason) throw reason;
          return;
        }
        let result: IteratorResult<ChatCompletionChunk>;
        this.reading = true;
        try {
          result = await this.upstream.next();
        } catch (error) {
          finished = true;
          // The SDK aborts its own controller when a stream errors, so only an abort *error* means "stopped".
          if (isAbortError(error)) {
            this.stopped();
            return;
          }
          const surfaced = this.wrapError(error, this.delivered);
          this.end({ kind: "error", error, surfaced, usage: this.usage });
          throw surfaced;
        } finally {
          this.reading = false;
        }
        if (result.done) break;
        const out = this.filter(result.value);
        if (out) yield out;
      }
      finished = true;
      // The SDK ends an aborted stream quietly; an abort is a stop, not a completion.
      if (this.controller.signal.aborted) this.stopped();
      else this.end({ kind: "done", usage: this.usage });
    } finally {
      if (!finished) {
        // The consumer stopped early (break/return): stop the upstream request too.
        this.controller.abort();
        void this.upstream.return?.().catch(() => undefined);
        this.end({ kind: "stopped", usage: this.usage });
      }
    }
  }

  /** Ends the stream without iterating it (frees the slot). */
  async cancel(): Promise<void> {
    if (this.ended) return;
    this.controller.abort();
    await this.upstream.return?.().catch(() => undefined);
    this.end({ kind: "stopped", usage: this.usage });
  }

  /** How a stop ends the stream: the router's reason as an error, else a plain stop. */
  private stopEnd(): StreamEnd {
    const reason = this.stopReason();
    return reason
      ? { kind: "error", error: reason, surfaced: reason, usage: this.usage }
      : { kind: "stopped", usage: this.usage };
  }

  /** The stream was aborted: by the caller (a stop), or by the router, whose reason the caller gets. */
  private stopped(): void {
    const end = this.stopEnd();
    this.end(end);
    if (end.kind === "error") throw end.surfaced;
  }

  /** Aborted while no read is pending (never iterated, or the consumer paused): end it now. */
  private abortedWhileIdle(): void {
    if (this.ended || this.reading) return;
    void this.upstream.return?.().catch(() => undefined);
    this.end(this.stopEnd());
  }

  private end(end: StreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(end);
  }

  /** Records usage; hides the usage chunk the router asked for when the caller did not. */
  private filter(chunk: ChatCompletionChunk): ChatCompletionChunk | undefined {
    if (chunk.usage) this.usage = chunk.usage;
    this.delivered += 1;
    if (this.includeUsage) return chunk;
    if (chunk.usage && chunk.choices.length === 0) return undefined;
    if ("usage" in chunk) {
      const { usage: _usage, ...rest } = chunk;
      return rest;
    }
    return chunk;
  }
}

/** True when a chunk carries something the caller sees as output (content, a tool call, a finish). */
export function hasOutput(chunk: ChatCompletionChunk): boolean {
  for (const choice of chunk.choices) {
    if (choice.finish_reason) return true;
    const delta = choice.delta;
    if (delta?.content || delta?.tool_calls?.length || delta?.refusal) return true;
  }
  return false;
}

function isAbortError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === "AbortError" || name === "APIUserAbortError";
}
