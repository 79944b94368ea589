import { Stream } from "openai/core/streaming";
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import { ChatStream, RouterError, RouterPromise } from "../src/index.js";
import { chat, type Rig, rig } from "./helpers/setup.js";

const FLEET = {
  seed: 3,
  endpoints: [
    {
      name: "oai",
      type: "openai" as const,
      models: ["gpt-4o", "text-embedding-3-small"],
      limits: { rpm: 600, tpm: 100_000 },
    },
  ],
};

let current: Rig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** Reads a whole stream of chunks. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  return text;
}

describe("the promise the SDK-shaped API returns", () => {
  // Breaks if create() returns a plain Promise, or if withResponse() lost the answering attempt's
  // headers (the sim sends its own x-request-id and the quota left).
  it("has withResponse(): the data, the answering attempt's headers and its request id", async () => {
    current = await rig(FLEET);
    const promise = current.router.chat.completions.create(chat("hello"));
    expect(promise).toBeInstanceOf(RouterPromise);
    const { data, response, request_id } = await promise.withResponse();
    expect(data.object).toBe("chat.completion");
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(Number(response.headers.get("x-ratelimit-remaining-requests"))).toBeLessThan(600);
    expect((await response.json()) as ChatCompletion).toEqual(JSON.parse(JSON.stringify(data)));
    // then() keeps working and returns plain promises.
    expect(promise.then((c) => c.id)).not.toBeInstanceOf(RouterPromise);
    expect(await promise.then((c) => c.id)).toBe(data.id);
  });

  // Breaks if asResponse() gives a body other than the JSON the router read, or embeddings lack it.
  it("has asResponse() for plain calls and embeddings", async () => {
    current = await rig(FLEET);
    const response = await current.router.embeddings
      .create({ model: "text-embedding-3-small", input: ["a", "b"] })
      .asResponse();
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as { data: unknown[] };
    expect(body.data).toHaveLength(2);
  });

  // Breaks if a helper's rejection differs from the call's, or the call's own promise is then
  // reported as an unhandled rejection (vitest fails the run on one).
  it("rejects the helpers with the call's RouterError", async () => {
    current = await rig(FLEET);
    const error = await current.router.chat.completions
      .create(chat("x", 16, "gpt-5"))
      .withResponse()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouterError);
    expect((error as RouterError).code).toBe("NO_ENDPOINT_FOR_MODEL");
    await expect(current.router.chat.completions.create(chat("x", 16, "gpt-5")).asResponse()).rejects.toThrow(
      /gpt-5/,
    );
  });

  // Breaks if a stream's asResponse() is not server-sent events the SDK can parse back.
  it("gives a stream's chunks as server-sent events from asResponse()", async () => {
    current = await rig(FLEET);
    const body = { ...chat("stream me", 24), stream: true as const };
    const expected = await collect(await current.router.chat.completions.create(body));
    const response = await current.router.chat.completions.create(body).asResponse();
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const parsed = Stream.fromSSEResponse<ChatCompletionChunk>(response, new AbortController());
    expect(await collect(parsed)).toBe(expected);
    expect(current.router.snapshot().totals.inflight).toBe(0);
  });
});

describe("a returned stream", () => {
  // Breaks if ChatStream is not the SDK's Stream (a function typed for the SDK's Stream would refuse it).
  it("is the SDK's Stream, with controller, tee() and toReadableStream()", async () => {
    current = await rig(FLEET);
    const body = { ...chat("tee me", 24), stream: true as const };
    const reference = await collect(await current.router.chat.completions.create(body));

    const stream = await current.router.chat.completions.create(body);
    expect(stream).toBeInstanceOf(ChatStream);
    expect(stream).toBeInstanceOf(Stream);
    expect(stream.controller).toBeInstanceOf(AbortController);
    const [left, right] = stream.tee();
    expect(await Promise.all([collect(left), collect(right)])).toEqual([reference, reference]);

    const again = await current.router.chat.completions.create(body);
    const lines = (await new Response(again.toReadableStream()).text()).trim().split("\n");
    const chunks = lines.map((l) => JSON.parse(l) as ChatCompletionChunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(reference);
    // Every stream ended: no slot is held.
    expect(current.router.snapshot().totals.inflight).toBe(0);
  });

  // Breaks if a stream type-checks and runs as `Stream<ChatCompletionChunk>` only by accident.
  it("goes where the SDK's Stream is expected", async () => {
    current = await rig(FLEET);
    const takesSdkStream = (s: Stream<ChatCompletionChunk>) => collect(s);
    const stream = await current.router.chat.completions.create({ ...chat("typed", 8), stream: true });
    expect((await takesSdkStream(stream)).length).toBeGreaterThan(0);
  });

  // Breaks if a `stream: boolean` variable does not reach the right path at runtime.
  it("follows a boolean stream flag", async () => {
    current = await rig(FLEET);
    for (const stream of [true, false]) {
      const result = await current.router.chat.completions.create({ ...chat("either", 8), stream });
      if (result instanceof Stream) {
        expect(stream).toBe(true);
        await collect(result);
      } else expect(result.object).toBe("chat.completion");
    }
  });
});
