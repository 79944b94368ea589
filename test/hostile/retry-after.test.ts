import { afterEach, describe, expect, it } from "vitest";
import type { RouterEvent } from "../../src/index.js";
import { CHAT, codeOf, type HostileRig, hostileRig, settled } from "./rig.js";

/**
 * Every retry-after is clamped both ways before a lane cools on it: never below `minRetryAfterMs`
 * (default 500 ms), which protects an endpoint that says "0", never above `maxRetryAfterMs`; a value
 * that cannot be read falls back to the default cooldown (1 s). Real router, SDK and HTTP, real time.
 */

let rig: HostileRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

type Cooled = Extract<RouterEvent, { type: "cooled-down" }>;
const cooledDowns = (events: readonly RouterEvent[]) =>
  events.filter((e): e is Cooled => e.type === "cooled-down");

describe("retry-after that would make the router hammer the endpoint", () => {
  // Breaks if a retry-after of 0 (or a thousandth of a millisecond, or a date in the past) let the lane
  // reopen at once: a throttled request was then resent in a tight loop, over a thousand calls in 2 s.
  it.each(["retry-after-zero", "retry-after-tiny", "retry-after-past"] as const)(
    "%s: the lane cools for the 500 ms floor; a request waiting 1.1 s makes at most 3 calls",
    async (mode) => {
      rig = await hostileRig({ hostile: mode }, { timeoutMs: 1_100 });
      const result = await settled(rig.router.chat.completions.create(CHAT));
      // Its deadline ends it (or the router sees the next reopening comes too late for it).
      expect(["DEADLINE_EXCEEDED", "ALL_ENDPOINTS_FAILED"]).toContain(
        codeOf(result.ok ? undefined : result.error),
      );
      expect(rig.upstream.calls("hostile")).toBeGreaterThanOrEqual(2);
      expect(rig.upstream.calls("hostile")).toBeLessThanOrEqual(3);
      for (const e of cooledDowns(rig.events)) expect(e.until - e.at).toBe(500);
    },
  );

  // Breaks if a 503's retry-after of 0 requeued the request at once: retry.maxAttempts calls in a burst.
  it("503 with retry-after 0: the floor spaces the retries out too", async () => {
    rig = await hostileRig(
      { hostile: "503-retry-after-zero" },
      { timeoutMs: 1_100, retry: { maxAttempts: 50 } },
    );
    const result = await settled(rig.router.chat.completions.create(CHAT));
    expect(["DEADLINE_EXCEEDED", "ALL_ENDPOINTS_FAILED"]).toContain(
      codeOf(result.ok ? undefined : result.error),
    );
    expect(rig.upstream.calls("hostile")).toBeLessThanOrEqual(3);
  });

  // Breaks if `minRetryAfterMs` were not the floor the lane cools for.
  it("the floor is an option: minRetryAfterMs 200", async () => {
    rig = await hostileRig({ hostile: "retry-after-zero" }, { timeoutMs: 500, minRetryAfterMs: 200 });
    await settled(rig.router.chat.completions.create(CHAT));
    const cooled = cooledDowns(rig.events);
    expect(cooled.length).toBeGreaterThan(0);
    for (const e of cooled) expect(e.until - e.at).toBe(200);
  });

  // Breaks if a floor above the cap were applied: the cap is the last word.
  it("a cap below the floor wins: maxRetryAfterMs 100 cools for 100 ms", async () => {
    rig = await hostileRig({ hostile: "retry-after-zero" }, { timeoutMs: 300, maxRetryAfterMs: 100 });
    await settled(rig.router.chat.completions.create(CHAT));
    const cooled = cooledDowns(rig.events);
    expect(cooled.length).toBeGreaterThan(0);
    for (const e of cooled) expect(e.until - e.at).toBe(100);
  });
});

describe("retry-after that cannot be read, or is absurd", () => {
  // Breaks if a negative or unparseable retry-after were taken at face value (0, NaN) instead of the
  // default cooldown.
  it.each(["retry-after-negative", "retry-after-garbage"] as const)(
    "%s: the default cooldown (1 s), as if none was sent",
    async (mode) => {
      rig = await hostileRig({ hostile: mode }, { timeoutMs: 1_200 });
      await settled(rig.router.chat.completions.create(CHAT));
      const cooled = cooledDowns(rig.events);
      expect(cooled.length).toBeGreaterThan(0);
      for (const e of cooled) {
        expect(e.retryAfterMs).toBeUndefined();
        expect(e.until - e.at).toBe(1_000);
      }
      expect(rig.upstream.calls("hostile")).toBeLessThanOrEqual(2);
    },
  );

  // Breaks if a retry-after of three thousand years were honoured (or overflowed a timer).
  it("retry-after-huge: capped at maxRetryAfterMs, said so, and the request fails over", async () => {
    rig = await hostileRig({ hostile: "retry-after-huge", healthy: "ok" }, { maxRetryAfterMs: 5_000 });
    const completion = await rig.router.chat.completions.create(CHAT);
    expect(completion.object).toBe("chat.completion");
    const [cooled] = cooledDowns(rig.events);
    expect(cooled).toMatchObject({ endpoint: "hostile", capped: true, retryAfterMs: 99_999_999_999_000 });
    expect((cooled?.until ?? 0) - (cooled?.at ?? 0)).toBe(5_000);
    expect(rig.lane("hostile").state).toBe("cooling");
  });
});
