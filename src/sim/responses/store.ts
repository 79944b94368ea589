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

  constructor(private readonly capacity = DEFAULT_STORED_RESPONSES) {}

  get size(): number {
    return this.#entries.size;
  }

  put(id: string, entry: StoredResponse): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
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
    return this.#entries.delete(id);
  }
}
