import { APIError, type OpenAI } from "openai";
import type { APIPromise } from "openai/core/api-promise";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources/embeddings";
import type {
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
  Response as ResponseObject,
  ResponseStreamEvent,
} from "openai/resources/responses/responses";
import { ResponseInvalidError } from "../errors.js";
import { isNetworkError } from "../resilience/classify.js";

/** Calls on a stored response: they go to the endpoint that holds it. */
export type StoredResponseOp = "retrieve" | "delete" | "cancel" | "input_items" | "conversation";

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
    }
  | {
      readonly kind: "responses";
      readonly body: ResponseCreateParamsNonStreaming;
      readonly common: CallCommon;
    }
  | {
      readonly kind: "responses-stream";
      readonly body: ResponseCreateParamsStreaming;
      readonly common: CallCommon;
    }
  | {
      readonly kind: "stored-response";
      readonly op: StoredResponseOp;
      /** The response's id (`resp_…`). */
      readonly id: string;
      /** Query parameters (`include`, paging of input items). */
      readonly query: Readonly<Record<string, unknown>> | undefined;
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

/** A streamed Responses body: typed events plus the controller that stops it. */
export type EventStream = AsyncIterable<ResponseStreamEvent> & { readonly controller: AbortController };

/** What an upstream call returns: the SDK's data and the response headers (for calibration). */
export type UpstreamResult =
  | { readonly kind: "chat"; readonly data: ChatCompletion; readonly headers: Headers | undefined }
  | {
      readonly kind: "embeddings";
      readonly data: CreateEmbeddingResponse;
      readonly headers: Headers | undefined;
    }
  | { readonly kind: "stream"; readonly data: ChunkStream; readonly headers: Headers | undefined }
  | { readonly kind: "responses"; readonly data: ResponseObject; readonly headers: Headers | undefined }
  | { readonly kind: "responses-stream"; readonly data: EventStream; readonly headers: Headers | undefined }
  | {
      readonly kind: "stored-response";
      /** The service's JSON: the response, the deletion record, or the input items page. */
      readonly data: unknown;
      readonly headers: Headers | undefined;
    };

/**
 * Makes the HTTP call for an attempt. The default uses the endpoint's SDK client; tests and benchmarks
 * may put a stub here to measure or exercise the router without HTTP.
 */
export type Transport = (call: UpstreamCall) => Promise<UpstreamResult>;

/**
 * An SDK call in its two phases: the response (status and headers: what the SDK throws until then is
 * its own typed error), then the body. What reading or decoding the body throws that is not an abort
 * or a cut connection (a SyntaxError on a body that is not JSON, a TypeError from the SDK decoding
 * JSON of the wrong shape) is the endpoint answering something invalid: a `ResponseInvalidError`,
 * retried elsewhere, never a bug in the request.
 */
async function answer<T>(endpoint: string, call: APIPromise<T>): Promise<{ data: T; response: Response }> {
  const response = await call.asResponse();
  try {
    return { data: await call, response };
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (error instanceof APIError || name === "AbortError" || isNetworkError(error)) throw error;
    throw new ResponseInvalidError(endpoint, `its body could not be read (${String(name ?? typeof error)})`, {
      status: response.status,
      headers: response.headers,
      cause: error,
    });
  }
}

/** The default transport: the official SDK, its data and the response headers (for calibration). */
export const sdkTransport: Transport = async (call) => {
  const { client, signal, timeout } = call.common;
  const options = { signal, timeout };
  switch (call.kind) {
    case "chat": {
      const { data, response } = await answer(
        call.common.endpoint,
        client.chat.completions.create(call.body, options),
      );
      return { kind: "chat", data, headers: response.headers };
    }
    case "embeddings": {
      const { data, response } = await answer(
        call.common.endpoint,
        client.embeddings.create(call.body, options),
      );
      return { kind: "embeddings", data, headers: response.headers };
    }
    case "stream": {
      const { data, response } = await answer(
        call.common.endpoint,
        client.chat.completions.create(call.body, options),
      );
      return { kind: "stream", data, headers: response.headers };
    }
    case "responses": {
      const { data, response } = await answer(
        call.common.endpoint,
        client.responses.create(call.body, options),
      );
      return { kind: "responses", data, headers: response.headers };
    }
    case "responses-stream": {
      const { data, response } = await answer(
        call.common.endpoint,
        client.responses.create(call.body, options),
      );
      return { kind: "responses-stream", data, headers: response.headers };
    }
    case "stored-response": {
      // The generic verbs return the service's JSON as it is (input items as the list object, not a
      // page iterator), which is what the router hands back.
      const path =
        call.op === "conversation"
          ? `/conversations/${encodeURIComponent(call.id)}`
          : `/responses/${encodeURIComponent(call.id)}`;
      const query = call.query as Record<string, unknown> | undefined;
      const request =
        call.op === "retrieve" || call.op === "conversation"
          ? client.get<unknown>(path, { ...options, query })
          : call.op === "delete"
            ? client.delete<unknown>(path, options)
            : call.op === "cancel"
              ? client.post<unknown>(`${path}/cancel`, options)
              : client.get<unknown>(`${path}/input_items`, { ...options, query });
      const { data, response } = await answer(call.common.endpoint, request);
      return { kind: "stored-response", data, headers: response.headers };
    }
  }
};
