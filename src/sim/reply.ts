import type { OutgoingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";
import type { StreamEvent } from "./chat.js";
import type { Clock } from "./clock.js";
import type { Flavor, WireError } from "./errors.js";
import type { Exchange, ExchangeTimers } from "./exchange.js";
import type { FaultState } from "./faults.js";
import { TIMER_RESOLUTION_MS, type Timing } from "./latency.js";
import type { EndpointLimiter } from "./limits.js";
import { type Rng, randomHex, randomUuid } from "./prng.js";
import type { StatsRecorder } from "./stats.js";

/** What {@link ReplyWriter} takes from the endpoint it writes for. */
export interface ReplyWriterConfig {
  readonly name: string;
  readonly flavor: Flavor;
  readonly now: Clock;
  /** The endpoint's id stream; request ids are drawn from it. */
  readonly ids: Rng;
  readonly limiter: EndpointLimiter;
  readonly stats: StatsRecorder;
  readonly faults: FaultState;
  readonly timers: ExchangeTimers;
}

/**
 * Writes one endpoint's answers: the headers the services send with every response (request id,
 * processing time, rate-limit counters), JSON bodies, and SSE streams paced by the latency model.
 * Counts each status line and the tokens actually streamed in the endpoint's stats.
 */
export class ReplyWriter {
  constructor(private readonly config: ReplyWriterConfig) {}

  /** Sends a JSON body, unless the client has gone. */
  send(ex: Exchange, status: number, body: string, extra?: Readonly<Record<string, string>>): void {
    if (ex.closed) return;
    const headers = this.#headers(ex, "application/json");
    if (extra !== undefined) Object.assign(headers, extra);
    // writeHead renders the header block at once, so without an explicit length Node would chunk.
    headers["content-length"] = Buffer.byteLength(body);
    this.#head(ex, status, headers);
    ex.res.end(body);
  }

  sendError(ex: Exchange, error: WireError): void {
    this.send(ex, error.status, error.body, error.headers);
  }

  /** Streams SSE events on the latency model's schedule (chat chunks or Responses events). */
  stream(ex: Exchange, all: readonly StreamEvent[], promptTokens: number, timing: Timing): void {
    const { stats, timers } = this.config;
    const cutAfter = this.config.faults.current.resetMidStreamAfterChunks;
    let events = all;
    let cut = false;
    if (cutAfter !== undefined) {
      let seen = 0;
      const at = events.findIndex((e) => e.kind === "content" && seen++ === cutAfter);
      if (at !== -1) {
        events = events.slice(0, at);
        cut = true;
      }
    }
    const due = (e: StreamEvent) =>
      e.kind === "preamble" ? 0 : timing.ttftMs + e.position * timing.perTokenMs;

    const start = () => {
      if (ex.closed) return;
      const headers = this.#headers(ex, "text/event-stream; charset=utf-8");
      headers["cache-control"] = "no-cache";
      this.#head(ex, 200, headers);
      stats.promptTokens += promptTokens;
      const t0 = performance.now();
      let next = 0;
      // Writes every event already due in one write, then sleeps until the next one: one timer per
      // batch rather than per token, and none at all when the latency is zero.
      const pump = () => {
        if (ex.closed) return;
        const elapsed = performance.now() - t0;
        let batch = "";
        let tokens = 0;
        // An event due within the timer resolution goes now: a timer could only make it later.
        while (next < events.length && due(events[next]!) < elapsed + TIMER_RESOLUTION_MS) {
          const e = events[next++]!;
          batch += e.data;
          if (e.kind === "content") tokens++;
        }
        stats.completionTokens += tokens;
        if (next < events.length) {
          if (batch !== "") ex.res.write(batch);
          timers.later(ex, pump, due(events[next]!) - elapsed);
        } else if (cut) {
          const socket = ex.req.socket;
          // Destroy only once the chunks are handed to the kernel, so the client does receive them.
          ex.res.write(batch, () => socket.destroy());
        } else {
          ex.res.end(batch);
        }
      };
      pump();
    };
    timers.after(ex, timing.startMs, start);
  }

  #headers(ex: Exchange, contentType: string): OutgoingHttpHeaders {
    const { flavor, ids, limiter } = this.config;
    const headers: OutgoingHttpHeaders = {
      "content-type": contentType,
      "openai-processing-ms": String(Math.max(0, Math.round(this.config.now() - ex.started))),
      "x-sim-endpoint": this.config.name,
    };
    if (flavor === "azure") {
      const id = randomUuid(ids);
      headers["apim-request-id"] = id;
      headers["x-request-id"] = id;
    } else {
      headers["x-request-id"] = `req_${randomHex(ids, 32)}`;
    }
    const rate = ex.rateHeaders ?? (limiter.hasRateLimits ? limiter.headers(flavor) : undefined);
    if (rate !== undefined) Object.assign(headers, rate);
    return headers;
  }

  #head(ex: Exchange, status: number, headers: OutgoingHttpHeaders): void {
    ex.status = status;
    this.config.stats.status(status);
    ex.res.writeHead(status, headers);
  }
}
