import { Stream } from "openai/core/streaming";
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

/**
 * What one API surface knows about its stream's items: the usage they report, what the caller sees
 * of them, and whether the service said the stream is complete. One per stream (it keeps state).
 */
export interface StreamReader<T> {
  /** Reads an item; returns what the caller sees of it (`undefined` hides it). */
  see(item: T): T | undefined;
  /** The usage reported so far (the final chunk or event carries it). */
  readonly usage: CompletionUsage | undefined;
  /**
   * True once the service said the answer is complete (a finish_reason, the final Responses event).
   * A stream whose body ends before that was cut: a truncated answer must not look like a whole one.
   */
  readonly complete: boolean;
}

/** What the router hands a {@link RoutedStream} once the first content arrived. */
export interface RoutedStreamParts<T> {
  /** Items read before the first content (role, filter results, the first content item). */
  readonly buffered: T[];
  readonly upstream: AsyncIterator<T>;
  /** The SDK stream's controller. */
  readonly controller: AbortController;
  /**
   * Why the router stopped the stream, if it did (its deadline): the caller's loop throws it, so a cut
   * stream never looks like a finished one.
   */
  readonly stopReason: () => RouterError | undefined;
  readonly reader: StreamReader<T>;
  readonly onEnd: (end: StreamEnd) => void;
  readonly wrapError: (error: unknown, received: number) => unknown;
}

/** The upstream body ended before the service said the answer was complete. */
export class IncompleteStreamError extends Error {
  readonly code = "stream_incomplete";
  constructor() {
    super("the stream ended before the service marked the answer complete");
    this.name = "IncompleteStreamError";
  }
}

/**
 * A stream the router routed: the SDK's own `Stream` (a subclass), so it goes wherever one is
 * expected, with `tee()`, `toReadableStream()` and `controller`. Iterate it once with `for await`;
 * `controller.abort()` or breaking out of the loop stops it. The lane's slot is held until the stream
 * ends, errors, or the consumer stops: busy and latency figures stay honest for streams. An abort also
 * ends a stream nobody is reading, so an abandoned stream frees its slot at its deadline.
 */
export class RoutedStream<T> extends Stream<T> {
  private consumed = false;
  private ended = false;
  /** Waiting on the upstream: an abort then ends the stream through that read. */
  private reading = false;
  private delivered = 0;
  private readonly buffered: T[];
  private readonly upstream: AsyncIterator<T>;
  private readonly stopReason: () => RouterError | undefined;
  /** @internal what reads the items: the usage, completeness, and (Responses) the stored response */
  readonly reader: StreamReader<T>;
  private readonly onEnd: (end: StreamEnd) => void;
  private readonly wrapError: (error: unknown, received: number) => unknown;

  /** @internal built by the router once the first content arrived */
  constructor(parts: RoutedStreamParts<T>) {
    // The SDK's tee() reads through the iterator given here: the same one-shot iteration as for-await.
    const self: { stream?: RoutedStream<T> } = {};
    super(() => (self.stream as RoutedStream<T>)[Symbol.asyncIterator](), parts.controller);
    self.stream = this;
    this.buffered = parts.buffered;
    this.upstream = parts.upstream;
    this.stopReason = parts.stopReason;
    this.reader = parts.reader;
    this.onEnd = parts.onEnd;
    this.wrapError = parts.wrapError;
    this.controller.signal.addEventListener("abort", () => this.abortedWhileIdle(), { once: true });
  }

  /** Stops the stream (the same as `controller.abort()`). */
  abort(): void {
    this.controller.abort();
  }

  override async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.consumed) {
      throw new Error(
        "Cannot iterate over a consumed stream, use `.tee()` to split it or call the router again.",
      );
    }
    this.consumed = true;
    let finished = false;
    try {
      for (const item of this.buffered.splice(0)) {
        if (this.ended) break;
        const out = this.seeOrFail(item);
        if (out !== undefined) yield out;
      }
      for (;;) {
        if (this.ended) {
          // Stopped while the consumer was elsewhere: say why, once it comes back.
          finished = true;
          const reason = this.stopReason();
          if (reason) throw reason;
          return;
        }
        let result: IteratorResult<T>;
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
          throw this.fail(error);
        } finally {
          this.reading = false;
        }
        if (result.done) break;
        const out = this.seeOrFail(result.value);
        if (out !== undefined) yield out;
      }
      finished = true;
      // The SDK ends an aborted stream quietly; an abort is a stop, not a completion.
      if (this.controller.signal.aborted) this.stopped();
      else if (!this.reader.complete) throw this.fail(new IncompleteStreamError());
      else this.end({ kind: "done", usage: this.reader.usage });
    } finally {
      if (!finished) {
        // The consumer stopped early (break/return): stop the upstream request too.
        this.controller.abort();
        void this.upstream.return?.().catch(() => undefined);
        this.end({ kind: "stopped", usage: this.reader.usage });
      }
    }
  }

  /** Ends the stream without iterating it (frees the slot). */
  async cancel(): Promise<void> {
    if (this.ended) return;
    this.controller.abort();
    await this.upstream.return?.().catch(() => undefined);
    this.end({ kind: "stopped", usage: this.reader.usage });
  }

  private see(item: T): T | undefined {
    this.delivered += 1;
    return this.reader.see(item);
  }

  /**
   * `see`, where an item the reader refuses (a chunk of the wrong shape) ends the stream as the
   * endpoint's failure: the loop throws STREAM_INTERRUPTED, never the reader's own TypeError.
   */
  private seeOrFail(item: T): T | undefined {
    try {
      return this.see(item);
    } catch (error) {
      // The iteration's `finally` then stops the upstream (the stream already ended as a failure).
      throw this.fail(error);
    }
  }

  /** Ends the stream with an upstream failure; returns what the caller's loop throws. */
  private fail(error: unknown): unknown {
    const surfaced = this.wrapError(error, this.delivered);
    this.end({ kind: "error", error, surfaced, usage: this.reader.usage });
    return surfaced;
  }

  /** How a stop ends the stream: the router's reason as an error, else a plain stop. */
  private stopEnd(): StreamEnd {
    const reason = this.stopReason();
    return reason
      ? { kind: "error", error: reason, surfaced: reason, usage: this.reader.usage }
      : { kind: "stopped", usage: this.reader.usage };
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
}

function isAbortError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === "AbortError" || name === "APIUserAbortError";
}
