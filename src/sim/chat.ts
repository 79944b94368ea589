import type { ReplyChoice } from "./content.js";
import type { TokenLogprob } from "./logprobs.js";

/** Everything needed to render one chat completion, streamed or not. */
export interface ChatPlan {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
  readonly fingerprint: string;
  readonly choices: readonly ReplyChoice[];
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Azure adds content-filter annotations. */
  readonly azure: boolean;
  readonly includeUsage: boolean;
  /** Prompt tokens served from the prompt cache (`usage.prompt_tokens_details.cached_tokens`). */
  readonly cachedTokens?: number | undefined;
}

const SAFE = { filtered: false, severity: "safe" } as const;
const NOT_DETECTED = { filtered: false, detected: false } as const;

/** What Azure reports for a prompt that passed its content filters. */
export const PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: {
      hate: SAFE,
      jailbreak: NOT_DETECTED,
      self_harm: SAFE,
      sexual: SAFE,
      violence: SAFE,
    },
  },
] as const;

/** What Azure reports for generated text that passed its content filters. */
export const CHOICE_FILTER_RESULTS = {
  hate: SAFE,
  protected_material_code: NOT_DETECTED,
  protected_material_text: NOT_DETECTED,
  self_harm: SAFE,
  sexual: SAFE,
  violence: SAFE,
} as const;

function usage(plan: ChatPlan) {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
    prompt_tokens_details: { cached_tokens: plan.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** `choices[].logprobs`: null unless asked for; tool-call turns carry no content logprobs. */
function logprobsOf(choice: ReplyChoice): { content: readonly TokenLogprob[] | null; refusal: null } | null {
  if (choice.logprobs !== undefined) return { content: choice.logprobs, refusal: null };
  return null;
}

function messageOf(choice: ReplyChoice) {
  if (choice.toolCalls === undefined) {
    return { role: "assistant", content: choice.tokens.join(""), refusal: null, annotations: [] };
  }
  return {
    role: "assistant",
    content: null,
    tool_calls: choice.toolCalls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    })),
    refusal: null,
    annotations: [],
  };
}

/** The `chat.completion` JSON text of a non-streamed reply. */
export function renderCompletion(plan: ChatPlan): string {
  const choices = plan.choices.map((c, index) => {
    const choice = { index, message: messageOf(c), logprobs: logprobsOf(c), finish_reason: c.finishReason };
    return plan.azure ? { ...choice, content_filter_results: CHOICE_FILTER_RESULTS } : choice;
  });
  const body = {
    id: plan.id,
    object: "chat.completion",
    created: plan.created,
    model: plan.model,
    system_fingerprint: plan.fingerprint,
    choices,
    usage: usage(plan),
  };
  return JSON.stringify(plan.azure ? { ...body, prompt_filter_results: PROMPT_FILTER_RESULTS } : body);
}

/**
 * One SSE event. `preamble` events go out with the headers; a `content` event carries the token at
 * `position` of its choice (faults count these); `tail` events follow the last token.
 */
export interface StreamEvent {
  readonly data: string;
  readonly kind: "preamble" | "content" | "tail";
  readonly position: number;
}

export const DONE_EVENT = "data: [DONE]\n\n";

/**
 * The `"delta":…,"logprobs":…` part of each streamed chunk of a choice, one per position: a content
 * token (with its logprobs entry when asked for), or for tool calls, per call a first chunk with
 * `index`, `id`, `type`, `function.name` and empty `arguments`, then one chunk per argument fragment
 * (`index` and `function.arguments` only), as the services stream them.
 */
function streamDeltas(choice: ReplyChoice): string[] {
  const out: string[] = [];
  if (choice.toolCalls !== undefined) {
    choice.toolCalls.forEach((call, index) => {
      out.push(
        `"delta":{"tool_calls":[{"index":${index},"id":${JSON.stringify(call.id)},"type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":""}}]},"logprobs":null`,
      );
      for (const fragment of call.fragments) {
        out.push(
          `"delta":{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(fragment)}}}]},"logprobs":null`,
        );
      }
    });
    return out;
  }
  choice.tokens.forEach((token, i) => {
    const lp = choice.logprobs?.[i];
    const logprobs = lp === undefined ? "null" : `{"content":[${JSON.stringify(lp)}],"refusal":null}`;
    out.push(`"delta":{"content":${JSON.stringify(token)}},"logprobs":${logprobs}`);
  });
  return out;
}

/**
 * Renders the SSE events of a streamed reply, in order: (Azure) the prompt-filter chunk, one role
 * chunk per choice, content chunks interleaved across choices by position, one finish chunk per
 * choice, (include_usage) the usage chunk, and `[DONE]`.
 *
 * The constant part of a chunk is serialised once per request; only the token changes per chunk,
 * which keeps a 120-token stream to a few string concatenations.
 */
export function renderStream(plan: ChatPlan): StreamEvent[] {
  const usageTail = plan.includeUsage ? ',"usage":null}\n\n' : "}\n\n";
  const head = `data: {"id":${JSON.stringify(plan.id)},"object":"chat.completion.chunk","created":${plan.created},"model":${JSON.stringify(plan.model)},"system_fingerprint":${JSON.stringify(plan.fingerprint)},"choices":[`;
  const filters = plan.azure ? `,"content_filter_results":${JSON.stringify(CHOICE_FILTER_RESULTS)}` : "";
  const emptyFilters = plan.azure ? ',"content_filter_results":{}' : "";
  const events: StreamEvent[] = [];
  const push = (data: string, kind: StreamEvent["kind"], position = 0) =>
    events.push({ data, kind, position });

  if (plan.azure) {
    // Real Azure opens with an anonymous chunk (empty id, model and object, created 0).
    push(
      `data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":${JSON.stringify(PROMPT_FILTER_RESULTS)}${usageTail}`,
      "preamble",
    );
  }
  plan.choices.forEach((_, index) => {
    push(
      `${head}{"index":${index},"delta":{"role":"assistant","content":${plan.choices[index]?.toolCalls === undefined ? '""' : "null"},"refusal":null},"logprobs":null,"finish_reason":null${emptyFilters}}]${usageTail}`,
      "preamble",
    );
  });
  const deltas = plan.choices.map(streamDeltas);
  const longest = deltas.reduce((max, d) => Math.max(max, d.length), 0);
  for (let position = 0; position < longest; position++) {
    deltas.forEach((choiceDeltas, index) => {
      const delta = choiceDeltas[position];
      if (delta === undefined) return;
      push(
        `${head}{"index":${index},${delta},"finish_reason":null${filters}}]${usageTail}`,
        "content",
        position,
      );
    });
  }
  const last = Math.max(0, longest - 1);
  plan.choices.forEach((choice, index) => {
    push(
      `${head}{"index":${index},"delta":{},"logprobs":null,"finish_reason":"${choice.finishReason}"${emptyFilters}}]${usageTail}`,
      "tail",
      last,
    );
  });
  if (plan.includeUsage) push(`${head}],"usage":${JSON.stringify(usage(plan))}}\n\n`, "tail", last);
  push(DONE_EVENT, "tail", last);
  return events;
}
