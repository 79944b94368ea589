import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import { ResponseInvalidError, type RouterError } from "../errors.js";
import { chatStreamCompletion, isChatChunk, usageOf } from "../operations/chat-answer.js";
import { RoutedStream, type StreamEnd, type StreamReader } from "./routed-stream.js";

export type { StreamEnd } from "./routed-stream.js";

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
  /** The endpoint streaming it (named by what a chunk of the wrong shape is blamed on). */
  readonly endpoint?: string;
}

/**
 * A streamed chat completion: the SDK's own `Stream<ChatCompletionChunk>` (a subclass), so it goes
 * wherever one is expected, with `tee()`, `toReadableStream()` and `controller`. Iterate it once with
 * `for await`; `controller.abort()` or breaking out of the loop stops it. The lane's slot is held until
 * the stream ends, errors, or the consumer stops: busy and latency figures stay honest for streams.
 * An abort also ends a stream nobody is reading, so an abandoned stream frees its slot at its deadline.
 * A stream whose body ends before every choice's `finish_reason` was cut (so was one that sends a
 * chunk of the wrong shape or an error event): its loop throws `STREAM_INTERRUPTED` instead of ending
 * as if the answer were whole.
 * @example
 * const stream = await router.chat.completions.create({ model, messages, stream: true });
 * for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
 */
export class ChatStream extends RoutedStream<ChatCompletionChunk> {
  /** @internal built by the router once the first content chunk arrived */
  constructor(parts: ChatStreamParts) {
    super({ ...parts, reader: new ChatChunkReader(parts.includeUsage, parts.endpoint ?? "?") });
  }
}

/**
 * Records usage and the finish of every choice; hides the usage chunk the router asked for when the
 * caller did not. A chunk of the wrong shape (no `choices` array) is the endpoint breaking its stream.
 */
class ChatChunkReader implements StreamReader<ChatCompletionChunk> {
  usage: CompletionUsage | undefined;
  private readonly completion = chatStreamCompletion();

  constructor(
    private readonly includeUsage: boolean,
    private readonly endpoint: string,
  ) {}

  get complete(): boolean {
    return this.completion.complete;
  }

  see(chunk: ChatCompletionChunk): ChatCompletionChunk | undefined {
    if (!isChatChunk(chunk))
      throw new ResponseInvalidError(this.endpoint, "a stream chunk without a `choices` array of objects");
    const usage = usageOf(chunk.usage);
    if (usage) this.usage = usage;
    this.completion.observe(chunk);
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
    if (choice === null || typeof choice !== "object") continue;
    if (choice.finish_reason) return true;
    const delta = choice.delta;
    if (delta?.content || delta?.tool_calls?.length || delta?.refusal) return true;
  }
  return false;
}
