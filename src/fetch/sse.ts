import type { OpenAIErrorBody } from "./error-response.js";

const encoder = new TextEncoder();
const DONE = encoder.encode("data: [DONE]\n\n");

/**
 * A routed stream as the SSE bytes openai.com sends: for chat, one `data:` event per chunk, then
 * `[DONE]`; for the Responses API, `event: <type>` + `data:` per event and no `[DONE]` (the final
 * event ends it).
 * Pull-based, so a slow reader slows the upstream read (backpressure); cancelling the body stops the
 * stream and frees its lane. A stream that breaks after content ends with an `error` event, which the
 * SDK (and every OpenAI client) raises as an API error instead of presenting a truncated answer; without
 * `onError`, the body itself errors with the stream's error.
 */
export function sseBody(
  stream: AsyncIterable<unknown> & { readonly controller: AbortController },
  format: "chat" | "events",
  onError?: (error: unknown) => OpenAIErrorBody,
): ReadableStream<Uint8Array> {
  const iterator = stream[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) {
            if (format === "chat") controller.enqueue(DONE);
            controller.close();
            return;
          }
          const data = JSON.stringify(next.value);
          const type = format === "events" ? (next.value as { type?: unknown }).type : undefined;
          controller.enqueue(
            encoder.encode(
              typeof type === "string" ? `event: ${type}\ndata: ${data}\n\n` : `data: ${data}\n\n`,
            ),
          );
        } catch (error) {
          // Without an error body to send, the body's reader gets the stream's own error.
          if (!onError) {
            controller.error(error);
            return;
          }
          const event = format === "events" ? "event: error\n" : "";
          controller.enqueue(encoder.encode(`${event}data: ${JSON.stringify(onError(error))}\n\n`));
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
