import { afterEach, describe, expect, it, vi } from "vitest";
import type { Completion, RouterMetrics } from "../../../src/index.js";
import { createRouterInstrument, WRITE_BATCH, WRITE_DELAY_MS } from "../../../src/metrics/otel/instrument.js";
import { body, closeAll, setup, written } from "./rig.js";
import { otelSdk } from "./sdk.js";

/** The instrument's contract with the router: it works after the outcome, not on the request's path. */

afterEach(async () => {
  vi.useRealTimers();
  await closeAll();
});

/** One real completion (a plain call through the router on the sim) and the router's snapshot. */
async function oneCompletion() {
  const { router } = await setup();
  let completion: Completion | undefined;
  const sub = router.completions$.subscribe((c) => {
    completion = c;
  });
  await router.chat.completions.create(body("sample"));
  sub.unsubscribe();
  if (!completion) throw new Error("no completion was emitted");
  return { completion, snapshot: () => router.snapshot() };
}

/**
 * A real completion, and an instrument on a fresh SDK with the clock faked (timers and immediates)
 * from here on: the batch's timing is then stepped, never waited for.
 */
async function onFakeClock() {
  const { completion, snapshot } = await oneCompletion();
  const { sdk, instrument } = instrumentOn(snapshot);
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate"] });
  return { completion, sdk, instrument };
}

/** A fresh SDK and an instrument on it, over the endpoints of the rig's fleet. */
function instrumentOn(snapshot: () => RouterMetrics) {
  const sdk = otelSdk();
  const endpoints = [
    { name: "east", type: "azure" as const, endpoint: "http://127.0.0.1:1" },
    { name: "oai", type: "openai" as const, baseURL: "http://127.0.0.1:2/v1" },
  ];
  const instrument = createRouterInstrument({ tracer: sdk.tracer, meter: sdk.meter }, endpoints, snapshot);
  if (!instrument) throw new Error("the instrument was not created");
  return { sdk, instrument };
}

describe("instrument", () => {
  // Breaks if the SDK's work ran on the request's path (before the caller had its answer) instead of
  // after it.
  it("writes spans after the caller has its answer, not before", async () => {
    const { router, sdk } = await setup();
    await router.chat.completions.create(body("first"));
    expect(sdk.finished()).toHaveLength(0);
    await written();
    expect(sdk.finished().map((s) => s.name)).toEqual(["chat gpt-4o via east", "chat gpt-4o"]);
  });

  // Breaks if requests were written one per event-loop turn (the SDK's work then evicts the router's
  // code between calls: bench/overhead.ts), or if a batch waited longer than WRITE_DELAY_MS.
  it("writes settled requests together, within WRITE_DELAY_MS", async () => {
    const { completion, sdk, instrument } = await onFakeClock();
    const now = Date.now();
    for (let i = 0; i < 3; i++) instrument.end(completion, undefined, now);
    vi.advanceTimersByTime(0); // a turn later: nothing yet
    expect(sdk.finished()).toHaveLength(0);
    vi.advanceTimersByTime(WRITE_DELAY_MS - 1);
    expect(sdk.finished()).toHaveLength(0);
    vi.advanceTimersByTime(1);
    // Three requests of one attempt each: a request span and an attempt span apiece.
    expect(sdk.finished()).toHaveLength(6);
    vi.advanceTimersByTime(10 * WRITE_DELAY_MS); // written once
    expect(sdk.finished()).toHaveLength(6);
    instrument.close();
  });

  // Breaks if a full batch waited for the timer (memory held under load), or left its timer behind.
  it("writes a full batch on the next turn", async () => {
    const { completion, sdk, instrument } = await onFakeClock();
    const now = Date.now();
    for (let i = 0; i < WRITE_BATCH; i++) instrument.end(completion, undefined, now);
    // Still after the outcome: not on the caller's path.
    expect(sdk.finished()).toHaveLength(0);
    vi.advanceTimersByTime(0);
    expect(sdk.finished()).toHaveLength(2 * WRITE_BATCH);
    // The batch's timer went with it: the next request waits its own WRITE_DELAY_MS, not what was
    // left of the first request's.
    vi.advanceTimersByTime(10);
    instrument.end(completion, undefined, Date.now());
    vi.advanceTimersByTime(WRITE_DELAY_MS - 1);
    expect(sdk.finished()).toHaveLength(2 * WRITE_BATCH);
    vi.advanceTimersByTime(1);
    expect(sdk.finished()).toHaveLength(2 * WRITE_BATCH + 2);
    instrument.close();
  });

  // Breaks if a metric collection between outcome and batch missed requests that had settled.
  it("writes what is pending when metrics are collected", async () => {
    const { completion, sdk, instrument } = await onFakeClock();
    const now = Date.now();
    for (let i = 0; i < 3; i++) instrument.end(completion, undefined, now);
    const metrics = await sdk.collect();
    const duration = metrics.get("gen_ai.client.operation.duration");
    const count = (duration?.dataPoints ?? []).reduce(
      (sum, p) => sum + ((p.value as { count?: number }).count ?? 0),
      0,
    );
    expect(count).toBe(3);
    expect(sdk.finished()).toHaveLength(6);
    vi.advanceTimersByTime(WRITE_DELAY_MS); // written once
    expect(sdk.finished()).toHaveLength(6);
    instrument.close();
  });

  // Breaks if close() left requests unwritten or a timer running past the router.
  it("writes what is pending on close", async () => {
    const { completion, sdk, instrument } = await onFakeClock();
    instrument.end(completion, undefined, Date.now());
    instrument.close();
    expect(sdk.finished()).toHaveLength(2);
    vi.advanceTimersByTime(WRITE_DELAY_MS); // written once, nothing left to write
    expect(sdk.finished()).toHaveLength(2);
  });
});
