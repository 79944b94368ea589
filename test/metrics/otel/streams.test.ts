import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import type { Completion } from "../../../src/index.js";
import { body, closeAll, setup, written } from "./rig.js";
import { points } from "./sdk.js";

/** Streams' `gen_ai.response.model`: read from the stream's start, since its chunks go to the caller. */

afterEach(closeAll);

const spanOf = (spans: ReadableSpan[], id: string | undefined) =>
  spans.find((s) => s.attributes["openai_router.request.id"] === id);

describe("streamed requests", () => {
  // Breaks if a streamed chat request's span, its duration metric or its attempt record lacked the
  // model the stream's first chunks named (streams settle with no response object to read it from),
  // or if an empty model on Azure's first chunk were taken for it.
  it("carry the first chunk's model as gen_ai.response.model", async () => {
    const { router, sdk } = await setup();
    const settled: Completion[] = [];
    router.completions$.subscribe((c) => settled.push(c));
    const stream = await router.chat.completions.create({ ...body("streamed"), stream: true });
    let firstModel: string | undefined;
    // Azure's first chunk (the prompt's filter results) names no model: the first one that does counts.
    for await (const chunk of stream) if (!firstModel && chunk.model) firstModel = chunk.model;
    await written();

    expect(firstModel).toMatch(/\S/);
    const completion = settled.find((c) => c.kind === "stream");
    expect(completion?.attempts.at(-1)?.responseModel).toBe(firstModel);
    const span = spanOf(sdk.finished(), completion?.id);
    expect(span?.attributes["gen_ai.request.stream"]).toBe(true);
    expect(span?.attributes["gen_ai.response.model"]).toBe(firstModel);
    const metrics = await sdk.collect();
    expect(
      points(metrics.get("gen_ai.client.operation.duration"), { "gen_ai.response.model": firstModel }),
    ).toHaveLength(1);
    expect(
      points(metrics.get("gen_ai.client.operation.time_to_first_chunk"), {
        "gen_ai.response.model": firstModel,
      }),
    ).toHaveLength(1);
  });

  // Breaks if a streamed Responses request's span lacked the model of its response.created event
  // (a chat-only reading of the stream's start would find none there).
  it("carry response.created's response.model for a Responses stream", async () => {
    const { router, sdk } = await setup();
    const settled: Completion[] = [];
    router.completions$.subscribe((c) => settled.push(c));
    const stream = await router.responses.create({ model: "gpt-4o", input: "streamed", stream: true });
    let createdModel: string | undefined;
    for await (const event of stream)
      if (event.type === "response.created") createdModel = event.response.model;
    await written();

    expect(createdModel).toMatch(/\S/);
    const completion = settled.at(-1);
    expect(completion?.ok).toBe(true);
    const span = spanOf(sdk.finished(), completion?.id);
    expect(span?.attributes["gen_ai.response.model"]).toBe(createdModel);
  });
});
