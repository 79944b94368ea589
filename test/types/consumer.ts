/**
 * A consumer of the package, compiled by `tsc` (never run) in test/types/types.test.ts against the
 * sources and in test/package/package.test.ts against the packed package (ESM, CJS, node10). Each
 * `@ts-expect-error` line must be an error: tsc fails if one compiles.
 */
import type { Stream } from "openai/core/streaming";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
} from "openai/resources/chat/completions";
import type { CreateEmbeddingResponse } from "openai/resources/embeddings";
import {
  type AllEndpointsFailedError,
  type ChatStream,
  ConfigError,
  createRouter,
  type Router,
  RouterError,
  type RouterPromise,
} from "openai-router";
import { type Fleet, startFleet, toRouterEndpoints } from "openai-router/sim";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_proof?: T): void => undefined;

const messages = [{ role: "user" as const, content: "Hello" }];

export async function overloads(router: Router, params: ChatCompletionCreateParams): Promise<void> {
  // Plain call: the SDK's ChatCompletion, with the SDK's promise helpers.
  const plain = router.chat.completions.create({ model: "gpt-4o", messages });
  assertType<Equal<typeof plain, RouterPromise<ChatCompletion>>>();
  const { data, response, request_id } = await plain.withResponse();
  assertType<Equal<typeof data, ChatCompletion>>();
  const status: number = response.status;
  const id: string | null = request_id;
  const raw: Response = await router.chat.completions.create({ model: "gpt-4o", messages }).asResponse();
  void [status, id, raw];

  // Streaming: the SDK's Stream, with tee(), toReadableStream() and controller.
  const stream = await router.chat.completions.create({ model: "gpt-4o", messages, stream: true });
  assertType<Equal<typeof stream, ChatStream>>();
  const sdkStream: Stream<ChatCompletionChunk> = stream;
  const [left, right] = stream.tee();
  const readable: ReadableStream = right.toReadableStream();
  stream.controller.abort();
  void [sdkStream, left, readable];

  // A `stream: boolean` variable picks the SDK's third overload: either result.
  const flag: boolean = Math.random() > 0.5;
  const either = await router.chat.completions.create({ model: "gpt-4o", messages, stream: flag });
  assertType<Equal<typeof either, ChatStream | ChatCompletion>>();
  const fromParams = await router.chat.completions.create(params);
  assertType<Equal<typeof fromParams, ChatStream | ChatCompletion>>();

  const emb = router.embeddings.create({ model: "text-embedding-3-small", input: ["a"] });
  assertType<Equal<Awaited<typeof emb>, CreateEmbeddingResponse>>();

  // @ts-expect-error a plain call's result is no stream
  (await router.chat.completions.create({ model: "gpt-4o", messages })).tee();
  // @ts-expect-error a stream is no ChatCompletion
  (await router.chat.completions.create({ model: "gpt-4o", messages, stream: true })).choices;
}

export function errors(e: unknown): string {
  if (e instanceof RouterError) {
    // The code narrows the union: ALL_ENDPOINTS_FAILED is the error with `attempts`.
    if (e.code === "ALL_ENDPOINTS_FAILED") {
      assertType<Equal<typeof e, AllEndpointsFailedError>>();
      return e.attempts.map((a) => a.endpoint).join(",");
    }
    if (e.code === "CONFIG_INVALID") return e.issues.map((i) => i.path).join(",");
    if (e.code === "STREAM_INTERRUPTED") return `${e.endpoint}:${e.received}`;
    // @ts-expect-error only ALL_ENDPOINTS_FAILED has attempts
    void e.attempts;
    // @ts-expect-error no such code
    if (e.code === "NOT_A_CODE") return "";
    return e.code;
  }
  // The classes still work with instanceof.
  if (e instanceof ConfigError) return e.issues.length.toString();
  return "";
}

export async function onTheSim(): Promise<Fleet> {
  const fleet = await startFleet({
    seed: 1,
    endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"] }],
  });
  const router = createRouter({ endpoints: toRouterEndpoints(fleet) });
  await router.close();
  return fleet;
}
