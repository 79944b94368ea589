/**
 * Counters of one endpoint since start or the last `resetStats`.
 *
 * @example
 * ```ts
 * const { requests, byStatus, peakConcurrency } = fleet.stats("east");
 * ```
 */
export interface EndpointStats {
  /** HTTP requests received (whatever their outcome). */
  readonly requests: number;
  /** Responses by status code, counted when the status line is written. */
  readonly byStatus: Readonly<Record<number, number>>;
  /** Prompt tokens of requests answered 200. */
  readonly promptTokens: number;
  /** Completion tokens actually sent (a stream cut after k chunks counts k). */
  readonly completionTokens: number;
  /** Most requests admitted and in flight at once. */
  readonly peakConcurrency: number;
  /** Requests admitted and not finished now. */
  readonly inflight: number;
  /** Requests that ended without a status line: resets, hangs, clients that gave up first. */
  readonly dropped: number;
}

/** Mutable counters behind `EndpointStats`; `snapshot` copies them so callers never see later changes. */
export class StatsRecorder {
  requests = 0;
  byStatus: Record<number, number> = {};
  promptTokens = 0;
  completionTokens = 0;
  peakConcurrency = 0;
  inflight = 0;
  dropped = 0;

  status(code: number): void {
    this.byStatus[code] = (this.byStatus[code] ?? 0) + 1;
  }

  enter(): void {
    this.inflight++;
    if (this.inflight > this.peakConcurrency) this.peakConcurrency = this.inflight;
  }

  leave(): void {
    this.inflight--;
  }

  /** Zeroes the counters; requests still in flight stay counted in `inflight`. */
  reset(): void {
    this.requests = 0;
    this.byStatus = {};
    this.promptTokens = 0;
    this.completionTokens = 0;
    this.peakConcurrency = this.inflight;
    this.dropped = 0;
  }

  snapshot(): EndpointStats {
    return {
      requests: this.requests,
      byStatus: { ...this.byStatus },
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      peakConcurrency: this.peakConcurrency,
      inflight: this.inflight,
      dropped: this.dropped,
    };
  }
}
