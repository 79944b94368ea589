import {
  type Flavor,
  injectedError,
  insufficientQuota,
  type RateLimitContext,
  rateLimited,
  type WireError,
} from "./errors.js";
import type { Exchange } from "./exchange.js";
import { DEFAULT_INJECTED_RETRY_AFTER_MS, type FaultState } from "./faults.js";
import type { Admission, EndpointLimiter } from "./limits.js";
import type { ReplyWriter } from "./reply.js";
import type { StatsRecorder } from "./stats.js";

/** What {@link AdmissionGate} takes from the endpoint it guards. */
export interface AdmissionGateConfig {
  readonly flavor: Flavor;
  readonly faults: FaultState;
  readonly limiter: EndpointLimiter;
  readonly stats: StatsRecorder;
  readonly writer: ReplyWriter;
}

/**
 * Decides whether a valid request gets served: faults first (reset, 429 storm, insufficient
 * quota, injected error), then the endpoint's limits (429 quoting the limit hit).
 */
export class AdmissionGate {
  constructor(private readonly config: AdmissionGateConfig) {}

  /**
   * Applies faults, then limits. Returns true when the request is admitted (charged and counted in
   * flight); otherwise the answer (or reset) has been sent. Faulted and refused requests cost nothing.
   */
  admit(ex: Exchange, charge: number, rl: RateLimitContext): boolean {
    const { faults, limiter, stats, writer } = this.config;
    if (faults.drawReset()) {
      ex.req.socket.resetAndDestroy();
      return false;
    }
    const storm = faults.stormRemainingMs();
    if (storm > 0) {
      writer.sendError(ex, rateLimited(rl, { kind: "fault", retryAfterMs: storm }));
      return false;
    }
    if (faults.current.insufficientQuota) {
      writer.sendError(ex, insufficientQuota());
      return false;
    }
    const injected = faults.drawError();
    if (injected !== undefined) {
      const retryAfterMs = faults.current.errorRetryAfterMs ?? DEFAULT_INJECTED_RETRY_AFTER_MS;
      writer.sendError(ex, injectedError(rl, injected, retryAfterMs));
      return false;
    }
    const verdict = limiter.admit(charge, stats.inflight);
    if (!verdict.ok) {
      writer.sendError(ex, refusal(limiter, verdict, charge, rl));
      return false;
    }
    if (limiter.hasRateLimits) ex.rateHeaders = limiter.headers(this.config.flavor);
    ex.admitted = true;
    stats.enter();
    return true;
  }
}

/** The 429 for a request the limiter refused, quoting the limit it hit. */
function refusal(
  limiter: EndpointLimiter,
  verdict: Exclude<Admission, { ok: true }>,
  charge: number,
  rl: RateLimitContext,
): WireError {
  const { requests, tokens, config } = limiter;
  switch (verdict.reason) {
    case "tokens-too-large":
      return rateLimited(rl, { kind: verdict.reason, limit: config.tpm ?? 0, requested: charge });
    case "concurrency":
      return rateLimited(rl, {
        kind: verdict.reason,
        retryAfterMs: verdict.retryAfterMs,
        limit: config.concurrency,
      });
    case "requests":
    case "tokens": {
      const byTokens = verdict.reason === "tokens";
      const bucket = byTokens ? tokens : requests;
      return rateLimited(rl, {
        kind: verdict.reason,
        retryAfterMs: verdict.retryAfterMs,
        limit: byTokens ? config.tpm : config.rpm,
        used: bucket === undefined ? undefined : Math.ceil(bucket.capacity - bucket.level()),
        requested: byTokens ? charge : 1,
      });
    }
  }
}
