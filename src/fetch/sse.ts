import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { ChatStream } from "../dispatch/chat-stream.js";
import type { OpenAIErrorBody } from "./error-response.js";

const encoder = new TextEncoder();
const DONE = encoder.encode("data: [DONE]\n\n");

/**
 * A routed chat stream as the SSE bytes openai.com sends: one `data:` event per chunk, then `[DONE]`.
 * Pull-based, so a slow reader slows the upstream read (backpressure); cancelling the body stops the
 * stream and frees its lane. A stream that breaks after content ends with an `error` event, which the
 * SDK (and every OpenAI client) raises as an API error instead of presenting a truncated answer.
 */
export function sseBody(
  stream: ChatStream,
  onError: (error: unknown) => OpenAIErrorBody,
): ReadableStream<Uint8Array> {
  const iterator: AsyncIterator<ChatCompletionChunk> = stream[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) {
            controller.enqueue(DONE);
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(next.value)}\n\n`));
        } catch (error) {
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(onError(error))}\n\n`));
          controller.close();
        }
      },
      async cancel() {
        stream.controller.abort();
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
