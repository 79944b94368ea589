import type { OpenAI } from "openai";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources/embeddings";

/** One upstream call as the router makes it. */
export type UpstreamCall =
  | {
      readonly kind: "chat";
      readonly body: ChatCompletionCreateParamsNonStreaming;
      readonly common: CallCommon;
    }
  | { readonly kind: "embeddings"; readonly body: EmbeddingCreateParams; readonly common: CallCommon }
  | {
      readonly kind: "stream";
      readonly body: ChatCompletionCreateParamsStreaming;
      readonly common: CallCommon;
    };

/** What every upstream call carries. */
export interface CallCommon {
  /** The endpoint's name. */
  readonly endpoint: string;
  /** The endpoint's SDK client (`maxRetries: 0`). */
  readonly client: OpenAI;
  readonly signal: AbortSignal | undefined;
  /** @unit milliseconds */
  readonly timeout: number;
}

/** A streamed body: chunks plus the controller that stops it (the SDK's `Stream` has both). */
export type ChunkStream = AsyncIterable<ChatCompletionChunk> & { readonly controller: AbortController };

/** What an upstream call returns: the SDK's data and the response headers (for calibration). */
export type UpstreamResult =
  | { readonly kind: "chat"; readonly data: ChatCompletion; readonly headers: Headers | undefined }
  | {
      readonly kind: "embeddings";
      readonly data: CreateEmbeddingResponse;
      readonly headers: Headers | undefined;
    }
  | { readonly kind: "stream"; readonly data: ChunkStream; readonly headers: Headers | undefined };

/**
 * Makes the HTTP call for an attempt. The default uses the endpoint's SDK client; tests and benchmarks
 * may put a stub here to measure or exercise the router without HTTP.
 */
export type Transport = (call: UpstreamCall) => Promise<UpstreamResult>;

/** The default transport: the official SDK, with `.withResponse()` for the rate-limit headers. */
export const sdkTransport: Transport = async (call) => {
  const { client, signal, timeout } = call.common;
  const options = { signal, timeout };
  switch (call.kind) {
    case "chat": {
      const { data, response } = await client.chat.completions.create(call.body, options).withResponse();
      return { kind: "chat", data, headers: response.headers };
    }
    case "embeddings": {
      const { data, response } = await client.embeddings.create(call.body, options).withResponse();
      return { kind: "embeddings", data, headers: response.headers };
    }
    case "stream": {
      const { data, response } = await client.chat.completions.create(call.body, options).withResponse();
      return { kind: "stream", data, headers: response.headers };
    }
  }
};
