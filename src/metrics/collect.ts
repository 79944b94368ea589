import type { Lane } from "../dispatch/lane.js";
import type { ModelQueues } from "../dispatch/model-queues.js";
import type { BudgetStore } from "../limits/budget-store.js";
import type { BudgetView } from "../strategies/types.js";
import type { BudgetMetrics, EndpointMetrics, RouterMetrics } from "../types.js";

const finite = (n: number | undefined): number | null => (n === undefined || !Number.isFinite(n) ? null : n);

function budget(view: BudgetView): BudgetMetrics {
  return {
    limit: finite(view.limit),
    remaining: view.remaining === Number.POSITIVE_INFINITY ? null : Math.floor(view.remaining),
    capacity: finite(view.capacity),
    msUntilFull: view.msUntilFull,
  };
}

/** Builds a JSON-safe snapshot of the lanes and the queue (no keys: lanes expose none). */
export function collectMetrics(
  lanes: readonly Lane[],
  store: BudgetStore,
  queue: ModelQueues,
  maxSize: number,
  pending: number,
  now: number,
): RouterMetrics {
  let requests = 0;
  let succeeded = 0;
  let failed = 0;
  let inflight = 0;
  const endpoints = lanes.map((lane): EndpointMetrics => {
    const snap = lane.snapshot(now);
    const state = store.view(lane.id, now);
    const c = lane.counters;
    requests += c.attempts;
    succeeded += c.succeeded;
    failed += c.failed;
    inflight += snap.inflight;
    return {
      name: lane.id,
      type: lane.type,
      models: lane.models,
      state: snap.state,
      streamCircuit: lane.streamCircuit(now),
      inflight: snap.inflight,
      concurrency: finite(snap.concurrency),
      peakInflight: c.peakInflight,
      attempts: c.attempts,
      succeeded: c.succeeded,
      failed: c.failed,
      rateLimited: c.rateLimited,
      byStatus: { ...c.byStatus },
      requestsPerSecond: lane.requestRate.perSecond(now),
      tokensPerMinute: lane.tokenRate.sum(now, 60),
      promptTokens: c.promptTokens,
      completionTokens: c.completionTokens,
      cachedTokens: c.cachedTokens,
      reasoningTokens: c.reasoningTokens,
      latencyMs: finite(snap.latencyMs),
      ttftMs: finite(snap.ttftMs),
      msPerToken: finite(snap.msPerToken),
      rpm: budget(snap.rpm),
      tpm: budget(snap.tpm),
      coolingUntil: state.coolingUntil,
      reopensAt: lane.reopensAt,
      outstandingReservations: state.outstanding,
      disabledModels: lane.disabledFor,
    };
  });
  return {
    at: now,
    queue: { depth: queue.size, maxSize, byPriority: queue.sizesByPriority(), byModel: queue.sizesByModel() },
    endpoints,
    totals: { requests, succeeded, failed, inflight, pending },
  };
}
