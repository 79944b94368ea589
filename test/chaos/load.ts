/**
 * One request of a chaos run's load: its kind, the API it goes through, its abort plan, and how both
 * of its sides (completions$ and the caller) settle.
 */
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { Router } from "../../src/index.js";
import {
  type AbortPlan,
  type Api,
  type CallerOutcome,
  CHAT_MODEL,
  type ChaosOptions,
  EMBEDDING_MODEL,
  type Kind,
  type Tracked,
} from "./scenario.js";
import { codeOf, intBetween } from "./util.js";

/** What a request is launched into: the run's options and randomness, its router, every request so far. */
export interface Load {
  readonly options: ChaosOptions;
  readonly rng: () => number;
  readonly router: Router;
  readonly tracked: Map<string, Tracked>;
}

/** How a request is aborted, and how its two sides settle: run-chaos.ts's subscriptions call these too. */
const abort = (t: Tracked) => {
  clearTimeout(t.abortTimer);
  t.abortTimer = undefined;
  if (t.done || t.completions.length > 0 || t.controller.signal.aborted) return;
  t.abortedIn = t.kind === "stream" && t.chunks > 0 ? "mid-stream" : t.phase;
  if (t.stop) t.stop();
  else t.controller.abort();
};
export const armAbort = (t: Tracked, ms: number) => {
  t.abortTimer = setTimeout(() => abort(t), ms);
};
export const maybeDone = (t: Tracked) => {
  if (t.done || t.completions.length === 0) return;
  if (t.api !== "subject" && t.caller.length === 0) return;
  t.done = true;
  clearTimeout(t.abortTimer);
  t.abortTimer = undefined;
  t.onDone?.();
};
const callerSettled = (t: Tracked, outcome: CallerOutcome) => {
  t.caller.push(outcome);
  maybeDone(t);
};
const onChunk = (t: Tracked, chunk: ChatCompletionChunk) => {
  t.chunks += 1;
  const choice = chunk.choices[0];
  if (choice?.delta?.content) t.contentChunks += 1;
  if (choice?.finish_reason) t.sawFinish = true;
  if (t.plan?.mode === "after-chunks" && t.contentChunks === t.plan.chunks) abort(t);
};

export function launch(load: Load, i: number): Tracked {
  const { options, rng, router, tracked } = load;
  const roll = rng();
  const kind: Kind = roll < 0.5 ? "chat" : roll < 0.75 ? "stream" : "embeddings";
  const api: Api =
    kind === "stream" ? (rng() < 0.7 ? "promise" : "observable") : rng() < 0.5 ? "promise" : "subject";
  let plan: AbortPlan | undefined;
  if (rng() < 0.05) {
    const mode = rng();
    if (kind === "stream" && mode < 0.35) plan = { mode: "after-chunks", chunks: intBetween(rng, 1, 3) };
    else if (mode < 0.7) plan = { mode: "timer", ms: intBetween(rng, 0, 250) };
    else plan = { mode: "after-dispatch", ms: intBetween(rng, 0, 40) };
  }
  const inputs = kind === "embeddings" ? intBetween(rng, 1, 4) : 1;
  const t: Tracked = {
    id: `chaos-${options.seed}-${i}`,
    kind,
    api,
    inputs,
    plan,
    controller: new AbortController(),
    phase: "waiting",
    dispatches: 0,
    abortedIn: undefined,
    abortTimer: undefined,
    stop: undefined,
    chunks: 0,
    contentChunks: 0,
    sawFinish: false,
    completions: [],
    caller: [],
    response: undefined,
    done: false,
    onDone: undefined,
  };
  tracked.set(t.id, t);
  const signal = t.controller.signal;
  const messages = [
    { role: "user" as const, content: `chaos ${options.seed} request ${i}: tell me something` },
  ];
  const maxTokens = intBetween(rng, 8, 48);
  const failed = (error: unknown) => callerSettled(t, { ok: false, code: codeOf(error), error });
  if (plan?.mode === "timer") armAbort(t, plan.ms);

  if (kind === "embeddings") {
    const words = ["alpha", "beta", "gamma", "delta"].slice(0, inputs).map((w) => `${w} ${i}`);
    const body = { model: EMBEDDING_MODEL, input: inputs === 1 ? (words[0] as string) : words };
    if (api === "subject") router.requests.next({ id: t.id, kind: "embeddings", body, signal });
    else {
      router.embeddings.create(body, { id: t.id, signal }).then((response) => {
        t.response = response;
        callerSettled(t, { ok: true, value: "response" });
      }, failed);
    }
  } else if (kind === "chat") {
    const body = { model: CHAT_MODEL, messages, max_tokens: maxTokens };
    if (api === "subject") router.requests.next({ id: t.id, kind: "chat", body, signal });
    else {
      router.chat.completions.create(body, { id: t.id, signal }).then((response) => {
        t.response = response;
        callerSettled(t, { ok: true, value: "response" });
      }, failed);
    }
  } else {
    const includeUsage = rng() < 0.5;
    const body = {
      model: CHAT_MODEL,
      messages,
      max_tokens: maxTokens,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    };
    if (api === "observable") {
      const sub = router.stream(body, { id: t.id, signal }).subscribe({
        next: (chunk) => onChunk(t, chunk),
        error: failed,
        complete: () => callerSettled(t, { ok: true, value: "stream-ended" }),
      });
      // Half of the observable streams planned for a mid-stream abort stop by unsubscribing instead.
      if (plan?.mode === "after-chunks" && i % 2 === 0) {
        t.stop = () => {
          sub.unsubscribe();
          callerSettled(t, { ok: true, value: "unsubscribed" });
        };
      }
    } else {
      (async () => {
        const stream = await router.chat.completions.create({ ...body, stream: true }, { id: t.id, signal });
        for await (const chunk of stream) onChunk(t, chunk);
      })().then(() => callerSettled(t, { ok: true, value: "stream-ended" }), failed);
    }
  }
  return t;
}
