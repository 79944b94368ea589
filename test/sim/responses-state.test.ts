import { countTokens } from "gpt-tokenizer";
import OpenAI, { AzureOpenAI } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { ResponseStore, type StoredResponse } from "../../src/sim/responses/store.js";
import { asAzure, FakeClock, openaiClient, rejection } from "./helpers.js";

let fleet: Fleet;
const clock = new FakeClock();

beforeAll(async () => {
  fleet = await startFleet({
    seed: 11,
    now: clock.now,
    endpoints: [
      { name: "a", type: "openai", models: ["gpt-4o"] },
      { name: "b", type: "openai", models: ["gpt-4o"] },
      { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
      // Background work takes ttft + tokens / speed on the sim's (fake) clock.
      { name: "slow", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 1_000, tokensPerSecond: 10 } },
    ],
  });
});
afterAll(() => fleet.close());

function azureV1(): AzureOpenAI {
  const a = asAzure(fleet.endpoint("east"));
  return new AzureOpenAI({
    baseURL: `${a.endpoint}/openai/v1`,
    apiKey: a.apiKey,
    apiVersion: "preview",
    maxRetries: 0,
  });
}

const notFound = (id: string) => ({
  status: 404,
  error: { message: `Response with id '${id}' not found.`, type: "invalid_request_error" },
});

describe("stored responses", () => {
  // Breaks if store (default true) does not keep the response, or retrieve answers another object.
  it("retrieve returns the stored response; store: false responses cannot be retrieved", async () => {
    const client = openaiClient(fleet.endpoint("a"));
    const res = await client.responses.create({ model: "gpt-4o", input: "keep me" });
    const got = await client.responses.retrieve(res.id);
    expect(got).toEqual(res);

    const ephemeral = await client.responses.create({ model: "gpt-4o", input: "forget me", store: false });
    expect(ephemeral).toMatchObject({ store: false });
    expect(await rejection(client.responses.retrieve(ephemeral.id))).toMatchObject(notFound(ephemeral.id));
    const continued = await rejection(
      client.responses.create({ model: "gpt-4o", input: "more", previous_response_id: ephemeral.id }),
    );
    expect(continued).toMatchObject({ status: 404, error: { code: "previous_response_not_found" } });
  });

  // Breaks if the response is kept on every endpoint instead of the one that created it.
  it("keeps a response on its endpoint only: another endpoint answers 404", async () => {
    const res = await openaiClient(fleet.endpoint("a")).responses.create({ model: "gpt-4o", input: "mine" });
    const other = openaiClient(fleet.endpoint("b"));
    expect(await rejection(other.responses.retrieve(res.id))).toMatchObject(notFound(res.id));
    expect(await rejection(other.responses.delete(res.id))).toMatchObject(notFound(res.id));
    expect(await rejection(azureV1().responses.retrieve(res.id))).toMatchObject(notFound(res.id));
  });

  // Breaks if delete does not answer the deletion object or does not forget the response.
  it("delete answers {id, object, deleted} and forgets the response", async () => {
    const o = fleet.endpoint("a");
    if (o.type !== "openai") throw new Error("unreachable");
    const client = openaiClient(o);
    const res = await client.responses.create({ model: "gpt-4o", input: "delete me" });
    const raw = await fetch(`${o.baseURL}/responses/${res.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${o.apiKey}` },
    });
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual({ id: res.id, object: "response", deleted: true });
    expect(await rejection(client.responses.retrieve(res.id))).toMatchObject(notFound(res.id));
    expect(await rejection(client.responses.delete(res.id))).toMatchObject(notFound(res.id));
  });

  // Breaks if input_items is not a list object with the paging fields, or paging skips/duplicates items.
  it("lists input items, newest first by default, with limit/after/order paging", async () => {
    const client = openaiClient(fleet.endpoint("a"));
    const res = await client.responses.create({
      model: "gpt-4o",
      input: [
        { role: "developer", content: "rule" },
        { role: "user", content: [{ type: "input_text", text: "one" }] },
        { role: "assistant", content: "two" },
        { role: "user", content: "three" },
      ],
    });
    const page = await client.responses.inputItems.list(res.id, { limit: 2 });
    expect(page.data.map((i) => (i.type === "message" ? i.role : i.type))).toEqual(["user", "assistant"]);
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const item of client.responses.inputItems.list(res.id, { limit: 1 })) {
      if (item.type !== "message") throw new Error(`unexpected ${item.type}`);
      const part = item.content[0]!;
      all.push("text" in part ? part.text : "");
    }
    expect(all).toEqual(["three", "two", "one", "rule"]);
    const asc = await client.responses.inputItems.list(res.id, { order: "asc" });
    expect(asc.has_more).toBe(false);
    expect(asc.data).toHaveLength(4);
    expect(asc.data[0]).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      type: "message",
      role: "developer",
      content: [{ type: "input_text", text: "rule" }],
    });
    const raw = await client.responses.inputItems.list(res.id, { order: "asc" }).asResponse();
    expect(await raw.json()).toMatchObject({
      object: "list",
      first_id: asc.data[0]!.id,
      last_id: asc.data[3]!.id,
      has_more: false,
    });
    expect(await rejection(client.responses.inputItems.list(res.id, { limit: 101 }))).toMatchObject({
      status: 400,
      error: { param: "limit" },
    });
  });
});

describe("stored responses on Azure's v1 paths", () => {
  // Breaks if retrieve/delete/cancel/input_items are not routed under /openai/v1/responses/{id}.
  it("retrieve, input_items, cancel, continue and delete through AzureOpenAI", async () => {
    const azure = azureV1();
    const res = await azure.responses.create({ model: "gpt4o-east", input: "azure state" });
    expect((await azure.responses.retrieve(res.id)).id).toBe(res.id);
    const items = await azure.responses.inputItems.list(res.id);
    expect(items.data).toHaveLength(1);
    expect(await rejection(azure.responses.cancel(res.id))).toMatchObject({ status: 400 });
    const next = await azure.responses.create({
      model: "gpt4o-east",
      input: "more",
      previous_response_id: res.id,
    });
    expect(next.previous_response_id).toBe(res.id);
    await azure.responses.delete(res.id);
    expect(await rejection(azure.responses.retrieve(res.id))).toMatchObject(notFound(res.id));
  });
});

describe("previous_response_id", () => {
  // Breaks if the earlier turn's input and output are not context tokens of the new request.
  it("continues a stored response on its endpoint, counting the earlier turn as input", async () => {
    const client = openaiClient(fleet.endpoint("a"));
    const first = await client.responses.create({ model: "gpt-4o", input: "Hi" });
    const next = await client.responses.create({
      model: "gpt-4o",
      input: "More",
      previous_response_id: first.id,
    });
    expect(next.previous_response_id).toBe(first.id);
    const earlier =
      3 +
      countTokens("user") +
      countTokens("Hi") +
      3 +
      countTokens("assistant") +
      countTokens(first.output_text);
    const now = 3 + countTokens("user") + countTokens("More");
    expect(next.usage?.input_tokens).toBe(earlier + now + 3);
    // input_items lists this request's input only.
    const items = await client.responses.inputItems.list(next.id);
    expect(items.data).toHaveLength(1);
    // Breaks if `input` is required when the earlier response supplies the conversation.
    const again = await client.responses.create({ model: "gpt-4o", previous_response_id: next.id });
    expect(again.status).toBe("completed");
    expect(again.usage?.input_tokens).toBeGreaterThan(next.usage?.input_tokens ?? 0);
  });

  // Breaks if an endpoint that never saw the response accepts it as previous_response_id.
  it("answers 404 previous_response_not_found on an endpoint that does not hold it (openai and Azure)", async () => {
    const first = await openaiClient(fleet.endpoint("a")).responses.create({ model: "gpt-4o", input: "Hi" });
    const expected = {
      status: 404,
      error: {
        message: `Previous response with id '${first.id}' not found.`,
        type: "invalid_request_error",
        param: "previous_response_id",
        code: "previous_response_not_found",
      },
    };
    const elsewhere = openaiClient(fleet.endpoint("b"));
    const e = await rejection(
      elsewhere.responses.create({ model: "gpt-4o", input: "x", previous_response_id: first.id }),
    );
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e).toMatchObject(expected);
    const stream = await rejection(
      elsewhere.responses.create({
        model: "gpt-4o",
        input: "x",
        previous_response_id: first.id,
        stream: true,
      }),
    );
    expect(stream).toMatchObject(expected);
    const azure = await rejection(
      azureV1().responses.create({ model: "gpt4o-east", input: "x", previous_response_id: first.id }),
    );
    expect(azure).toMatchObject(expected);
  });

  // Breaks if a function_call_output continuing a stored tool call is refused or answered with another call.
  it("continues a function call with its output and gets a text answer", async () => {
    const client = openaiClient(fleet.endpoint("a"));
    const tool = {
      type: "function" as const,
      name: "lookup",
      parameters: {
        type: "object",
        properties: { q: { type: "string" } },
        required: ["q"],
        additionalProperties: false,
      },
      strict: true,
    };
    const first = await client.responses.create({
      model: "gpt-4o",
      input: "find it",
      tools: [tool],
      tool_choice: "auto",
    });
    const forced =
      first.output[0]?.type === "function_call"
        ? first
        : await client.responses.create({
            model: "gpt-4o",
            input: "find it",
            tools: [tool],
            tool_choice: "required",
          });
    const call = forced.output[0]!;
    if (call.type !== "function_call") throw new Error("expected a function_call");
    const answer = await client.responses.create({
      model: "gpt-4o",
      previous_response_id: forced.id,
      tools: [tool],
      input: [{ type: "function_call_output", call_id: call.call_id, output: '{"found":true}' }],
    });
    expect(answer.output.map((o) => o.type)).toEqual(["message"]);
    expect(answer.output_text.length).toBeGreaterThan(0);
  });
});

describe("cancel", () => {
  // Breaks if a synchronous response can be cancelled (the service refuses it).
  it("refuses to cancel a response that was not created in background", async () => {
    const client = openaiClient(fleet.endpoint("a"));
    const res = await client.responses.create({ model: "gpt-4o", input: "sync" });
    expect(await rejection(client.responses.cancel(res.id))).toMatchObject({
      status: 400,
      error: { message: "Cannot cancel a synchronous response.", type: "invalid_request_error" },
    });
    expect(await rejection(client.responses.cancel("resp_missing"))).toMatchObject(notFound("resp_missing"));
  });

  // Breaks if background responses do not progress on the sim's clock, or cancel does not stop them.
  it("runs background responses on the sim's clock; cancel stops a running one, leaves a finished one", async () => {
    const client = openaiClient(fleet.endpoint("slow"));
    const running = await client.responses.create({ model: "gpt-4o", input: "bg one", background: true });
    expect(running).toMatchObject({ status: "queued", background: true, output: [], usage: null });
    expect((await client.responses.retrieve(running.id)).status).toBe("in_progress");
    const cancelled = await client.responses.cancel(running.id);
    expect(cancelled.status).toBe("cancelled");
    clock.advance(60_000);
    expect((await client.responses.retrieve(running.id)).status).toBe("cancelled");

    const finished = await client.responses.create({ model: "gpt-4o", input: "bg two", background: true });
    clock.advance(60_000);
    const done = await client.responses.retrieve(finished.id);
    expect(done.status).toBe("completed");
    expect(done.output_text.length).toBeGreaterThan(0);
    // The SDK adds output_text on retrieve only.
    const { output_text: _, ...stored } = done;
    expect(await client.responses.cancel(finished.id)).toEqual(stored);

    expect(
      await rejection(
        client.responses.create({ model: "gpt-4o", input: "x", background: true, store: false }),
      ),
    ).toMatchObject({ status: 400, error: { param: "background" } });
  });
});

describe("ResponseStore", () => {
  const entry = (n: number): StoredResponse => {
    const response = { id: `resp_${n}` };
    return {
      response,
      input: [],
      context: [],
      output: [],
      background: false,
      readyAt: 0,
      final: response,
      queued: response,
      cancelled: false,
    };
  };
  // Breaks if the store grows without bound or evicts the recently used one first.
  it("keeps at most its capacity, forgetting the least recently used", () => {
    const store = new ResponseStore(2);
    store.put("1", entry(1));
    store.put("2", entry(2));
    store.get("1");
    store.put("3", entry(3));
    expect(store.size).toBe(2);
    expect(store.get("2")).toBeUndefined();
    expect(store.get("1")).toBeDefined();
    expect(store.get("3")).toBeDefined();
  });
});
