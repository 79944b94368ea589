import { describe, expect, it } from "vitest";
import type { StreamEvent } from "../../src/sim/chat.js";
import type { WireError } from "../../src/sim/errors.js";
import type { Timing } from "../../src/sim/latency.js";
import { PromptCache } from "../../src/sim/prompt-cache.js";
import { ResponsesApi, type ResponsesHost } from "../../src/sim/responses/api.js";
import { TokenCounter } from "../../src/sim/tokens.js";
import { FakeClock } from "./helpers.js";

// ResponsesApi against a recording host: no HTTP, no timers, so delays are read as numbers.

interface Exchange {
  status?: number;
  body?: string;
  delayMs?: number;
  streamed?: { events: readonly StreamEvent[]; timing: Timing };
}

const TIMING: Timing = { startMs: 0, ttftMs: 1_000, perTokenMs: 10 };
const LONG = Array.from({ length: 700 }, (_, i) => `rule ${i % 97}`).join(", ");

function rig() {
  const clock = new FakeClock();
  const host: ResponsesHost<Exchange> = {
    flavor: "openai",
    seed: 1,
    name: "a",
    now: clock.now,
    tokens: new TokenCounter(),
    cache: new PromptCache({ now: clock.now }),
    resolveModel: (model) => model,
    admit: () => true,
    hanging: () => false,
    failAfterChunks: () => undefined,
    timing: () => TIMING,
    after: (ex, ms, fn) => {
      ex.delayMs = ms;
      fn();
    },
    send: (ex, status, body) => {
      ex.status = status;
      ex.body = body;
    },
    sendError: (ex, error: WireError) => {
      ex.status = error.status;
      ex.body = error.body;
    },
    stream: (ex, events, _prompt, timing) => {
      ex.streamed = { events, timing };
    },
    record: () => {},
  };
  return { api: new ResponsesApi(host), clock };
}

describe("ResponsesApi timing", () => {
  // Breaks if a cached prefix does not shorten the answer's delay (the prefill of the cached share).
  it("answers a repeated long prompt sooner: the cached share skips its prefill", () => {
    const { api } = rig();
    const body = { model: "gpt-4o", instructions: LONG, input: "same question" };
    const first: Exchange = {};
    api.create(first, body, "");
    const second: Exchange = {};
    api.create(second, body, "");
    expect(first.status).toBe(200);
    const usage = (e: Exchange) =>
      (
        JSON.parse(e.body!) as {
          usage: { input_tokens: number; input_tokens_details: { cached_tokens: number } };
        }
      ).usage;
    expect(usage(first).input_tokens_details.cached_tokens).toBe(0);
    const cached = usage(second).input_tokens_details.cached_tokens;
    expect(cached).toBeGreaterThan(0);
    const saved = 0.8 * TIMING.ttftMs * (cached / usage(second).input_tokens);
    expect(first.delayMs! - second.delayMs!).toBeCloseTo(saved, 6);
  });

  // Breaks if a streamed answer's first delta is not paced by the shortened ttft.
  it("streams a cached prompt with the shortened ttft", () => {
    const { api } = rig();
    const body = { model: "gpt-4o", instructions: LONG, input: "streamed", stream: true };
    const cold: Exchange = {};
    api.create(cold, body, "");
    const warm: Exchange = {};
    api.create(warm, body, "");
    expect(cold.streamed!.timing.ttftMs).toBe(TIMING.ttftMs);
    expect(warm.streamed!.timing.ttftMs).toBeLessThan(TIMING.ttftMs);
    expect(warm.streamed!.timing.perTokenMs).toBe(TIMING.perTokenMs);
  });
});
