import type { ResponseItemList } from "openai/resources/responses/input-items";
import type {
  ResponseCreateParamsBase,
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
  Response as ResponseObject,
} from "openai/resources/responses/responses";
import type { ResponseEventStream } from "../dispatch/response-stream.js";
import type { RouterPromise } from "../router-promise.js";
import type { RouterCallOptions } from "../types.js";
import type { StoredTarget } from "./stored.js";

/**
 * The SDK-shaped Responses API of the router (`router.responses`). `create` is routed like chat (queue,
 * budgets, failover until the first output delta); a request that continues a stored response
 * (`previous_response_id`, `conversation`) and every call on a stored response go to the endpoint that
 * holds it, waiting for it when it is busy or cooling, never elsewhere (`AFFINITY_UNAVAILABLE` when it is
 * gone). Ownership is learned from the responses the router created, or found by asking the endpoints.
 * @example
 * const first = await router.responses.create({ model: "gpt-4o", input: "Hi" });
 * const next = await router.responses.create({ model: "gpt-4o", input: "And then?", previous_response_id: first.id });
 */
export interface RouterResponses {
  create(body: ResponseCreateParamsNonStreaming, options?: RouterCallOptions): RouterPromise<ResponseObject>;
  create(
    body: ResponseCreateParamsStreaming,
    options?: RouterCallOptions,
  ): RouterPromise<ResponseEventStream>;
  create(
    body: ResponseCreateParamsBase,
    options?: RouterCallOptions,
  ): RouterPromise<ResponseObject | ResponseEventStream>;
  /** A stored response, from the endpoint that holds it. */
  retrieve(
    id: string,
    query?: { include?: readonly string[] },
    options?: RouterCallOptions,
  ): RouterPromise<ResponseObject>;
  /** Deletes a stored response on the endpoint that holds it; resolves to the service's deletion record. */
  delete(id: string, options?: RouterCallOptions): RouterPromise<ResponseDeleted>;
  /** Cancels a background response on the endpoint that runs it. */
  cancel(id: string, options?: RouterCallOptions): RouterPromise<ResponseObject>;
  readonly inputItems: {
    /**
     * The input items of a stored response: one page as the service sends it (`data`, `has_more`,
     * `first_id`, `last_id`); pass `after` for the next. (The SDK's returns a page iterator instead.)
     */
    list(
      id: string,
      query?: { after?: string; limit?: number; order?: "asc" | "desc"; include?: readonly string[] },
      options?: RouterCallOptions,
    ): RouterPromise<ResponseItemList>;
  };
}

/** What the services answer to a delete (the SDK's own `delete` drops it and resolves to nothing). */
export interface ResponseDeleted {
  readonly id: string;
  readonly object: "response.deleted" | "response";
  readonly deleted: boolean;
}

/** What the facade needs of the router. */
export interface ResponsesPort {
  call(
    op:
      | "responses"
      | "responses.retrieve"
      | "responses.delete"
      | "responses.cancel"
      | "responses.input_items",
    body: ResponseCreateParamsBase | { model: string },
    options: RouterCallOptions | undefined,
    target?: StoredTarget,
  ): RouterPromise<unknown>;
  stream(body: ResponseCreateParamsStreaming, options: RouterCallOptions | undefined): RouterPromise<unknown>;
}

export function createResponsesApi(port: ResponsesPort): RouterResponses {
  const stored = (
    op: "responses.retrieve" | "responses.delete" | "responses.cancel" | "responses.input_items",
    id: string,
    query: Readonly<Record<string, unknown>> | undefined,
    options: RouterCallOptions | undefined,
  ) => port.call(op, { model: "" }, options, { id, query });
  return {
    create: ((body: ResponseCreateParamsBase, options?: RouterCallOptions) =>
      body?.stream === true
        ? port.stream(body as ResponseCreateParamsStreaming, options)
        : port.call("responses", body, options)) as RouterResponses["create"],
    retrieve: (id, query, options) =>
      stored("responses.retrieve", id, query, options) as RouterPromise<ResponseObject>,
    delete: (id, options) =>
      stored("responses.delete", id, undefined, options) as RouterPromise<ResponseDeleted>,
    cancel: (id, options) =>
      stored("responses.cancel", id, undefined, options) as RouterPromise<ResponseObject>,
    inputItems: {
      list: (id, query, options) =>
        stored("responses.input_items", id, query, options) as RouterPromise<ResponseItemList>,
    },
  };
}
