/**
 * Prompt tokens of a chat request, part by part: the message framing the services add, each kind of
 * content part, tool calls and tool definitions. The estimator supplies the text counts, so these
 * rules share its cache and its per-estimate tokenizer budget.
 */

import type {
  ChatCompletionContentPart,
  ChatCompletionContentPartRefusal,
  ChatCompletionContentPartText,
  ChatCompletionCreateParams,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { imageTokens } from "./image-tokens.js";

/** Tokens of the chat framing around each message (`<|im_start|>role … <|im_end|>`), as the services count it. */
export const TOKENS_PER_MESSAGE = 3;
/** Extra token for a message that carries a `name` (on top of the name's own tokens). */
export const TOKENS_PER_NAME = 1;
/** Tokens that prime the assistant's reply (`<|im_start|>assistant`). */
export const REPLY_PRIMING_TOKENS = 3;

type TextPart = ChatCompletionContentPartText | ChatCompletionContentPartRefusal;
type AnyPart = ChatCompletionContentPart | TextPart;

/** What prompt counting takes from the estimator that hosts it. */
export interface PromptCounterParts {
  /** Tokens of a text, through the estimator's cache. */
  readonly countText: (text: string) => number;
  /** Tokens of a text, bypassing the cache (still within the estimate's budget). */
  readonly count: (text: string) => number;
  /** See `TokenEstimatorOptions.toolCallOverhead`. */
  readonly toolCallOverhead: number;
  /** See `TokenEstimatorOptions.toolDefinitionOverhead`. */
  readonly toolDefinitionOverhead: number;
}

/**
 * Creates the prompt-token count of a chat request (messages, tool calls, tool definitions,
 * `json_schema` response format, reply priming), by the message rule of `createTokenEstimator`.
 * @example
 * const promptTokens = createPromptCounter({ countText, count, toolCallOverhead: 3, toolDefinitionOverhead: 8 });
 * promptTokens({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
 */
export function createPromptCounter(parts: PromptCounterParts): (body: ChatCompletionCreateParams) => number {
  const { countText, count, toolCallOverhead, toolDefinitionOverhead } = parts;

  // Roles are a handful of fixed words: counted once each, outside the estimator's LRU (no refresh per message).
  const roles = new Map<string, number>();
  const roleTokens = (role: string): number => {
    let tokens = roles.get(role);
    if (tokens === undefined) {
      tokens = count(role);
      if (roles.size < 16 && role.length <= 32) roles.set(role, tokens);
    }
    return tokens;
  };

  const contentTokens = (content: string | readonly AnyPart[] | null | undefined): number => {
    if (content == null) return 0;
    if (typeof content === "string") return countText(content);
    let tokens = 0;
    for (const part of content) {
      switch (part.type) {
        case "text":
          tokens += countText(part.text);
          break;
        case "refusal":
          tokens += countText(part.refusal);
          break;
        case "image_url":
          tokens += imageTokens(part.image_url);
          break;
        default:
          // input_audio, file: not estimated (see the message rule of `createTokenEstimator`).
          break;
      }
    }
    return tokens;
  };

  const toolCallTokens = (call: ChatCompletionMessageToolCall): number =>
    call.type === "function"
      ? countText(call.function.name) + countText(call.function.arguments) + toolCallOverhead
      : countText(call.custom.name) + countText(call.custom.input) + toolCallOverhead;

  const messageTokens = (message: ChatCompletionMessageParam): number => {
    // The role is encoded too (OpenAI's cookbook and gpt-tokenizer's encodeChat count it).
    let tokens = TOKENS_PER_MESSAGE + roleTokens(message.role) + contentTokens(message.content);
    if ("name" in message && typeof message.name === "string") {
      tokens += countText(message.name) + TOKENS_PER_NAME;
    }
    if (message.role === "assistant") {
      if (typeof message.refusal === "string") tokens += countText(message.refusal);
      if (message.tool_calls) for (const call of message.tool_calls) tokens += toolCallTokens(call);
      if (message.function_call) {
        tokens +=
          countText(message.function_call.name) +
          countText(message.function_call.arguments) +
          toolCallOverhead;
      }
    }
    return tokens;
  };

  const definitionTokens = (name: string, description: string | undefined, schema: unknown): number =>
    countText(name) +
    (description ? countText(description) : 0) +
    (schema === undefined ? 0 : countText(JSON.stringify(schema))) +
    toolDefinitionOverhead;

  const toolTokens = (tool: ChatCompletionTool): number =>
    tool.type === "function"
      ? definitionTokens(tool.function.name, tool.function.description, tool.function.parameters)
      : definitionTokens(tool.custom.name, tool.custom.description, tool.custom.format);

  const promptTokens = (body: ChatCompletionCreateParams): number => {
    let tokens = REPLY_PRIMING_TOKENS;
    for (const message of body.messages) tokens += messageTokens(message);
    if (body.tools) for (const tool of body.tools) tokens += toolTokens(tool);
    if (body.functions) {
      for (const fn of body.functions) tokens += definitionTokens(fn.name, fn.description, fn.parameters);
    }
    const format = body.response_format;
    if (format?.type === "json_schema") {
      tokens += countText(format.json_schema.name);
      if (format.json_schema.schema) tokens += countText(JSON.stringify(format.json_schema.schema));
    }
    return tokens;
  };

  return promptTokens;
}
