import type { ResolvedConfig } from "../config.js";
import { Ewma } from "../metrics/ewma.js";
import type { RequestKind } from "../strategies/types.js";

/**
 * A lane's time-decayed latency figures, what least-latency and the metrics read: ms per output
 * token of a chat call, time to first token of a stream, and the whole latency of anything else.
 */
export class LatencyFigures {
  private msPerTokenEwma: Ewma;
  private ttftEwma: Ewma;
  private latencyEwma: Ewma;
  // The latest sample, which `restart` keeps: fields, not an object, so sampling allocates nothing.
  private lastKind: RequestKind | undefined;
  private lastElapsedMs = 0;
  private lastOutputTokens: number | undefined;
  private lastTtftMs: number | undefined;
  private lastAt = 0;

  constructor(
    private readonly options: Pick<ResolvedConfig["latency"], "halfLifeMs" | "minAlpha" | "failurePenaltyMs">,
  ) {
    this.msPerTokenEwma = this.fresh();
    this.ttftEwma = this.fresh();
    this.latencyEwma = this.fresh();
  }

  get msPerToken(): number | undefined {
    return this.msPerTokenEwma.value;
  }

  get ttftMs(): number | undefined {
    return this.ttftEwma.value;
  }

  get latencyMs(): number | undefined {
    return this.latencyEwma.value;
  }

  /** A successful attempt of `kind` that took `elapsedMs` (and `outputTokens`, for a chat call). */
  sample(
    kind: RequestKind,
    elapsedMs: number,
    outputTokens: number | undefined,
    ttftMs: number | undefined,
    now: number,
  ): void {
    this.lastKind = kind;
    this.lastElapsedMs = elapsedMs;
    this.lastOutputTokens = outputTokens;
    this.lastTtftMs = ttftMs;
    this.lastAt = now;
    this.applyLast();
  }

  private applyLast(): void {
    const kind = this.lastKind;
    const now = this.lastAt;
    const outputTokens = this.lastOutputTokens;
    const ttftMs = this.lastTtftMs;
    const elapsedMs = this.lastElapsedMs;
    if (kind === "chat" && outputTokens !== undefined)
      this.msPerTokenEwma.update(elapsedMs / Math.max(1, outputTokens), now);
    if (kind === "stream" && ttftMs !== undefined) this.ttftEwma.update(ttftMs, now);
    else this.latencyEwma.update(elapsedMs, now);
  }

  /**
   * A failure counts as a slow sample, never a fast one: twice the current figure, at least the
   * configured floor and at most four floors, so a run of failures cannot push the figure so high that
   * a recovered endpoint needs hundreds of samples to win its traffic back.
   */
  penalize(now: number): void {
    const floor = this.options.failurePenaltyMs;
    for (const [ewma, min] of [
      [this.latencyEwma, floor],
      [this.ttftEwma, floor],
      [this.msPerTokenEwma, floor / 100],
    ] as const) {
      ewma.update(Math.min(4 * min, Math.max(2 * (ewma.value ?? 0), min)), now);
    }
  }

  /**
   * Forgets every sample but the latest: after an outage the figures describe the outage, not the
   * endpoint that just came back (its latest success), so least-latency explores it at once instead
   * of waiting for the penalties to decay.
   */
  restart(): void {
    this.msPerTokenEwma = this.fresh();
    this.ttftEwma = this.fresh();
    this.latencyEwma = this.fresh();
    if (this.lastKind !== undefined) this.applyLast();
  }

  private fresh(): Ewma {
    return new Ewma({ halfLifeMs: this.options.halfLifeMs, minAlpha: this.options.minAlpha });
  }
}
