import { describe, expect, it } from "vitest";
import { createTokenEstimator } from "../../src/limits/token-estimate.js";
import {
  conversationOf,
  estimateResponsesInput,
  isResponsesContent,
  responsesOutputCap,
  responsesStreamEnd,
  responsesUsage,
  validateResponsesBody,
} from "../../src/operations/responses.js";

const estimator = createTokenEstimator();

describe("Responses bodies", () => {
  // Breaks if a malformed body slips through to the upstream or a valid one is refused.
  it("lists every problem with its path, and none for valid bodies", () => {
    expect(validateResponsesBody({ model: "gpt-4o", input: "hi" })).toEqual([]);
    expect(validateResponsesBody({ model: "gpt-4o", previous_response_id: "resp_1", input: [] })).toEqual([]);
    expect(
      validateResponsesBody({
        model: "gpt-4o",
        input: [
          { role: "user", content: "a" },
          { type: "function_call_output", call_id: "c", output: "{}" },
        ],
        conversation: { id: "conv_1" },
      }),
    ).toEqual([]);
    expect(validateResponsesBody(null)).toEqual(["body: must be an object"]);
    expect(
      validateResponsesBody({
        model: 3,
        input: [1, { content: "no role" }],
        max_output_tokens: 0,
        stream: "yes",
        tools: {},
        text: "plain",
        conversation: 4,
      }),
    ).toEqual([
      "model: must be a non-empty string",
      "input.0: must be an object",
      "input.1: needs a `type` or a `role`",
      "stream: must be a boolean",
      "max_output_tokens: must be a positive integer",
      "tools: must be an array",
      "text: must be an object",
      "conversation: must be an id or an object with an `id`",
    ]);
    expect(validateResponsesBody({ model: "gpt-4o" })).toEqual([
      "input: required unless previous_response_id or prompt is given",
    ]);
  });

  // Breaks if conversation ids in either shape are not recognised (affinity would miss them).
  it("reads a conversation id in both shapes", () => {
    expect(conversationOf({ conversation: "conv_1" })).toBe("conv_1");
    expect(conversationOf({ conversation: { id: "conv_2" } })).toBe("conv_2");
    expect(conversationOf({})).toBeUndefined();
  });
});

describe("Responses token estimate", () => {
  // Breaks if instructions, items or tool definitions are left out of the TPM charge.
  it("counts instructions, every kind of input item and tool definitions", () => {
    const text = "The quick brown fox jumps over the lazy dog.";
    const plain = estimateResponsesInput({ input: text }, estimator);
    expect(plain).toBe(estimator.countText(text) + 3);
    const withInstructions = estimateResponsesInput({ input: text, instructions: text }, estimator);
    expect(withInstructions).toBe(2 * plain);
    const items = estimateResponsesInput(
      {
        input: [
          { role: "user", content: [{ type: "input_text", text }] },
          { type: "function_call", call_id: "c", name: "lookup", arguments: '{"q":"fox"}' },
          { type: "function_call_output", call_id: "c", output: text },
        ],
      },
      estimator,
    );
    expect(items).toBeGreaterThan(2 * plain);
    const tools = [{ type: "function", name: "lookup", parameters: { type: "object", properties: {} } }];
    expect(estimateResponsesInput({ input: text, tools }, estimator)).toBeGreaterThan(plain + 5);
    const image = estimateResponsesInput(
      {
        input: [
          { role: "user", content: [{ type: "input_image", image_url: "https://x/y.png", detail: "low" }] },
        ],
      },
      estimator,
    );
    expect(image).toBe(3 + 85);
  });

  // Breaks if the output reservation ignores max_output_tokens or the default.
  it("reserves max_output_tokens, else the default", () => {
    expect(responsesOutputCap({ max_output_tokens: 50 }, 1_000)).toBe(50);
    expect(responsesOutputCap({}, 1_000)).toBe(1_000);
  });
});

describe("Responses usage and streams", () => {
  // Breaks if cached or reasoning tokens are dropped from the metrics.
  it("maps usage to the lanes' shape, cached and reasoning tokens kept", () => {
    expect(
      responsesUsage({
        usage: {
          input_tokens: 1200,
          input_tokens_details: { cached_tokens: 1024, cache_write_tokens: 0 },
          output_tokens: 30,
          output_tokens_details: { reasoning_tokens: 10 },
          total_tokens: 1230,
        },
      }),
    ).toEqual({
      prompt_tokens: 1200,
      completion_tokens: 30,
      total_tokens: 1230,
      prompt_tokens_details: { cached_tokens: 1024 },
      completion_tokens_details: { reasoning_tokens: 10 },
    });
    expect(responsesUsage({ usage: undefined })).toBeUndefined();
  });

  // Breaks if a stream counts as started before output, or as finished without the final event.
  it("knows where content starts and which events end a stream", () => {
    const ev = (type: string) => ({ type }) as Parameters<typeof isResponsesContent>[0];
    expect(isResponsesContent(ev("response.created"))).toBe(false);
    expect(isResponsesContent(ev("response.output_item.added"))).toBe(false);
    expect(isResponsesContent(ev("response.output_text.delta"))).toBe(true);
    expect(isResponsesContent(ev("response.function_call_arguments.delta"))).toBe(true);
    expect(responsesStreamEnd(ev("response.output_text.done"))).toBeUndefined();
    expect(responsesStreamEnd(ev("response.completed"))).toBe("completed");
    expect(responsesStreamEnd(ev("response.incomplete"))).toBe("completed");
    expect(responsesStreamEnd(ev("response.failed"))).toBe("failed");
    expect(responsesStreamEnd(ev("error"))).toBe("failed");
  });
});
