import { describe, expect, it } from "vitest";
import {
  checkChatFits,
  checkModelParams,
  DEFAULT_MODEL_LIMITS,
  modelLimits,
} from "../../../src/sim/validation/models.js";

describe("modelLimits", () => {
  // Breaks if the longest prefix does not win (gpt-4o-mini must not read as gpt-4, gpt-5-chat as gpt-5).
  it("matches dated and suffixed names by their longest documented prefix", () => {
    expect(modelLimits("gpt-4o-2024-08-06")).toMatchObject({
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
    });
    expect(modelLimits("gpt-4-0613")).toMatchObject({ contextWindow: 8_192 });
    expect(modelLimits("gpt-4.1-mini")).toMatchObject({ contextWindow: 1_047_576, maxOutputTokens: 32_768 });
    expect(modelLimits("gpt-5-mini").reasoning).toBe(true);
    expect(modelLimits("gpt-5-chat-latest").reasoning).toBeUndefined();
    expect(modelLimits("o3-mini")).toMatchObject({ contextWindow: 200_000, reasoning: true });
    expect(modelLimits("my-finetune")).toBe(DEFAULT_MODEL_LIMITS);
  });
});

describe("checkChatFits", () => {
  // Breaks if the cap or the window are off by one, or the wrong param is named.
  it("allows exactly the cap and the window, refuses one more", () => {
    expect(checkChatFits("gpt-4o", 10, 16_384, "max_tokens")).toBeUndefined();
    expect(JSON.parse(checkChatFits("gpt-4o", 10, 16_385, "max_completion_tokens")!.body).error.param).toBe(
      "max_completion_tokens",
    );
    expect(checkChatFits("gpt-4", 8_000, 192, "max_tokens")).toBeUndefined();
    expect(JSON.parse(checkChatFits("gpt-4", 8_000, 193, "max_tokens")!.body).error.code).toBe(
      "context_length_exceeded",
    );
    expect(checkChatFits("gpt-4", 8_193, undefined, "max_tokens")).toBeDefined();
  });
});

describe("checkModelParams", () => {
  const none = { legacyMaxTokens: false, logprobs: false, sampling: {} };
  // Breaks if chat models were constrained, or reasoning models let non-defaults through.
  it("constrains reasoning models only", () => {
    expect(
      checkModelParams("gpt-4o", { ...none, legacyMaxTokens: true, sampling: { temperature: 0.2 } }),
    ).toBeUndefined();
    expect(checkModelParams("o3", { ...none, sampling: { temperature: 1, top_p: 1 } })).toBeUndefined();
    expect(
      JSON.parse(checkModelParams("o3", { ...none, sampling: { top_p: 0.5 } })!.body).error,
    ).toMatchObject({
      param: "top_p",
      code: "unsupported_value",
    });
    expect(JSON.parse(checkModelParams("gpt-5", { ...none, logprobs: true })!.body).error.param).toBe(
      "logprobs",
    );
  });
});
