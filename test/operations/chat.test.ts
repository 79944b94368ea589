import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import {
  chatCompletionProblem,
  chatStreamCompletion,
  isChatChunk,
  usageOf,
  validateChatBody,
} from "../../src/operations/chat.js";

const MESSAGES = [{ role: "user", content: "hi" }];

describe("validateChatBody", () => {
  // Breaks if a well-formed body (every field a caller commonly sets) were refused.
  it("accepts well-formed bodies with no allocation of problems", () => {
    const a = validateChatBody({ model: "gpt-4o", messages: MESSAGES });
    const b = validateChatBody({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "https://x/y.png", detail: "low" } },
          ],
          name: "ann",
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", content: "42", tool_call_id: "c1" },
      ],
      max_tokens: 100,
      max_completion_tokens: null,
      n: 2,
      temperature: 0.2,
      stop: ["\n"],
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        { type: "function", function: { name: "f", description: "d", parameters: { type: "object" } } },
      ],
      tool_choice: "auto",
      response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "object" } } },
      metadata: { a: "b" },
      logit_bias: { "50256": -100 },
    });
    expect(a).toEqual([]);
    expect(b).toEqual([]);
    expect(a).toBe(b); // the same frozen empty list
  });

  // Breaks if a problem lacked its path, or if several problems were not all listed.
  it("lists every problem with its path", () => {
    expect(
      validateChatBody({
        model: 5,
        messages: [
          { role: "user" },
          { role: 3, content: "x" },
          { role: "user", content: [{ type: "text", text: 1 }, { type: "image_url", image_url: "u" }, null] },
          "hello",
        ],
        max_tokens: 0,
        n: 1.5,
        stop: [1],
        tools: [{ type: "function", function: { name: "" } }],
        extra: 10n,
      }),
    ).toEqual([
      "model: must be a non-empty string",
      "messages.0.content: is required for a user message",
      "messages.1.role: must be a non-empty string",
      "messages.2.content.0.text: must be a string",
      "messages.2.content.1.image_url: must be an object with a `url`",
      "messages.2.content.2: must be an object (a content part with a `type`)",
      "messages.3: must be an object (a message with a `role`)",
      "max_tokens: must be a positive integer",
      "n: must be a positive integer",
      "stop: must be a string or an array of strings",
      "tools.0.function.name: must be a non-empty string",
      "extra: must be JSON (a bigint cannot be sent; use a number or a string)",
    ]);
  });

  // Breaks if a body that is not JSON (a cycle, NaN, a function) got through to the SDK's JSON.stringify.
  it("reports what cannot be sent as JSON, with its path", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(validateChatBody({ model: "m", messages: MESSAGES, metadata: { deep: [1, Number.NaN] } })).toEqual(
      ["metadata.deep.1: must be a finite number (JSON has no NaN or Infinity)"],
    );
    expect(validateChatBody({ model: "m", messages: MESSAGES, extra: cycle })[0]).toMatch(
      /^extra(\.self)+: is nested deeper/,
    );
    expect(validateChatBody({ model: "m", messages: MESSAGES, f: () => 1 })).toEqual([
      "f: must be JSON (a function cannot be sent)",
    ]);
  });

  // Breaks if the missing required fields or a non-object body were not named.
  it("names what is missing, and a body that is not an object", () => {
    expect(validateChatBody({})).toEqual([
      "model: is required (a non-empty string)",
      "messages: is required (an array of messages)",
    ]);
    expect(validateChatBody(null)).toEqual(["body: must be an object"]);
    expect(validateChatBody([MESSAGES])).toEqual(["body: must be an object"]);
    expect(validateChatBody({ model: "m", messages: [] })).toEqual([
      "messages: must have at least one message",
    ]);
  });

  // Breaks if a garbage body of a huge size built an equally huge list of problems.
  it("lists at most 20 problems", () => {
    const problems = validateChatBody({ model: "m", messages: Array.from({ length: 1_000 }, () => 5) });
    expect(problems).toHaveLength(21);
    expect(problems.at(-1)).toBe("…: more problems not listed");
  });
});

describe("answers and streams", () => {
  // Breaks if a string (an HTML page), undefined (an empty body) or another object passed for a completion.
  it("chatCompletionProblem", () => {
    expect(chatCompletionProblem("<html>")).toBe("not a JSON object (a string of 6 characters)");
    expect(chatCompletionProblem(undefined)).toBe("an empty body");
    expect(chatCompletionProblem({ status: "ok" })).toBe("no `choices` array");
    expect(chatCompletionProblem({ choices: [] })).toBe("an empty `choices` array");
    expect(chatCompletionProblem({ choices: [{ index: 0 }] })).toBe("a choice without a `message` object");
    expect(
      chatCompletionProblem({ choices: [{ message: { role: "assistant", content: "x" } }] }),
    ).toBeUndefined();
  });

  it("isChatChunk", () => {
    expect(isChatChunk({ choices: [] })).toBe(true);
    expect(isChatChunk({ choices: [null] })).toBe(false);
    expect(isChatChunk({ status: "ok" })).toBe(false);
    expect(isChatChunk("data")).toBe(false);
  });

  const chunk = (index: number, finish: string | null): ChatCompletionChunk =>
    ({
      choices: [{ index, delta: { content: "x" }, finish_reason: finish }],
    }) as unknown as ChatCompletionChunk;

  // Breaks if one finished choice of two (n = 2) made the stream look complete, or if none ever did.
  it("chatStreamCompletion: complete when every choice seen has its finish_reason", () => {
    const c = chatStreamCompletion();
    expect(c.complete).toBe(false);
    c.observe(chunk(0, null));
    c.observe(chunk(1, null));
    c.observe(chunk(0, "stop"));
    expect(c.complete).toBe(false);
    c.observe(chunk(1, "length"));
    expect(c.complete).toBe(true);
    const wide = chatStreamCompletion();
    wide.observe(chunk(40, null));
    expect(wide.complete).toBe(false);
    wide.observe(chunk(40, "stop"));
    expect(wide.complete).toBe(true);
  });

  // Breaks if garbage usage (strings, negatives) reached the lane's counters.
  it("usageOf: only finite non-negative counts", () => {
    expect(usageOf({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 })).toBeDefined();
    expect(usageOf({ prompt_tokens: "1", total_tokens: 3 })).toBeUndefined();
    expect(usageOf({ prompt_tokens: 1, total_tokens: -3 })).toBeUndefined();
    expect(usageOf(null)).toBeUndefined();
  });
});
