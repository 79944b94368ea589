import type { BudgetStore } from "../limits/budget-store.js";
import type { Lane } from "./lane.js";

/**
 * The router's lanes as a whole: found by name, the models they serve, and the largest token budget
 * among a model's lanes (what REQUEST_TOO_LARGE is judged against).
 */
export class Fleet {
  readonly byId: ReadonlyMap<string, Lane>;
  /** Every model some endpoint is configured to serve. */
  readonly models: ReadonlySet<string>;
  /** Largest TPM bucket among each model's lanes; forgotten when a limit is learned. */
  private readonly largest = new Map<string, number>();

  constructor(
    readonly lanes: readonly Lane[],
    private readonly store: BudgetStore,
    models: Iterable<string>,
  ) {
    this.byId = new Map(lanes.map((lane) => [lane.id, lane]));
    this.models = new Set(models);
  }

  /** The largest token budget a request for `model` could fit in (cached until a limit is learned). */
  largestTokenBudget(model: string, now: number): number {
    const known = this.largest.get(model);
    if (known !== undefined) return known;
    let largest = 0;
    for (const lane of this.lanes) {
      if (!lane.isConfiguredFor(model)) continue;
      largest = Math.max(largest, this.store.view(lane.id, now).tpm.capacity);
    }
    this.largest.set(model, largest);
    return largest;
  }

  /** A limit was learned: budgets may have changed size. */
  forgetBudgets(): void {
    this.largest.clear();
  }

  /** Whether a lane outside `avoid` serves `model` (a retry would fail over, not repeat). */
  hasOther(model: string, avoid: ReadonlySet<string>): boolean {
    return this.lanes.some((lane) => !avoid.has(lane.id) && lane.serves(model));
  }
}
