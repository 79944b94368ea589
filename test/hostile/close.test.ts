import { afterEach, describe, expect, it } from "vitest";
import { CHAT, codeOf, type HostileRig, hostileRig, settled, sleep } from "./rig.js";

/**
 * `close()` finishes within `closeTimeoutMs` whatever the upstreams do: an endpoint that drips its
 * body one byte at a time cannot hold it open. What is still in flight (or queued) at the bound is cut
 * with ROUTER_CLOSED, which says so. Real router, SDK and HTTP, real time.
 */

let rig: HostileRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Resolves `true` when `promise` settles within `ms`, `false` otherwise. */
const within = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

async function untilDripping(r: HostileRig, calls = 1): Promise<void> {
  for (let i = 0; i < 200 && (r.upstream.open < calls || r.upstream.calls("drip") < calls); i++)
    await sleep(10);
  expect(r.upstream.open).toBeGreaterThanOrEqual(calls);
}

describe("close() against a body that drips one byte at a time", () => {
  // Breaks if close() waited for the drip to end (about 30 s for this body, or forever for a drip
  // that never ends): it must return at closeTimeoutMs with the call cut.
  it("a plain call in its body: close() returns at the bound and the call settles ROUTER_CLOSED", async () => {
    rig = await hostileRig({ drip: "drip" }, { closeTimeoutMs: 300 });
    const call = settled(rig.router.chat.completions.create(CHAT));
    await untilDripping(rig);
    const started = performance.now();
    expect(await within(rig.router.close(), 2_000)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    const result = await call;
    expect(result.ok).toBe(false);
    const error = result.ok ? undefined : result.error;
    expect(codeOf(error)).toBe("ROUTER_CLOSED");
    expect((error as Error).message).toMatch(/closeTimeoutMs|300 ms/);
    expect(rig.outcomes).toHaveLength(1);
    // The socket was let go: the fixture stops dripping.
    for (let i = 0; i < 100 && rig.upstream.open > 0; i++) await sleep(10);
    expect(rig.upstream.open).toBe(0);
  });

  // Breaks if a stream being read could hold close() open, or its loop ended as if it were complete.
  it("a stream being read: its loop throws ROUTER_CLOSED at the bound", async () => {
    rig = await hostileRig(
      { drip: "drip" },
      { closeTimeoutMs: 300, firstTokenTimeoutMs: 10_000 },
      { dripIntervalMs: 3 },
    );
    let chunks = 0;
    const reading = (async () => {
      const stream = await rig!.router.chat.completions.create({ ...CHAT, stream: true });
      for await (const _ of stream) chunks += 1;
    })();
    const result = settled(reading);
    // At 3 ms a byte the first content chunk arrives after about 1.5 s, the end after about 4 s.
    for (let i = 0; i < 500 && chunks === 0; i++) await sleep(10);
    expect(chunks).toBeGreaterThan(0);
    expect(await within(rig.router.close(), 2_000)).toBe(true);
    const outcome = await result;
    expect(outcome.ok).toBe(false);
    expect(codeOf(outcome.ok ? undefined : outcome.error)).toBe("ROUTER_CLOSED");
  });

  // Breaks if requests still queued at the bound kept close() waiting behind the dripping one.
  it("requests queued behind a dripping call are cut too; every request gets exactly one outcome", async () => {
    rig = await hostileRig(
      { drip: "drip" },
      { closeTimeoutMs: 300 },
      { extras: { drip: { limits: { concurrency: 1 } } } },
    );
    const calls = [1, 2, 3].map(() => settled(rig!.router.chat.completions.create(CHAT)));
    await untilDripping(rig);
    expect(rig.router.snapshot().queue.depth).toBe(2);
    expect(await within(rig.router.close(), 2_000)).toBe(true);
    const results = await Promise.all(calls);
    expect(results.map((r) => codeOf(r.ok ? undefined : r.error))).toEqual([
      "ROUTER_CLOSED",
      "ROUTER_CLOSED",
      "ROUTER_CLOSED",
    ]);
    expect(rig.outcomes).toHaveLength(3);
    expect(rig.upstream.calls("drip")).toBe(1);
  });

  // Breaks if the bound cut work that finishes in time: close() still drains what completes before it.
  it("work that finishes before the bound is drained, not cut", async () => {
    rig = await hostileRig({ drip: "drip" }, { closeTimeoutMs: 5_000 }, { dripIntervalMs: 1 });
    const call = settled(rig.router.chat.completions.create(CHAT));
    await untilDripping(rig);
    expect(await within(rig.router.close(), 4_000)).toBe(true);
    const result = await call;
    expect(result.ok).toBe(true);
  });
});
