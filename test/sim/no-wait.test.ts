import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { TIMER_RESOLUTION_MS } from "../../src/sim/latency.js";
import { openaiClient, user } from "./helpers.js";

// Issue 9, item 6: with a latency model that says "due in well under a millisecond", nothing on
// the reply path may wait. Node rounds any timer up to 1 ms, so the check is that the sim sets no
// timer shorter than its resolution (the SDK's own request timeout is minutes long and is ignored).

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({
    seed: 2,
    endpoints: [
      {
        name: "fast",
        type: "openai",
        models: ["gpt-4o"],
        latency: { ttftMs: 0, tokensPerSecond: 1e6, jitter: 0 },
      },
      { name: "paced", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 3, tokensPerSecond: 2_000 } },
    ],
  });
});
afterAll(() => fleet.close());
afterEach(() => vi.restoreAllMocks());

function shortTimers(spy: { mock: { calls: unknown[][] } }): number[] {
  return spy.mock.calls.map((c) => Number(c[1] ?? 0)).filter((ms) => ms < 100);
}

describe("the reply path does not wait when the latency model says ~0", () => {
  // Breaks if a sub-millisecond delay still goes through setTimeout (JSON or stream).
  it("sets no timer for a reply due within the timer resolution", async () => {
    const client = openaiClient(fleet.endpoint("fast"));
    await client.chat.completions.create({ model: "gpt-4o", messages: user("warm") });
    const spy = vi.spyOn(globalThis, "setTimeout");
    await client.chat.completions.create({ model: "gpt-4o", messages: user("json") });
    for await (const _ of await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("s"),
      stream: true,
    })) {
      // drain
    }
    expect(shortTimers(spy)).toEqual([]);
  });

  // Breaks if the rule swallowed real latencies too (the check above would then prove nothing).
  it("still paces replies whose delays exceed the resolution", async () => {
    const client = openaiClient(fleet.endpoint("paced"));
    const spy = vi.spyOn(globalThis, "setTimeout");
    for await (const _ of await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("s"),
      stream: true,
    })) {
      // drain
    }
    const timers = shortTimers(spy);
    expect(timers.length).toBeGreaterThan(0);
    for (const ms of timers) expect(ms).toBeGreaterThanOrEqual(TIMER_RESOLUTION_MS - 1e-9);
  });
});
