import { afterEach, describe, expect, it } from "vitest";
import { chat } from "../helpers/setup.js";
import { stubRigs } from "../helpers/stub-router.js";
import { hang, ok, perEndpoint, stubTransport } from "../helpers/stub-transport.js";

/** close() has a bound (`closeTimeoutMs`, default 30 s): virtual time, a stub transport that never answers. */

const rigs = stubRigs();
afterEach(() => rigs.closeAll());

describe("close() within closeTimeoutMs", () => {
  // Breaks if close() waited for a call that never answers (it would never resolve), or cut before its bound.
  it("by default cuts what is left after 30 s, with ROUTER_CLOSED saying so", async () => {
    const rig = rigs.create(
      (clock) => stubTransport(clock.scheduler, perEndpoint({ a: [hang()], b: [hang()] })),
      { timeoutMs: 3_600_000, attemptTimeoutMs: 3_600_000 },
    );
    const pending = rig.router.chat.completions.create(chat()).then(
      () => undefined,
      (e: unknown) => e,
    );
    await rig.advanceBy(10);
    let closed = false;
    const closing = rig.router.close().then(() => {
      closed = true;
    });
    await rig.advanceBy(29_980);
    expect(closed).toBe(false);
    await rig.advanceBy(20);
    await closing;
    expect(closed).toBe(true);
    const error = await pending;
    expect(error).toMatchObject({ code: "ROUTER_CLOSED", closeTimeoutMs: 30_000 });
    expect((error as Error).message).toContain("closeTimeoutMs (30000 ms)");
    expect(rig.outcomes).toHaveLength(1);
  });

  // Breaks if the bound cut a router that drains in time, or if new requests were accepted meanwhile.
  it("drains in time without cutting; requests after close() get ROUTER_CLOSED at once", async () => {
    const rig = rigs.create(
      (clock) => stubTransport(clock.scheduler, perEndpoint({ a: [ok(1_000)], b: [ok(1_000)] })),
      { closeTimeoutMs: 5_000 },
    );
    const first = rig.router.chat.completions.create(chat());
    await rig.advanceBy(10);
    const closing = rig.router.close();
    const late = rig.router.chat.completions.create(chat()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(await late).toMatchObject({ code: "ROUTER_CLOSED", closeTimeoutMs: undefined });
    await rig.advanceBy(1_000);
    await closing;
    expect((await first).object).toBe("chat.completion");
  });
});
