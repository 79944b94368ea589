import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import { ChatStream, hasOutput } from "../dispatch/chat-stream.js";
import type { RoutedStream } from "../dispatch/routed-stream.js";
import { chatCompletionProblem, isChatChunk, usageOf } from "./chat-answer.js";
import { validateChatBody } from "./chat-body.js";
import type { Surface } from "./surface.js";

export {
  type ChatStreamCompletion,
  chatCompletionProblem,
  chatStreamCompletion,
  describe,
  isChatChunk,
  usageOf,
} from "./chat-answer.js";
export { validateChatBody } from "./chat-body.js";

/**
 * The chat completions surface: a valid body (chat-body.ts), a valid answer (anything else is an
 * upstream failure, never the caller's result), when a stream's content starts and when it is complete.
 */
export const chatSurface: Surface = {
  validate: validateChatBody,
  estimate: (body, estimator) => estimator.estimateChatTokens(body as ChatCompletionCreateParamsNonStreaming),
  call: (body, _target, common) => ({
    kind: "chat",
    body: body as ChatCompletionCreateParamsNonStreaming,
    common,
  }),
  answerProblem: (result) => (result.kind === "chat" ? chatCompletionProblem(result.data) : undefined),
  usage: (result) => (result.kind === "chat" ? usageOf(result.data?.usage) : undefined),
  stream: {
    // The usage chunk is always asked for (budgets and metrics need it); the stream hides it from a
    // caller who did not ask.
    call: (body, common) => {
      const chat = body as ChatCompletionCreateParamsStreaming;
      return {
        kind: "stream",
        body: { ...chat, stream: true, stream_options: { ...chat.stream_options, include_usage: true } },
        common,
      };
    },
    isItem: isChatChunk,
    isContent: (item) => hasOutput(item as ChatCompletionChunk),
    finishedEarly: () => false, // a chat stream says it finished with a finish_reason: content
    open: (parts, context) => {
      const includeUsage =
        (context.body as ChatCompletionCreateParamsStreaming).stream_options?.include_usage === true;
      const stream = new ChatStream({
        ...(parts as unknown as ConstructorParameters<typeof ChatStream>[0]),
        includeUsage,
        endpoint: context.endpoint,
      });
      return { stream: stream as unknown as RoutedStream<never>, reader: stream.reader as never };
    },
  },
};
