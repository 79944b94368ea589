import type { FailureKind } from "./resilience/classify.js";

/**
 * Everything the router reports on `events$`: a closed union named with past-tense verbs. Payloads
 * are plain data; no event carries a key, a token or a request body.
 */
export type RouterEvent =
  /** A request was bound to a lane (late binding: when that lane could admit it). */
  | {
      type: "dispatched";
      at: number;
      id: string;
      endpoint: string;
      model: string;
      attempt: number;
      queuedMs: number;
    }
  /** An attempt failed and the request goes back to the queue for another one. */
  | {
      type: "retried";
      at: number;
      id: string;
      endpoint: string;
      model: string;
      attempt: number;
      reason: FailureKind;
      status: number | undefined;
      delayMs: number;
    }
  /** The next attempt will avoid the lane that failed. */
  | { type: "failed-over"; at: number; id: string; from: string; model: string; reason: FailureKind }
  /** A model could not be served in time; its fallback takes over. */
  | { type: "fallback-used"; at: number; id: string; from: string; to: string }
  /** A request was refused before it could wait (QUEUE_FULL, REQUEST_TOO_LARGE, …). */
  | { type: "rejected"; at: number; id: string; code: string }
  /** A 429 stopped admission to a lane until `until`. */
  | {
      type: "cooled-down";
      at: number;
      endpoint: string;
      until: number;
      retryAfterMs: number | undefined;
      capped: boolean;
    }
  /**
   * A lane's circuit opened. `scope: "endpoint"` stops every call; `"streams"` only streams (the
   * endpoint cut streams after answering, while plain calls may still work).
   */
  | {
      type: "circuit-opened";
      at: number;
      endpoint: string;
      scope: CircuitScope;
      until: number;
      reason: FailureKind;
    }
  | { type: "circuit-half-opened"; at: number; endpoint: string; scope: CircuitScope }
  /** A lane whose circuit was open (or that was disabled) served a request again. */
  | { type: "recovered"; at: number; endpoint: string; scope: CircuitScope }
  /** 401/403 or exhausted billing quota: the endpoint is taken out until a later probe. */
  | {
      type: "endpoint-disabled";
      at: number;
      endpoint: string;
      reason: FailureKind;
      status: number | undefined;
      until: number;
    }
  /** 404 for a model's deployment: that endpoint stops getting that model. */
  | {
      type: "model-disabled";
      at: number;
      endpoint: string;
      model: string;
      status: number | undefined;
      /** When the model is tried on this endpoint again (`breaker.disabledProbeMs` later). */
      until: number;
    }
  /** The service's headers told a limit that differs from the configured one (or none was configured). */
  | {
      type: "limits-learned";
      at: number;
      endpoint: string;
      rpm: number | undefined;
      tpm: number | undefined;
    }
  /**
   * The shared store (Redis) stopped answering: until it is back, budgets follow `policy`
   * (`local-share`: each replica spends `limit / replicas`; `pause`: nothing new is admitted, requests
   * wait in the queue within their deadlines). `reason` never carries a secret.
   */
  | {
      type: "shared-store-down";
      at: number;
      reason: string;
      policy: "local-share" | "pause";
      /** Live replicas as last counted before the outage (what `local-share` divides by). */
      replicas: number;
    }
  /** The shared store answers again: leases resume, and what was spent meanwhile is charged to it. */
  | { type: "shared-store-up"; at: number; downMs: number };

/** Which circuit of a lane an event is about. */
export type CircuitScope = "endpoint" | "streams";

/** The `type` of a {@link RouterEvent}. */
export type RouterEventType = RouterEvent["type"];
