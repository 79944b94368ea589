import type { StreamEvent } from "../chat.js";
import type { Clock } from "../clock.js";
import { apiError, type Flavor, invalidParam, type RateLimitContext, type WireError } from "../errors.js";
import { INSTANT, type Timing, totalDelayMs } from "../latency.js";
import { DEFAULT_OUTPUT_CHARGE } from "../limits.js";
import { deriveSeed, hashString, mulberry32, type Rng } from "../prng.js";
import { type PromptCache, type PromptPiece, withCachedPrefix } from "../prompt-cache.js";
import { REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, type TokenCounter, toolsPrompt } from "../tokens.js";
import { invalidEnum } from "../validation/checks.js";
import { modelLimits } from "../validation/models.js";
import { type InputEntry, type Item, pieceOf, unansweredOutput } from "./items.js";
import { planResponse } from "./plan.js";
import { failedPlan, finalResponse, renderResponseEvents, responseObject } from "./render.js";
import { ResponseStore, type StoredResponse } from "./store.js";
import { parseResponsesBody, type ResponsesRequest } from "./validate.js";

/**
 * What the Responses API needs from the HTTP server hosting it. `X` is the server's own record of
 * one exchange, opaque here.
 */
export interface ResponsesHost<X> {
  readonly flavor: Flavor;
  readonly seed: number;
  readonly name: string;
  readonly now: Clock;
  readonly tokens: TokenCounter;
  readonly cache: PromptCache;
  /** The body's `model` → the model name a response reports, or the 404/400 to send. */
  resolveModel(model: string): string | WireError;
  /** Faults, then limits; false when the answer (or a reset) has already been sent. */
  admit(ex: X, charge: number, rl: RateLimitContext): boolean;
  /** True when the `hang` fault holds admitted requests unanswered. */
  hanging(): boolean;
  /** The `responseFailedAfterChunks` fault: streams end with `response.failed` after this many deltas. */
  failAfterChunks(): number | undefined;
  timing(): Timing;
  after(ex: X, ms: number, fn: () => void): void;
  send(ex: X, status: number, body: string): void;
  sendError(ex: X, error: WireError): void;
  /** Streams the events after the latency model's delays; counts `content` events as output. */
  stream(ex: X, events: readonly StreamEvent[], promptTokens: number, timing: Timing): void;
  /** Counts the tokens of a non-streamed answer in the endpoint's stats. */
  record(promptTokens: number, completionTokens: number): void;
}

/** Which state operation a `/responses/{id}…` URL names. */
export type ResponseAction = "retrieve" | "delete" | "cancel" | "input-items";

/** Options of {@link ResponsesApi}. */
export interface ResponsesApiOptions {
  /**
   * Responses kept per endpoint (least recently used forgotten first).
   * @default 2000
   */
  readonly storeCapacity?: number | undefined;
}

function notFound(id: string): WireError {
  return apiError(404, `Response with id '${id}' not found.`, "invalid_request_error");
}

/**
 * The Responses API of one simulated endpoint: `POST /responses` (JSON or typed SSE events), and the
 * stored state behind `GET`/`DELETE /responses/{id}`, `POST …/cancel`, `GET …/input_items`. Stored
 * responses live on this endpoint only, so `previous_response_id` works only where the response was
 * created: elsewhere it is the service's 404 `previous_response_not_found`.
 */
export class ResponsesApi<X> {
  readonly #host: ResponsesHost<X>;
  readonly #store: ResponseStore;
  readonly #ids: Rng;

  constructor(host: ResponsesHost<X>, options: ResponsesApiOptions = {}) {
    this.#host = host;
    this.#store = new ResponseStore(options.storeCapacity);
    this.#ids = mulberry32(deriveSeed(host.seed, host.name, "responses"));
  }

  /** Responses stored now. */
  get stored(): number {
    return this.#store.size;
  }

  /** Handles `POST /responses` with its parsed JSON body. */
  create(ex: X, json: unknown, apiVersion: string): void {
    const host = this.#host;
    const req = parseResponsesBody(json, this.#ids);
    if ("status" in req) {
      host.sendError(ex, req);
      return;
    }
    const model = host.resolveModel(req.model);
    if (typeof model !== "string") {
      host.sendError(ex, model);
      return;
    }

    let prior: readonly Item[] = [];
    if (req.previousResponseId !== null) {
      const prev = this.#store.get(req.previousResponseId);
      if (prev === undefined) {
        host.sendError(
          ex,
          apiError(
            404,
            `Previous response with id '${req.previousResponseId}' not found.`,
            "invalid_request_error",
            "previous_response_id",
            "previous_response_not_found",
          ),
        );
        return;
      }
      prior = [...prev.context, ...prev.output];
    }
    const input = this.#resolve(req.input);
    if (!Array.isArray(input)) {
      host.sendError(ex, input as WireError);
      return;
    }
    let context = prior.length === 0 ? input : [...prior, ...input];
    const unanswered = unansweredOutput(context);
    if (unanswered !== undefined) {
      host.sendError(ex, unanswered);
      return;
    }

    let pieces = this.#pieces(req, context);
    if (req.format.type === "json_object" && !pieces.some((p) => /json/i.test(p.text))) {
      host.sendError(
        ex,
        invalidParam(
          "input",
          "Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'.",
          "invalid_value",
        ),
      );
      return;
    }
    let inputTokens = this.#count(pieces);
    const window = modelLimits(model).contextWindow;
    // `truncation: "auto"` drops the oldest items until the input fits; "disabled" (the default) refuses.
    if (inputTokens > window && req.echo.truncation === "auto") {
      const head = pieces.length - context.length; // instructions and tools stay
      let drop = 0;
      while (inputTokens > window && drop < context.length - 1) {
        inputTokens -= this.#count([pieces[head + drop]!]) - REPLY_PRIMING_TOKENS;
        drop++;
      }
      context = context.slice(drop);
      pieces = [...pieces.slice(0, head), ...pieces.slice(head + drop)];
    }
    if (inputTokens > window) {
      host.sendError(
        ex,
        invalidParam(
          "input",
          "Your input exceeds the context window of this model. Please adjust your input and try again.",
          "context_length_exceeded",
        ),
      );
      return;
    }

    const rl: RateLimitContext = { flavor: host.flavor, op: "responses", model, apiVersion };
    if (!host.admit(ex, inputTokens + (req.maxOutputTokens ?? DEFAULT_OUTPUT_CHARGE), rl)) return;
    if (host.hanging()) return;

    const { cachedTokens, writtenTokens } = host.cache.lookup(
      model,
      pieces,
      inputTokens,
      req.promptCacheKey ?? undefined,
      req.promptCacheRetention,
    );
    const planned = planResponse({
      req,
      model,
      context,
      pieces,
      inputTokens,
      cachedTokens,
      writtenTokens,
      ids: this.#ids,
      seed: host.seed,
      tokens: host.tokens,
      now: host.now(),
    });
    const failAfter = req.stream ? host.failAfterChunks() : undefined;
    const plan = (failAfter === undefined ? undefined : failedPlan(planned, failAfter)) ?? planned;
    const timing = withCachedPrefix(host.timing(), cachedTokens, inputTokens);
    const final = finalResponse(plan);
    const outputItems = plan.outputs.map((o) => o.item);
    const longest = plan.outputs.reduce((n, o) => n + o.pieces.length, 0);
    const entry = (background: boolean, readyAt: number): StoredResponse => ({
      response: final,
      input,
      context,
      output: outputItems,
      background,
      readyAt,
      final,
      queued: background ? responseObject(plan, "queued") : final,
      cancelled: false,
    });

    if (req.stream) {
      const events = renderResponseEvents(plan, mulberry32(hashString(plan.id, host.seed)));
      if (req.store) {
        const stored = entry(req.background, host.now());
        if (req.background) stored.replay = plan; // re-rendered on demand: the same seed, the same events
        this.#store.put(plan.id, stored);
      }
      host.stream(ex, events, inputTokens, timing);
      return;
    }
    if (req.background) {
      // Answered at once with `queued`; the work finishes on the sim's clock, seen by retrieve.
      const stored = entry(true, host.now() + totalDelayMs(timing, longest));
      this.#store.put(plan.id, stored);
      host.record(inputTokens, plan.outputTokens);
      host.send(ex, 200, JSON.stringify(stored.queued));
      return;
    }
    host.after(ex, totalDelayMs(timing, longest), () => {
      if (req.store) this.#store.put(plan.id, entry(false, host.now()));
      host.record(inputTokens, plan.outputTokens);
      host.send(ex, 200, JSON.stringify(final));
    });
  }

  /** Handles the state operations on a stored response. */
  state(ex: X, action: ResponseAction, id: string, query: URLSearchParams): void {
    const host = this.#host;
    const entry = this.#store.get(id);
    if (entry === undefined) {
      host.sendError(ex, notFound(id));
      return;
    }
    switch (action) {
      case "retrieve": {
        if (query.get("stream") === "true") this.#replay(ex, entry, query);
        else host.send(ex, 200, JSON.stringify(this.#view(entry)));
        return;
      }
      case "delete":
        this.#store.delete(id);
        {
          host.send(ex, 200, JSON.stringify({ id, object: "response", deleted: true }));
          return;
        }
      case "cancel": {
        if (!entry.background) {
          host.sendError(ex, apiError(400, "Cannot cancel a synchronous response.", "invalid_request_error"));
          return;
        }
        // A background response still running becomes `cancelled`; a finished one is returned as it is.
        if (!entry.cancelled && host.now() < entry.readyAt) entry.cancelled = true;
        host.send(ex, 200, JSON.stringify(this.#view(entry)));
        return;
      }
      case "input-items": {
        this.#inputItems(ex, entry, query);
        return;
      }
    }
  }

  /**
   * `GET …/{id}?stream=true[&starting_after=n]`: a background response created with `stream: true`
   * replays its events after sequence number n (all of them without it), as a stream resumes.
   */
  #replay(ex: X, entry: StoredResponse, query: URLSearchParams): void {
    const host = this.#host;
    const plan = entry.replay;
    if (plan === undefined) {
      host.sendError(
        ex,
        invalidParam(
          "stream",
          "This response cannot be streamed because it was not created with background=true and stream=true.",
          null,
        ),
      );
      return;
    }
    const raw = query.get("starting_after");
    const after = raw === null ? -1 : Number(raw);
    if (!Number.isInteger(after) || after < -1) {
      host.sendError(
        ex,
        invalidParam("starting_after", `Invalid 'starting_after': ${raw}.`, "invalid_value"),
      );
      return;
    }
    const events = renderResponseEvents(plan, mulberry32(hashString(plan.id, host.seed)));
    host.stream(ex, events.slice(after + 1), 0, INSTANT);
  }

  #view(entry: StoredResponse): Record<string, unknown> {
    if (!entry.background) return entry.response;
    if (entry.cancelled) return { ...entry.queued, status: "cancelled" };
    return this.#host.now() >= entry.readyAt ? entry.final : { ...entry.queued, status: "in_progress" };
  }

  #inputItems(ex: X, entry: StoredResponse, query: URLSearchParams): void {
    const host = this.#host;
    const rawLimit = query.get("limit");
    const limit = rawLimit === null ? 20 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      host.sendError(
        ex,
        invalidParam(
          "limit",
          `Invalid 'limit': integer out of range. Expected a value between 1 and 100, but got ${rawLimit} instead.`,
          "integer_out_of_range",
        ),
      );
      return;
    }
    const order = query.get("order") ?? "desc";
    if (order !== "asc" && order !== "desc") {
      host.sendError(ex, invalidEnum("order", order, ["asc", "desc"]));
      return;
    }
    let items = order === "asc" ? [...entry.input] : [...entry.input].reverse();
    const after = query.get("after");
    if (after !== null) {
      const at = items.findIndex((i) => i.id === after);
      items = at === -1 ? [] : items.slice(at + 1);
    }
    const data = items.slice(0, limit);
    host.send(
      ex,
      200,
      JSON.stringify({
        object: "list",
        data,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
        has_more: items.length > limit,
      }),
    );
  }

  /**
   * Replaces each `item_reference` by the stored item it names; one this endpoint does not hold is
   * the service's 404 (it never saw the item, or it was stored with `store: false`).
   */
  #resolve(entries: readonly InputEntry[]): readonly Item[] | WireError {
    if (!entries.some((e) => e.type === "item_reference")) return entries as readonly Item[];
    const items: Item[] = [];
    for (const e of entries) {
      if (e.type !== "item_reference") {
        items.push(e);
        continue;
      }
      const item = this.#store.item(e.id);
      if (item === undefined) {
        return apiError(
          404,
          `Item with id '${e.id}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
          "invalid_request_error",
          "input",
        );
      }
      items.push(item);
    }
    return items;
  }

  /** Input tokens as chat counts messages: 3 + role + text each, + 3 for the reply priming. */
  #count(pieces: readonly PromptPiece[]): number {
    const tokens = this.#host.tokens;
    let n = REPLY_PRIMING_TOKENS;
    for (const p of pieces) n += TOKENS_PER_MESSAGE + tokens.count(p.role) + tokens.count(p.text);
    return n;
  }

  /** What the model reads, in order: instructions, tool definitions, then the conversation. */
  #pieces(req: ResponsesRequest, context: readonly Item[]): PromptPiece[] {
    const pieces: PromptPiece[] = [];
    if (req.instructions !== null) pieces.push({ role: "developer", text: req.instructions });
    // Tool definitions read as chat's do: one system message rendering them (src/sim/tokens.ts).
    if (req.functions.length > 0) pieces.push({ role: "system", text: toolsPrompt(req.functions) });
    for (const item of context) pieces.push(pieceOf(item));
    return pieces;
  }
}
