import type { LaneState } from "../../strategies/types.js";
import type { Completion, RouterMetrics } from "../../types.js";
import type { AttributeCache, RequestAttributeSets } from "./attribute-cache.js";
import { type EndpointInfo, isInference, type RequestFacts } from "./describe.js";
import {
  ATTR,
  DURATION_BUCKETS_S,
  type GenAiSemconv,
  METRIC_NAMES,
  QUEUE_WAIT_BUCKETS_S,
  ROUTER_METRICS,
  TOKEN_BUCKETS,
  TOKEN_METRICS_LATEST,
  TOKEN_USAGE_V141,
} from "./semconv.js";
import type {
  OtelAttributes,
  OtelBatchResult,
  OtelCounter,
  OtelHistogram,
  OtelMeter,
  OtelObservable,
} from "./types.js";

const LANE_STATES: readonly LaneState[] = ["healthy", "cooling", "open", "half-open", "disabled"];
/** `openai_router.endpoint.circuit` values. */
const CIRCUIT_VALUE = { closed: 0, "half-open": 1, open: 2 } as const;

interface TokenInstruments {
  /** v1.41: `gen_ai.client.token.usage`, split by `gen_ai.token.type`. */
  readonly usage?: OtelHistogram;
  readonly input?: OtelCounter;
  readonly output?: OtelCounter;
  readonly cacheRead?: OtelCounter;
  readonly reasoning?: OtelCounter;
  readonly inputPerOperation?: OtelHistogram;
  readonly outputPerOperation?: OtelHistogram;
  readonly embeddingsInput?: OtelHistogram;
}

/**
 * The router's metrics on an OpenTelemetry meter. Per request (at its outcome, from its completion):
 * the GenAI duration, token and time-to-first-chunk instruments, queue wait, retries and fallbacks.
 * Everything about endpoints and the queue is observed from one snapshot per collection, so it costs
 * nothing between collections.
 */
export class MetricRecorder {
  private readonly chatDuration: OtelHistogram;
  private readonly embeddingsDuration: OtelHistogram;
  /** Operations that generate nothing (reading, deleting, cancelling a stored response). */
  private readonly otherDuration: OtelHistogram;
  private readonly ttfc: OtelHistogram;
  private readonly tokens: TokenInstruments;
  private readonly queueWait: OtelHistogram;
  private readonly retries: OtelCounter;
  private readonly fallbacks: OtelCounter;
  private readonly observables: OtelObservable[];
  private readonly observe: (result: OtelBatchResult) => void;

  constructor(
    private readonly meter: OtelMeter,
    private readonly semconv: GenAiSemconv,
    private readonly endpoints: ReadonlyMap<string, EndpointInfo>,
    private readonly attributeSets: AttributeCache,
    snapshot: () => RouterMetrics,
    /** Writes the requests whose records are still pending (run first in every collection). */
    beforeCollect: () => void,
  ) {
    const names = METRIC_NAMES[semconv];
    const seconds = (description: string) => ({
      description,
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.chatDuration = meter.createHistogram(names.chatDuration, seconds("GenAI operation duration."));
    this.embeddingsDuration =
      names.embeddingsDuration === names.chatDuration
        ? this.chatDuration
        : meter.createHistogram(
            names.embeddingsDuration,
            seconds("GenAI client embeddings operation duration."),
          );
    this.otherDuration =
      names.otherDuration === names.chatDuration
        ? this.chatDuration
        : meter.createHistogram(names.otherDuration, seconds("GenAI operation duration."));
    this.ttfc = meter.createHistogram(
      names.timeToFirstChunk,
      seconds("Time to receive the first chunk, from when the request reached the router."),
    );
    const tokenHistogram = (name: string, description: string) =>
      meter.createHistogram(name, {
        description,
        unit: "{token}",
        advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
      });
    const tokenCounter = (name: string, description: string) =>
      meter.createCounter(name, { description, unit: "{token}" });
    this.tokens =
      semconv === "v1.41"
        ? { usage: tokenHistogram(TOKEN_USAGE_V141, "Number of input and output tokens used.") }
        : {
            input: tokenCounter(TOKEN_METRICS_LATEST.input, "Input tokens used, including cached tokens."),
            output: tokenCounter(
              TOKEN_METRICS_LATEST.output,
              "Output tokens used, including reasoning tokens.",
            ),
            cacheRead: tokenCounter(
              TOKEN_METRICS_LATEST.cacheRead,
              "Input tokens served from the provider's cache.",
            ),
            reasoning: tokenCounter(TOKEN_METRICS_LATEST.reasoning, "Output tokens used for reasoning."),
            inputPerOperation: tokenHistogram(
              TOKEN_METRICS_LATEST.inputPerOperation,
              "Input tokens per operation.",
            ),
            outputPerOperation: tokenHistogram(
              TOKEN_METRICS_LATEST.outputPerOperation,
              "Output tokens per operation.",
            ),
            embeddingsInput: tokenHistogram(
              TOKEN_METRICS_LATEST.embeddingsInputPerOperation,
              "Input tokens per embeddings operation.",
            ),
          };
    this.queueWait = meter.createHistogram(ROUTER_METRICS.queueWait, {
      description: "Time a request waited in the router's queue before its first attempt.",
      unit: "s",
      advice: { explicitBucketBoundaries: QUEUE_WAIT_BUCKETS_S },
    });
    this.retries = meter.createCounter(ROUTER_METRICS.retries, {
      description: "Attempts that failed and were followed by another attempt, by the endpoint that failed.",
      unit: "{retry}",
    });
    this.fallbacks = meter.createCounter(ROUTER_METRICS.fallbacks, {
      description: "Requests answered by a fallback model.",
      unit: "{request}",
    });

    const gauge = (name: string, description: string, unit: string) =>
      meter.createObservableGauge(name, { description, unit });
    const queueDepth = gauge(
      ROUTER_METRICS.queueDepth,
      "Requests waiting in the router's queue.",
      "{request}",
    );
    const inflight = gauge(ROUTER_METRICS.inflight, "Attempts in flight on an endpoint.", "{request}");
    const rpm = gauge(
      ROUTER_METRICS.rpmRemaining,
      "Requests the endpoint's RPM budget allows now.",
      "{request}",
    );
    const tpm = gauge(ROUTER_METRICS.tpmRemaining, "Tokens the endpoint's TPM budget allows now.", "{token}");
    const cooldown = gauge(
      ROUTER_METRICS.cooldown,
      "Time left in the endpoint's 429 cooldown (0: not cooling).",
      "s",
    );
    const state = gauge(ROUTER_METRICS.state, "1 for the endpoint's current state, 0 for the others.", "1");
    const circuit = gauge(ROUTER_METRICS.circuit, "Circuit state: 0 closed, 1 half-open, 2 open.", "1");
    const rateLimited = meter.createObservableCounter(ROUTER_METRICS.rateLimited, {
      description: "429 answers from the endpoint.",
      unit: "{response}",
    });
    const attempts = meter.createObservableCounter(ROUTER_METRICS.attempts, {
      description: "Attempts sent to the endpoint, by HTTP status (or failure kind without one).",
      unit: "{attempt}",
    });
    this.observables = [queueDepth, inflight, rpm, tpm, cooldown, state, circuit, rateLimited, attempts];
    // The endpoint gauges' attribute objects, built once per endpoint (and per status seen) and frozen:
    // a collection then allocates nothing but the snapshot it reads.
    const gaugeSets = new Map<string, EndpointGaugeSets>();
    const setsOf = (name: string): EndpointGaugeSets => {
      let sets = gaugeSets.get(name);
      if (!sets) {
        sets = endpointGaugeSets(name, this.endpoints.get(name));
        gaugeSets.set(name, sets);
      }
      return sets;
    };
    this.observe = (result) => {
      // The SDK runs observable callbacks before it reads the synchronous instruments, so what is
      // recorded here is in this collection.
      beforeCollect();
      const s = snapshot();
      result.observe(queueDepth, s.queue.depth);
      for (const e of s.endpoints) {
        const sets = setsOf(e.name);
        const at = sets.endpoint;
        result.observe(inflight, e.inflight, at);
        if (e.rpm.remaining !== null) result.observe(rpm, e.rpm.remaining, at);
        if (e.tpm.remaining !== null) result.observe(tpm, e.tpm.remaining, at);
        result.observe(cooldown, Math.max(0, e.coolingUntil - s.at) / 1000, at);
        for (let i = 0; i < LANE_STATES.length; i++)
          result.observe(state, LANE_STATES[i] === e.state ? 1 : 0, sets.states[i]);
        const endpointCircuit =
          e.state === "open" ? "open" : e.state === "half-open" ? "half-open" : ("closed" as const);
        result.observe(circuit, CIRCUIT_VALUE[endpointCircuit], sets.endpointCircuit);
        result.observe(circuit, CIRCUIT_VALUE[e.streamCircuit], sets.streamCircuit);
        result.observe(rateLimited, e.rateLimited, at);
        for (const status in e.byStatus) {
          let byStatus = sets.statuses.get(status);
          if (!byStatus) {
            byStatus = Object.freeze({ ...at, [ATTR.status]: status });
            sets.statuses.set(status, byStatus);
          }
          result.observe(attempts, e.byStatus[status] ?? 0, byStatus);
        }
      }
    };
    meter.addBatchObservableCallback(this.observe, this.observables);
  }

  /**
   * Records one settled request, every measurement with a cached attribute set (the SDK hashes the
   * set per measurement to find its series; the router builds none).
   */
  record(c: Completion, sets: RequestAttributeSets, facts: RequestFacts): void {
    const attributes = sets.metric;
    const duration =
      c.kind === "embeddings"
        ? this.embeddingsDuration
        : isInference(c.kind)
          ? this.chatDuration
          : this.otherDuration;
    duration.record(c.latencyMs / 1000, attributes);

    if (facts.timeToFirstChunkS !== undefined) this.ttfc.record(facts.timeToFirstChunkS, attributes);
    if (facts.queueWaitS !== undefined) this.queueWait.record(facts.queueWaitS, sets.wait);
    const attempts = c.attempts;
    for (let i = 0; i < attempts.length - 1; i++) {
      const a = attempts[i];
      if (a) this.retries.add(1, this.attributeSets.retry(a));
    }
    if (c.model !== c.requestedModel && c.ok) this.fallbacks.add(1, this.attributeSets.fallback(c));

    if (!facts.hasTokens) return;
    const t = this.tokens;
    if (this.semconv === "v1.41") {
      if (facts.input !== undefined) t.usage?.record(facts.input, sets.input);
      if (facts.output !== undefined) t.usage?.record(facts.output, sets.output);
      return;
    }
    if (c.kind === "embeddings") {
      if (facts.input !== undefined) t.embeddingsInput?.record(facts.input, attributes);
      return;
    }
    // The usage counters carry a modality; OpenAI's chat usage does not break totals down by one.
    const withModality = sets.modality;
    if (facts.input !== undefined) {
      t.input?.add(facts.input, withModality);
      t.inputPerOperation?.record(facts.input, attributes);
    }
    if (facts.output !== undefined) {
      t.output?.add(facts.output, withModality);
      t.outputPerOperation?.record(facts.output, attributes);
    }
    if (facts.cacheRead !== undefined) t.cacheRead?.add(facts.cacheRead, withModality);
    if (facts.reasoning !== undefined) t.reasoning?.add(facts.reasoning, withModality);
  }

  /** Stops observing the router (its snapshot is no longer read). */
  close(): void {
    this.meter.removeBatchObservableCallback(this.observe, this.observables);
  }
}

/** One endpoint's gauge attribute sets. */
interface EndpointGaugeSets {
  readonly endpoint: Readonly<OtelAttributes>;
  /** Per {@link LANE_STATES} entry, in order. */
  readonly states: readonly Readonly<OtelAttributes>[];
  readonly endpointCircuit: Readonly<OtelAttributes>;
  readonly streamCircuit: Readonly<OtelAttributes>;
  /** Per `openai_router.status` value seen so far (HTTP statuses and failure kinds: a handful). */
  readonly statuses: Map<string, Readonly<OtelAttributes>>;
}

function endpointGaugeSets(name: string, info: EndpointInfo | undefined): EndpointGaugeSets {
  const endpoint = Object.freeze(
    info ? { [ATTR.endpoint]: name, [ATTR.provider]: info.provider } : { [ATTR.endpoint]: name },
  );
  return {
    endpoint,
    states: LANE_STATES.map((value) => Object.freeze({ ...endpoint, [ATTR.state]: value })),
    endpointCircuit: Object.freeze({ ...endpoint, [ATTR.circuitScope]: "endpoint" }),
    streamCircuit: Object.freeze({ ...endpoint, [ATTR.circuitScope]: "streams" }),
    statuses: new Map(),
  };
}
