import { invalidParam, type WireError } from "../errors.js";

/** What a model accepts: its context window and the most tokens one reply may ask for. */
export interface ModelLimits {
  /** Prompt + completion tokens. */
  readonly contextWindow: number;
  /** Largest `max_tokens` / `max_completion_tokens` accepted. */
  readonly maxOutputTokens: number;
  /**
   * A reasoning model (o-series, gpt-5): refuses `max_tokens` (use `max_completion_tokens`),
   * `logprobs`, and sampling parameters other than their defaults.
   */
  readonly reasoning?: boolean;
}

/**
 * Documented figures from the model pages of platform.openai.com/docs/models (the same on Azure's
 * "Azure OpenAI models" page), longest prefix first so `gpt-4o-mini-2024-07-18` finds `gpt-4o-mini`.
 */
const TABLE: readonly (readonly [prefix: string, limits: ModelLimits])[] = [
  ["gpt-5", { contextWindow: 400_000, maxOutputTokens: 128_000, reasoning: true }],
  ["gpt-5-chat", { contextWindow: 128_000, maxOutputTokens: 16_384 }],
  ["gpt-4.1", { contextWindow: 1_047_576, maxOutputTokens: 32_768 }],
  ["gpt-4o-mini", { contextWindow: 128_000, maxOutputTokens: 16_384 }],
  ["gpt-4o", { contextWindow: 128_000, maxOutputTokens: 16_384 }],
  ["gpt-4-turbo", { contextWindow: 128_000, maxOutputTokens: 4_096 }],
  ["gpt-4-32k", { contextWindow: 32_768, maxOutputTokens: 8_192 }],
  ["gpt-4", { contextWindow: 8_192, maxOutputTokens: 8_192 }],
  ["gpt-35-turbo", { contextWindow: 16_385, maxOutputTokens: 4_096 }],
  ["gpt-3.5-turbo", { contextWindow: 16_385, maxOutputTokens: 4_096 }],
  ["o1-mini", { contextWindow: 128_000, maxOutputTokens: 65_536, reasoning: true }],
  ["o1", { contextWindow: 200_000, maxOutputTokens: 100_000, reasoning: true }],
  ["o3", { contextWindow: 200_000, maxOutputTokens: 100_000, reasoning: true }],
  ["o4-mini", { contextWindow: 200_000, maxOutputTokens: 100_000, reasoning: true }],
  ["text-embedding", { contextWindow: 8_192, maxOutputTokens: 0 }],
];

/** For models not in the table: gpt-4o's figures, the sim's default model. */
export const DEFAULT_MODEL_LIMITS: ModelLimits = { contextWindow: 128_000, maxOutputTokens: 16_384 };

/** The limits of `model` (a model name, not a deployment name). */
export function modelLimits(model: string): ModelLimits {
  let best: ModelLimits | undefined;
  let bestLength = -1;
  for (const [prefix, limits] of TABLE) {
    if (model.startsWith(prefix) && prefix.length > bestLength) {
      best = limits;
      bestLength = prefix.length;
    }
  }
  return best ?? DEFAULT_MODEL_LIMITS;
}

/**
 * The 400s openai.com gives when a chat request cannot fit the model: `max_tokens` above the output
 * cap ("max_tokens is too large: 20000. This model supports at most 16384 completion tokens, whereas
 * you provided 20000."), and a prompt (plus the requested completion) above the context window
 * (code `context_length_exceeded`).
 */
export function checkChatFits(
  model: string,
  promptTokens: number,
  maxTokens: number | undefined,
  maxTokensParam: "max_tokens" | "max_completion_tokens",
): WireError | undefined {
  const limits = modelLimits(model);
  if (maxTokens !== undefined && maxTokens > limits.maxOutputTokens) {
    return invalidParam(
      maxTokensParam,
      `${maxTokensParam} is too large: ${maxTokens}. This model supports at most ${limits.maxOutputTokens} completion tokens, whereas you provided ${maxTokens}.`,
    );
  }
  const requested = promptTokens + (maxTokens ?? 0);
  if (requested > limits.contextWindow) {
    const message =
      maxTokens === undefined
        ? `This model's maximum context length is ${limits.contextWindow} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`
        : `This model's maximum context length is ${limits.contextWindow} tokens. However, you requested ${requested} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`;
    return invalidParam("messages", message, "context_length_exceeded");
  }
  return undefined;
}

/** Embeddings: each input must fit the model's 8192-token window (openai.com's wording). */
export function checkEmbeddingFits(model: string, inputTokens: readonly number[]): WireError | undefined {
  const { contextWindow } = modelLimits(model);
  for (const tokens of inputTokens) {
    if (tokens > contextWindow) {
      return invalidParam(
        "input",
        `This model's maximum context length is ${contextWindow} tokens, however you requested ${tokens} tokens (${tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
        "context_length_exceeded",
      );
    }
  }
  return undefined;
}

/** The request values a reasoning model constrains. */
export interface ModelParams {
  /** Whether the legacy `max_tokens` was sent. */
  readonly legacyMaxTokens: boolean;
  readonly logprobs: boolean;
  /** Sampling parameters as sent (absent ones left out). */
  readonly sampling: Readonly<Partial<Record<SamplingParam, number>>>;
}

/** Sampling parameters and the only value a reasoning model accepts for each. */
export const SAMPLING_DEFAULTS = {
  temperature: 1,
  top_p: 1,
  presence_penalty: 0,
  frequency_penalty: 0,
} as const;
export type SamplingParam = keyof typeof SAMPLING_DEFAULTS;

function unsupported(param: string, message: string, code: string): WireError {
  return invalidParam(param, message, code);
}

/**
 * What reasoning models refuse, worded as openai.com does: "Unsupported parameter: 'max_tokens' is
 * not supported with this model. Use 'max_completion_tokens' instead." (`unsupported_parameter`)
 * and "Unsupported value: 'temperature' does not support 0.5 with this model. Only the default (1)
 * value is supported." (`unsupported_value`), per OpenAI's reasoning guide.
 */
export function checkModelParams(model: string, params: ModelParams): WireError | undefined {
  if (modelLimits(model).reasoning !== true) return undefined;
  if (params.legacyMaxTokens) {
    return unsupported(
      "max_tokens",
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      "unsupported_parameter",
    );
  }
  if (params.logprobs) {
    return unsupported(
      "logprobs",
      "Unsupported parameter: 'logprobs' is not supported with this model.",
      "unsupported_parameter",
    );
  }
  for (const [param, value] of Object.entries(params.sampling) as [SamplingParam, number][]) {
    const only = SAMPLING_DEFAULTS[param];
    if (value !== only) {
      return unsupported(
        param,
        `Unsupported value: '${param}' does not support ${value} with this model. Only the default (${only}) value is supported.`,
        "unsupported_value",
      );
    }
  }
  return undefined;
}
