import { Ajv2020 } from "ajv/dist/2020.js";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { mulberry32 } from "../../src/sim/prng.js";
import { type ResponsePlan, renderResponseEvents } from "../../src/sim/responses/render.js";
import { openaiClient, rejection } from "./helpers.js";

const ajv = new Ajv2020({ strict: false });

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ seed: 8, endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"] }] });
});
afterAll(() => fleet.close());

const weather = {
  type: "function" as const,
  name: "get_weather",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
    required: ["city", "unit"],
    additionalProperties: false,
  },
  strict: true,
};

async function events(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const out: ResponseStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe("streamed responses", () => {
  // Breaks if the event order, the typed `event:` lines or the sequence numbers differ from the service's.
  it("streams typed events in the service's order with increasing sequence numbers", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const all = await events(
      await client.responses.create({ model: "gpt-4o", input: "Stream it", stream: true }),
    );
    const types = all.map((e) => e.type);
    const deltas = types.filter((t) => t === "response.output_text.delta").length;
    expect(deltas).toBeGreaterThan(0);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array<string>(deltas).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
    const created = all[0]!;
    if (created.type !== "response.created") throw new Error("unreachable");
    expect(created.response).toMatchObject({ status: "in_progress", output: [], usage: null });
    const last = all[all.length - 1]!;
    if (last.type !== "response.completed") throw new Error("unreachable");
    const text = all.map((e) => (e.type === "response.output_text.delta" ? e.delta : "")).join("");
    expect(last.response.output_text ?? "").toBe("");
    expect(last.response.output[0]).toMatchObject({ content: [{ text }] });
    expect(last.response.usage?.output_tokens).toBe(deltas);
  });

  // Breaks if the raw SSE carries a `[DONE]` or lacks the `event:` line of each event.
  it("writes `event:` + `data:` pairs and no [DONE]", async () => {
    const o = fleet.endpoint("oai");
    if (o.type !== "openai") throw new Error("unreachable");
    const res = await fetch(`${o.baseURL}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${o.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", input: "raw", stream: true }),
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const raw = await res.text();
    expect(raw).not.toContain("[DONE]");
    const blocks = raw.trim().split("\n\n");
    for (const b of blocks) {
      const [event, data] = b.split("\n");
      const type = event!.replace(/^event: /, "");
      expect(JSON.parse(data!.replace(/^data: /, ""))).toMatchObject({ type });
    }
  });

  // Breaks if the SDK's stream helper cannot rebuild the final response from the events.
  it("works with the SDK's responses.stream helper, text and function calls", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const text = client.responses.stream({ model: "gpt-4o", input: "helper" });
    let deltas = "";
    text.on("response.output_text.delta", (e) => {
      deltas += e.delta;
    });
    const final = await text.finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output_text).toBe(deltas);

    const calls = client.responses.stream({
      model: "gpt-4o",
      input: "call it",
      tools: [weather],
      tool_choice: "required",
    });
    const seen: string[] = [];
    for await (const e of calls) seen.push(e.type);
    const response = await calls.finalResponse();
    expect(seen).toContain("response.function_call_arguments.delta");
    expect(seen).toContain("response.function_call_arguments.done");
    const call = response.output[0]!;
    if (call.type !== "function_call") throw new Error(`expected function_call, got ${call.type}`);
    expect(ajv.validate(weather.parameters, JSON.parse(call.arguments))).toBe(true);
  });

  // Breaks if a stream cut by max_output_tokens does not end with response.incomplete.
  it("ends with response.incomplete when max_output_tokens is hit", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const all = await events(
      await client.responses.create({ model: "gpt-4o", input: "long", stream: true, max_output_tokens: 16 }),
    );
    const last = all[all.length - 1]!;
    expect(last.type).toBe("response.incomplete");
    if (last.type !== "response.incomplete") throw new Error("unreachable");
    expect(last.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(all.filter((e) => e.type === "response.output_text.delta")).toHaveLength(16);
  });
});

describe("a stream that fails after it started", () => {
  // Breaks if the responseFailedAfterChunks fault does not end the stream with response.failed.
  it("ends with response.failed after k deltas, the cut item left without its done events", async () => {
    await fleet.setFaults("oai", { responseFailedAfterChunks: 3 });
    try {
      const client = openaiClient(fleet.endpoint("oai"));
      const all = await events(
        await client.responses.create({ model: "gpt-4o", input: "fail me", stream: true }),
      );
      const types = all.map((e) => e.type);
      expect(types).toEqual([
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.failed",
      ]);
      const last = all.at(-1)!;
      if (last.type !== "response.failed") throw new Error("unreachable");
      expect(last.response).toMatchObject({ status: "failed", error: { code: "server_error" } });
      expect(last.response.usage?.output_tokens).toBe(3);
      const text = all.map((e) => (e.type === "response.output_text.delta" ? e.delta : "")).join("");
      expect(last.response.output[0]).toMatchObject({ status: "incomplete", content: [{ text }] });
      // JSON answers are not affected.
      expect((await client.responses.create({ model: "gpt-4o", input: "fail me" })).status).toBe("completed");
    } finally {
      await fleet.setFaults("oai", {});
    }
  });
});

describe("resuming a background stream", () => {
  // Breaks if GET /responses/{id}?stream=true does not replay a background stream's events.
  it("replays the events of a background stream; the SDK's stream helper resumes from it", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const original = await events(
      await client.responses.create({ model: "gpt-4o", input: "resume me", stream: true, background: true }),
    );
    const created = original[0]!;
    if (created.type !== "response.created") throw new Error("unreachable");
    const id = created.response.id;
    const replay = await events(await client.responses.retrieve(id, { stream: true }));
    expect(replay).toEqual(original);
    const resumed = client.responses.stream({ response_id: id, starting_after: 3 });
    const seen: number[] = [];
    for await (const e of resumed) seen.push(e.sequence_number);
    expect(seen[0]).toBe(4);
    expect((await resumed.finalResponse()).status).toBe("completed");

    const sync = await client.responses.create({ model: "gpt-4o", input: "not background" });
    expect(await rejection(client.responses.retrieve(sync.id, { stream: true }))).toMatchObject({
      status: 400,
      error: { param: "stream" },
    });
  });
});

describe("renderResponseEvents", () => {
  const plan: ResponsePlan = {
    id: "resp_1",
    createdAt: 1,
    model: "gpt-4o",
    echo: {},
    outputs: [
      {
        item: {
          id: "msg_1",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", annotations: [], logprobs: [], text: "A b." }],
        },
        text: "A b.",
        pieces: ["A", " b", "."],
      },
    ],
    status: "completed",
    inputTokens: 5,
    cachedTokens: 0,
    writtenTokens: 0,
    outputTokens: 3,
    obfuscation: false,
  };
  // Breaks if the latency model could not pace the deltas (positions) or sends the snapshot late.
  it("sends the snapshots with the headers and one content event per token, at its position", () => {
    const events = renderResponseEvents(plan, mulberry32(1));
    expect(events.slice(0, 2).map((e) => e.kind)).toEqual(["preamble", "preamble"]);
    const content = events.filter((e) => e.kind === "content");
    expect(content.map((e) => e.position)).toEqual([0, 1, 2]);
    expect(events.at(-1)).toMatchObject({ kind: "tail", position: 2 });
    expect(content.map((e) => JSON.parse(e.data.split("\n")[1]!.slice(6)).delta)).toEqual(["A", " b", "."]);
    // Without obfuscation the deltas carry no padding field.
    expect(content.every((e) => !e.data.includes("obfuscation"))).toBe(true);
  });
});
