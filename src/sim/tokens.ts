import { countTokens } from "gpt-tokenizer";

/** Strings longer than this are counted every time: caching them would cost more memory than it saves. */
const MAX_CACHED_LENGTH = 2048;

/**
 * Counts o200k tokens (gpt-4o's encoding) with a bounded FIFO cache: benchmark and test traffic
 * repeats the same prompts, and the tokenizer is the most expensive step of a simulated request.
 */
export class TokenCounter {
  readonly #cache = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  count(text: string): number {
    if (text.length > MAX_CACHED_LENGTH) return countTokens(text);
    let n = this.#cache.get(text);
    if (n === undefined) {
      n = countTokens(text);
      if (this.#cache.size >= this.maxEntries) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== undefined) this.#cache.delete(oldest);
      }
      this.#cache.set(text, n);
    }
    return n;
  }
}

/** The message fields that count towards prompt tokens. */
export interface PromptMessage {
  readonly role: string;
  /** Text of the message (text parts joined); other part kinds are not counted. */
  readonly text: string;
  readonly name?: string | undefined;
}

/** Per-message framing (`<|im_start|>`, `<|im_sep|>`, `<|im_end|>`) as OpenAI counts it. */
export const TOKENS_PER_MESSAGE = 3;
/** Priming of the reply (`<|im_start|>assistant<|im_sep|>`). */
export const REPLY_PRIMING_TOKENS = 3;

/**
 * Prompt tokens of a chat request, counted the way OpenAI bills gpt-4o: 3 per message + role +
 * content (+ name + 1) + 3 for the reply priming. Equals gpt-tokenizer's `encodeChat(…).length`.
 */
export function countChatTokens(counter: TokenCounter, messages: readonly PromptMessage[]): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE + counter.count(m.role) + counter.count(m.text);
    if (m.name !== undefined) total += counter.count(m.name) + 1;
  }
  return total;
}

/**
 * Prompt tokens of one image part. The sim does not decode images, so every `high`/`auto` image
 * costs what a 1024×1024 picture does on gpt-4o (85 base + 4 tiles × 170, per the vision guide on
 * platform.openai.com); `low` costs the flat 85.
 */
export function imageTokens(detail: "low" | "high" | "auto"): number {
  return detail === "low" ? 85 : 765;
}

/** The tool shape `toolsPrompt` renders (structurally a `FunctionTool`). */
interface ToolForPrompt {
  readonly name: string;
  readonly description?: string | undefined;
  readonly parameters?: unknown;
}

function tsType(schema: unknown): string {
  if (typeof schema !== "object" || schema === null) return "any";
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(s.anyOf)) return s.anyOf.map(tsType).join(" | ");
  switch (s.type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return `${tsType(s.items)}[]`;
    case "object":
      return `{\n${tsProps(s)}}`;
    default:
      return "any";
  }
}

function tsProps(s: Record<string, unknown>): string {
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(s.required) ? s.required : []);
  let out = "";
  for (const [key, sub] of Object.entries(props)) {
    const d = (sub as { description?: unknown } | null)?.description;
    if (typeof d === "string") out += `// ${d}\n`;
    out += `${key}${required.has(key) ? "" : "?"}: ${tsType(sub)},\n`;
  }
  return out;
}

/**
 * The text the service puts in front of the conversation for function tools (a TypeScript-like
 * `namespace functions`, as OpenAI's models see tool definitions); counting its tokens is how the
 * sim charges tool definitions to the prompt. An estimate of the right size, not checked against
 * the service's own counts.
 */
export function toolsPrompt(tools: readonly ToolForPrompt[]): string {
  let out = "# Tools\n\n## functions\n\nnamespace functions {\n\n";
  for (const t of tools) {
    if (t.description !== undefined) out += `// ${t.description}\n`;
    const params = t.parameters as Record<string, unknown> | undefined;
    const hasProps = params !== undefined && Object.keys((params.properties ?? {}) as object).length > 0;
    out += hasProps
      ? `type ${t.name} = (_: {\n${tsProps(params)}}) => any;\n\n`
      : `type ${t.name} = () => any;\n\n`;
  }
  return `${out}} // namespace functions`;
}

/** Prompt tokens of the tool definitions: their rendering, framed as one system message. */
export function countToolTokens(counter: TokenCounter, tools: readonly ToolForPrompt[]): number {
  if (tools.length === 0) return 0;
  return TOKENS_PER_MESSAGE + counter.count("system") + counter.count(toolsPrompt(tools));
}
