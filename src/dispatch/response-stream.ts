import type { CompletionUsage } from "openai/resources/completions";
import type { Response as ResponseObject, ResponseStreamEvent } from "openai/resources/responses/responses";
import { responsesStreamEnd, responsesUsage } from "../operations/responses.js";
import { RoutedStream, type RoutedStreamParts, type StreamReader } from "./routed-stream.js";

/**
 * A streamed Responses API call: the SDK's own `Stream<ResponseStreamEvent>` (a subclass), with the
 * router's guarantees — it holds its lane's slot until it ends, failed over until the first output
 * delta, and its loop throws `STREAM_INTERRUPTED` when the body ends before the service's final event
 * (`response.completed` / `response.incomplete`), or with `response.failed`.
 * @example
 * const stream = await router.responses.create({ model: "gpt-4o", input: "Hi", stream: true });
 * for await (const event of stream) if (event.type === "response.output_text.delta") process.stdout.write(event.delta);
 */
export class ResponseEventStream extends RoutedStream<ResponseStreamEvent> {
  /** @internal built by the router once the first output delta arrived */
  constructor(
    parts: Omit<RoutedStreamParts<ResponseStreamEvent>, "reader"> & { reader: ResponseEventReader },
  ) {
    super(parts);
  }
}

/** Reads the final event: the response as stored, its usage, and whether the service finished it. */
export class ResponseEventReader implements StreamReader<ResponseStreamEvent> {
  usage: CompletionUsage | undefined;
  complete = false;
  /** The response as the final event carries it (its id is what later calls refer to). */
  response: ResponseObject | undefined;

  see(event: ResponseStreamEvent): ResponseStreamEvent {
    const end = responsesStreamEnd(event);
    if (end !== undefined && "response" in event) {
      this.response = event.response;
      this.usage = responsesUsage(event.response);
    }
    if (end === "completed") this.complete = true;
    return event;
  }
}
