import type { AdmissionGate } from "./admission.js";
import { type ChatRequest, type EmbeddingsRequest, parseChatBody, parseEmbeddingsBody } from "./body.js";
import { type ChatPlan, renderCompletion, renderStream } from "./chat.js";
import type { Clock } from "./clock.js";
import { choiceTokens, planChoice } from "./content.js";
import { isEmbeddingModel, nativeDimensions, renderEmbeddings, supportsDimensions } from "./embeddings.js";
import {
  deploymentNotFound,
  type Flavor,
  invalidParam,
  missingParam,
  modelNotFound,
  type Operation,
  type RateLimitContext,
  type WireError,
  wrongOperation,
} from "./errors.js";
import type { Exchange, ExchangeTimers } from "./exchange.js";
import type { FaultState } from "./faults.js";
import { type Timing, totalDelayMs } from "./latency.js";
import { DEFAULT_OUTPUT_CHARGE } from "./limits.js";
import { hashString, type Rng, randomBase62 } from "./prng.js";
import {
  type PromptCache,
  promptCacheKeyOf,
  promptCacheRetentionOf,
  withCachedPrefix,
} from "./prompt-cache.js";
import type { ReplyWriter } from "./reply.js";
import type { StatsRecorder } from "./stats.js";
import { countChatTokens, countToolTokens, imageTokens, type TokenCounter } from "./tokens.js";
import { checkChatFits, checkEmbeddingFits, checkModelParams } from "./validation/models.js";

/** A route that serves a model: which operation, and where the deployment and api-version came from. */
export type Served = {
  readonly op: Operation;
  readonly deployment: string | undefined;
  readonly apiVersion: string;
};

/** What {@link EndpointApi} takes from the endpoint it answers for. */
export interface EndpointApiConfig {
  readonly flavor: Flavor;
  readonly seed: number;
  readonly now: Clock;
  /** openai: model → itself; azure: deployment → model. */
  readonly catalog: ReadonlyMap<string, string>;
  readonly tokens: TokenCounter;
  /** The endpoint's prompt cache, shared with its Responses API. */
  readonly cache: PromptCache;
  /** The endpoint's id stream; completion ids are drawn from it. */
  readonly ids: Rng;
  readonly faults: FaultState;
  readonly stats: StatsRecorder;
  readonly gate: AdmissionGate;
  readonly writer: ReplyWriter;
  readonly timers: ExchangeTimers;
  /** The latency model's delays for the next answer, under the current faults. */
  readonly timing: () => Timing;
}

const MODEL_CREATED = 1_700_000_000;

/**
 * The chat completions, embeddings and models routes of one simulated endpoint (the Responses API
 * has its own, in responses/), and the catalog lookup every model-serving route shares.
 */
export class EndpointApi {
  readonly #fingerprints = new Map<string, string>();

  constructor(private readonly config: EndpointApiConfig) {}

  /** Handles a POST to chat completions or embeddings with its parsed JSON body. */
  answer(ex: Exchange, route: Served, json: unknown): void {
    const { flavor, writer } = this.config;
    const requireModel = route.deployment === undefined;
    const parsed =
      route.op === "chat"
        ? parseChatBody(json, requireModel, flavor === "azure")
        : parseEmbeddingsBody(json, requireModel, flavor === "azure");
    if ("status" in parsed) {
      writer.sendError(ex, parsed);
      return;
    }
    const model = this.resolveModel(route, parsed.model);
    if (typeof model !== "string") {
      writer.sendError(ex, model);
      return;
    }
    const responseModel = flavor === "openai" ? (parsed.model ?? model) : model;
    const rl: RateLimitContext = {
      flavor,
      op: route.op,
      model: responseModel,
      apiVersion: route.apiVersion,
    };
    if ("messages" in parsed) this.#chat(ex, parsed, responseModel, rl, json);
    else this.#embeddings(ex, parsed, model, rl);
  }

  /** The model a route and body name, or the 400/404 the service gives when there is none. */
  resolveModel(route: Served, bodyModel: string | undefined): string | WireError {
    const { flavor, catalog } = this.config;
    let model: string | undefined;
    if (flavor === "openai") {
      if (bodyModel === undefined) return missingParam("model");
      model = catalog.get(bodyModel);
      if (model === undefined) return modelNotFound(bodyModel);
    } else {
      const deployment = route.deployment ?? bodyModel;
      if (deployment === undefined) return missingParam("model");
      model = catalog.get(deployment);
      if (model === undefined) return deploymentNotFound();
    }
    if ((route.op === "embeddings") !== isEmbeddingModel(model))
      return wrongOperation(flavor, route.op, model);
    return model;
  }

  /** Handles `GET /models` and `GET /models/{id}`. */
  models(
    ex: Exchange,
    route: { readonly op: "list-models" } | { readonly op: "get-model"; readonly id: string },
  ): void {
    const { catalog, writer } = this.config;
    const ids = [...catalog.keys()];
    const model = (id: string) => ({ id, object: "model", created: MODEL_CREATED, owned_by: "system" });
    if (route.op === "list-models") {
      writer.send(ex, 200, JSON.stringify({ object: "list", data: ids.map(model) }));
      return;
    }
    if (!catalog.has(route.id)) {
      writer.sendError(ex, modelNotFound(route.id));
      return;
    }
    writer.send(ex, 200, JSON.stringify(model(route.id)));
  }

  #chat(ex: Exchange, req: ChatRequest, model: string, rl: RateLimitContext, body?: unknown): void {
    const { config } = this;
    // Tool definitions and image parts count toward the prompt, as on the services.
    let promptTokens =
      countChatTokens(config.tokens, req.messages) + countToolTokens(config.tokens, req.tools);
    for (const detail of req.images) promptTokens += imageTokens(detail);
    const tooLong =
      checkModelParams(model, req.modelParams) ??
      checkChatFits(model, promptTokens, req.maxTokens, req.maxTokensParam);
    if (tooLong !== undefined) {
      config.writer.sendError(ex, tooLong);
      return;
    }
    if (!config.gate.admit(ex, promptTokens + (req.maxTokens ?? DEFAULT_OUTPUT_CHARGE), rl)) return;
    if (config.faults.current.hang) return;
    const cachedTokens = config.cache.use(
      model,
      req.messages,
      promptTokens,
      promptCacheKeyOf(body),
      promptCacheRetentionOf(body),
    );

    let promptKey = "";
    for (const m of req.messages) promptKey += `${m.role}\u0001${m.text}\u0002`;
    const choices = [];
    let completionTokens = 0;
    let longest = 0;
    const format = req.responseFormat;
    for (let i = 0; i < req.n; i++) {
      const choice = planChoice(config.seed, promptKey, i, { ...req, format });
      const tokens = choiceTokens(choice);
      choices.push(choice);
      completionTokens += tokens;
      longest = Math.max(longest, tokens);
    }
    const plan: ChatPlan = {
      id: `chatcmpl-${randomBase62(config.ids, 29)}`,
      created: Math.floor(config.now() / 1000),
      model,
      fingerprint: this.#fingerprint(model),
      choices,
      promptTokens,
      completionTokens,
      azure: config.flavor === "azure",
      includeUsage: req.includeUsage,
      cachedTokens,
    };
    const timing = withCachedPrefix(config.timing(), cachedTokens, promptTokens);
    if (req.stream) {
      config.writer.stream(ex, renderStream(plan), plan.promptTokens, timing);
      return;
    }

    const answer = () => {
      config.stats.promptTokens += promptTokens;
      config.stats.completionTokens += completionTokens;
      config.writer.send(ex, 200, renderCompletion(plan));
    };
    config.timers.after(ex, totalDelayMs(timing, longest), answer);
  }

  #embeddings(ex: Exchange, req: EmbeddingsRequest, model: string, rl: RateLimitContext): void {
    const { config } = this;
    const native = nativeDimensions(model);
    const badDimensions = checkDimensions(model, req.dimensions, native);
    if (badDimensions !== undefined) {
      config.writer.sendError(ex, badDimensions);
      return;
    }
    let promptTokens = 0;
    const perInput: number[] = [];
    for (const input of req.inputs) {
      const tokens = typeof input === "string" ? config.tokens.count(input) : input.length;
      perInput.push(tokens);
      promptTokens += tokens;
    }
    const tooLong = checkEmbeddingFits(model, perInput);
    if (tooLong !== undefined) {
      config.writer.sendError(ex, tooLong);
      return;
    }
    if (!config.gate.admit(ex, promptTokens, rl)) return;
    if (config.faults.current.hang) return;

    const body = () => {
      config.stats.promptTokens += promptTokens;
      return renderEmbeddings({
        seed: config.seed,
        model,
        inputs: req.inputs,
        dims: req.dimensions ?? native,
        encodingFormat: req.encodingFormat,
        promptTokens,
      });
    };
    const timing = config.timing();
    config.timers.after(ex, timing.startMs + timing.ttftMs, () => config.writer.send(ex, 200, body()));
  }

  #fingerprint(model: string): string {
    let fp = this.#fingerprints.get(model);
    if (fp === undefined) {
      fp = `fp_${hashString(model, this.config.seed).toString(16).padStart(8, "0")}`;
      this.#fingerprints.set(model, fp);
    }
    return fp;
  }
}

function checkDimensions(
  model: string,
  dimensions: number | undefined,
  native: number,
): WireError | undefined {
  if (dimensions === undefined) return undefined;
  if (!supportsDimensions(model)) {
    return invalidParam("dimensions", "This model does not support specifying dimensions.");
  }
  if (dimensions > native) {
    return invalidParam(
      "dimensions",
      `Invalid 'dimensions': integer above maximum value. Expected a value <= ${native}.`,
    );
  }
  return undefined;
}
