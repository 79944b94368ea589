import { afterEach, describe, expect, it } from "vitest";
import { COMPLETION } from "../../bench/lib/fixtures.js";
import { type Completion, createRouter, type RouterEvent, type Transport } from "../../src/index.js";
import { chat, type Rig, virtualRig } from "../helpers/setup.js";
import { stubEndpoint } from "../helpers/stub-router.js";
import { sdkError } from "../helpers/stub-transport.js";
import { FastForward } from "../helpers/virtual-time.js";

const models = ["gpt-4o"];

let current: Rig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/**
 * A service on the router's virtual clock with one 10 s window of `rpm` that reports its limit per
 * minute and its remaining of the window (the inconsistent window of issue 14), answering after
 * `latencyMs`; it refuses with 429 what the window cannot take.
 */
function inconsistentService(clock: FastForward, rpm: number, latencyMs: number) {
  const capacity = (rpm * 10) / 60;
  const perMs = rpm / 60_000;
  let level = capacity;
  let last = clock.now();
  const stats = { ok: 0, refused: 0 };
  const refill = () => {
    const now = clock.now();
    level = Math.min(capacity, level + (now - last) * perMs);
    last = now;
  };
  const transport: Transport = (upstream) => {
    refill();
    if (level < 1) {
      stats.refused += 1;
      return Promise.reject(sdkError(429, { "retry-after-ms": String(Math.ceil((1 - level) / perMs)) }));
    }
    level -= 1;
    stats.ok += 1;
    const headers = new Headers({
      "x-ratelimit-limit-requests": String(rpm),
      "x-ratelimit-remaining-requests": String(Math.floor(level)),
      "x-ratelimit-reset-requests": `${Math.ceil((capacity - level) / perMs)}ms`,
    });
    if (upstream.kind !== "chat") return Promise.reject(new TypeError("chat only"));
    return new Promise((resolve) =>
      clock.scheduler.schedule(() => resolve({ kind: "chat", data: COMPLETION, headers }), latencyMs),
    );
  };
  return { transport, stats };
}

describe("calibration with an inconsistent window, in virtual time", () => {
  // Breaks if `limit − remaining` larger than the router's whole bucket were trusted: the lane was
  // clamped to ~0 after every response and lost the refill accrued during the call (issue 14, cause 2).
  it("a per-minute limit with a per-window remaining does not slow the lane below its limit", async () => {
    const clock = new FastForward();
    const service = inconsistentService(clock, 60, 2_500);
    const router = createRouter(
      {
        scheduler: clock.scheduler,
        timeoutMs: 3_600_000,
        queue: { maxSize: 1_000 },
        fetch: () => Promise.reject(new Error("no HTTP in this test")),
        endpoints: [stubEndpoint("a", { limits: { rpm: 60 } })],
      },
      { transport: service.transport },
    );
    const outcomes: Completion[] = [];
    router.completions$.subscribe((c) => outcomes.push(c));
    try {
      const start = clock.now();
      for (let i = 0; i < 40; i++)
        router.requests.next({ id: `w${i}`, kind: "chat", body: chat(`w${i}`, 8) });
      await clock.runUntil(
        () => outcomes.length === 40,
        () => true,
      );
      expect(outcomes.filter((c) => !c.ok)).toEqual([]);
      expect(service.stats.refused).toBe(0);
      // 10 at once (one window), 30 more at one per second, then the last one's 2.5 s.
      expect((clock.now() - start) / 1_000).toBeLessThan(33);
    } finally {
      const closing = router.close();
      await clock.runUntil(
        () => router.snapshot().totals.inflight === 0,
        () => true,
      );
      await closing;
    }
  });
});

describe("refused calls do not calibrate (issue 14, part 4)", () => {
  // Breaks if the headers of a 401 taught the lane a limit: a wrong key on a 1,000-TPM endpoint then
  // surfaced as REQUEST_TOO_LARGE for the next large request instead of the authentication failure.
  it("a 401 on a 1,000-TPM endpoint never surfaces as REQUEST_TOO_LARGE", async () => {
    const r = await virtualRig(
      {
        seed: 22,
        endpoints: [{ name: "a", type: "openai" as const, models, limits: { tpm: 1_000 } }],
      },
      { timeoutMs: 60_000 },
    );
    current = r;
    const e = r.fleet.endpoints[0];
    if (e?.type !== "openai") throw new Error("expected an openai endpoint");
    // The wrong key, and no configured limits: only the 401's headers could teach it the 1,000 TPM.
    const router = createRouter({
      scheduler: r.clock.scheduler,
      timeoutMs: 60_000,
      endpoints: [{ name: "a", type: "openai", apiKey: "sk-wrong-key-000000", baseURL: e.baseURL, models }],
    });
    const events: RouterEvent[] = [];
    router.events$.subscribe((ev) => events.push(ev));
    const idle = () => router.snapshot().totals.inflight === 0;
    const settle = async (body: ReturnType<typeof chat>) => {
      let out: unknown;
      let done = false;
      void router.chat.completions.create(body).then(
        (v) => {
          out = v;
          done = true;
        },
        (err: unknown) => {
          out = err;
          done = true;
        },
      );
      await r.clock.runUntil(() => done, idle);
      return out;
    };
    try {
      const first = await settle(chat("small", 10));
      expect(first).toMatchObject({ code: "ALL_ENDPOINTS_FAILED" });
      expect(r.fleet.stats("a").byStatus[401]).toBe(1);
      expect(events.some((ev) => ev.type === "limits-learned")).toBe(false);
      expect(router.snapshot().endpoints[0]?.tpm.limit).toBeNull();
      const second = await settle(chat("large", 2_000));
      expect((second as { code?: string }).code).not.toBe("REQUEST_TOO_LARGE");
    } finally {
      await router.close();
    }
  });
});
