import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import type { ResponseEventReader } from "../operations/responses.js";
import { RoutedStream, type RoutedStreamParts } from "./routed-stream.js";

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
