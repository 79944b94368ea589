import type { Item } from "./items.js";
import type { ResponsePlan } from "./render.js";

/** A stored response: what `retrieve`, `input_items`, `cancel` and `previous_response_id` read. */
export interface StoredResponse {
  /** The response object as last sent (status completed / incomplete / queued …). */
  response: Record<string, unknown>;
  /** This request's input items, in order. */
  readonly input: readonly Item[];
  /** Everything the model read before answering (earlier turns + this input), instructions aside. */
  readonly context: readonly Item[];
  /** The output items. */
  readonly output: readonly Item[];
  readonly background: boolean;
  /** Background responses: when (sim clock, ms) the answer is ready. */
  readonly readyAt: number;
  /** The final response object of a background request, set as its status once `readyAt` passes. */
  readonly final: Record<string, unknown>;
  /** Background responses: the object `create` answered with (status `queued`); else `final`. */
  readonly queued: Record<string, unknown>;
  cancelled: boolean;
  /** Background responses created with `stream: true`: the plan whose events `?stream=true` replays. */
  replay?: ResponsePlan;
}

/** How many responses one endpoint keeps by default before forgetting the least recently used. */
export const DEFAULT_STORED_RESPONSES = 2_000;

/**
 * One endpoint's stored responses (`store: true`, the default). Bounded: past `capacity` the least
 * recently used one is forgotten, as if it had expired. Never shared between endpoints.
 */
export class ResponseStore {
  readonly #entries = new Map<string, StoredResponse>();
  /** Item id → the response holding it (its input or output), for `item_reference` inputs. */
  readonly #items = new Map<string, string>();

  constructor(private readonly capacity = DEFAULT_STORED_RESPONSES) {}

  get size(): number {
    return this.#entries.size;
  }

  put(id: string, entry: StoredResponse): void {
    this.delete(id);
    this.#entries.set(id, entry);
    for (const item of entry.input) this.#items.set(item.id, id);
    for (const item of entry.output) this.#items.set(item.id, id);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  /** A stored item (input or output of a stored response) by its id. */
  item(itemId: string): Item | undefined {
    const owner = this.#items.get(itemId);
    const entry = owner === undefined ? undefined : this.#entries.get(owner);
    if (entry === undefined) return undefined;
    return entry.input.find((i) => i.id === itemId) ?? entry.output.find((i) => i.id === itemId);
  }

  get(id: string): StoredResponse | undefined {
    const e = this.#entries.get(id);
    if (e !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, e);
    }
    return e;
  }

  delete(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    // An item id re-used by a later response belongs to that one now; leave its entry alone.
    for (const item of entry.input) if (this.#items.get(item.id) === id) this.#items.delete(item.id);
    for (const item of entry.output) if (this.#items.get(item.id) === id) this.#items.delete(item.id);
    return true;
  }
}
