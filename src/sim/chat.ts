import type { ReplyChoice } from "./content.js";

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
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The `chat.completion` JSON text of a non-streamed reply. */
export function renderCompletion(plan: ChatPlan): string {
  const choices = plan.choices.map((c, index) => {
    const choice = {
      index,
      message: { role: "assistant", content: c.tokens.join(""), refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: c.finishReason,
    };
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
      `${head}{"index":${index},"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null${emptyFilters}}]${usageTail}`,
      "preamble",
    );
  });
  const longest = plan.choices.reduce((max, c) => Math.max(max, c.tokens.length), 0);
  for (let position = 0; position < longest; position++) {
    plan.choices.forEach((choice, index) => {
      const token = choice.tokens[position];
      if (token === undefined) return;
      push(
        `${head}{"index":${index},"delta":{"content":${JSON.stringify(token)}},"logprobs":null,"finish_reason":null${filters}}]${usageTail}`,
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
