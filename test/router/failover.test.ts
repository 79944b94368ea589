import { AuthenticationError, BadRequestError, InternalServerError } from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import {
  AllEndpointsFailedError,
  type Completion,
  DeadlineExceededError,
  type RouterConfig,
  RouterError,
  UpstreamError,
} from "../../src/index.js";
import { chat } from "../helpers/setup.js";
import { STUB_MODEL, stubEndpoint, stubRigs } from "../helpers/stub-router.js";
import {
  fail,
  type Handler,
  hang,
  held,
  ok,
  perEndpoint,
  type Reply,
  stream,
  stubTransport,
} from "../helpers/stub-transport.js";

/**
 * Router-level resilience in virtual time: a stub transport answers on the router's own virtual
 * scheduler, so every delay is exact and nothing sleeps. Time moves only when a test advances it.
 */

const MODEL = STUB_MODEL;
const rigs = stubRigs();
afterEach(() => rigs.closeAll());
const endpoint = stubEndpoint;

/** A router over `endpoints` (default a, b) with a stub transport, on one virtual clock. */
function setup(handler: Handler, config: Partial<RouterConfig> = {}) {
  return rigs.create((clock) => {
    const stub = stubTransport(clock.scheduler, handler);
    return { stub, transport: stub.transport };
  }, config);
}

/** [endpoint, status or error code] of every attempt. */
const attemptsOf = (c: Completion | undefined) =>
  c?.attempts.map((a) => [a.endpoint, a.status ?? a.errorCode]);

/** The full-jitter delay of src/resilience/backoff.ts: rng · min(max, base · 2^retry), rounded by the router. */
const fullJitter = (retry: number, rng: number, baseMs: number, maxMs = 8_000) =>
  Math.round(rng * Math.min(maxMs, baseMs * 2 ** retry));

describe("deadlines", () => {
  // Breaks if the request's deadline did not end a running attempt (the SDK timeout is the deadline
  // when that is sooner), or if that timeout were blamed on the endpoint (counting toward its circuit).
  it("stops a stalled call at the request's deadline without blaming the endpoint", async () => {
    const { clock, stub, router, outcomes, advanceTo, ofType, lane, idle } = setup(() => hang(), {
      endpoints: [endpoint("a")],
      attemptTimeoutMs: 60_000,
    });
    const t0 = clock.now();
    const results = Array.from({ length: 10 }, () =>
      router.chat.completions.create(chat(), { timeout: 1_000 }).catch((e: unknown) => e),
    );
    await advanceTo(t0 + 999);
    expect(outcomes).toHaveLength(0);
    await advanceTo(t0 + 1_000);
    expect(outcomes).toHaveLength(10);
    for (const error of await Promise.all(results)) {
      expect(error).toBeInstanceOf(DeadlineExceededError);
      expect(error).toMatchObject({ code: "DEADLINE_EXCEEDED", timeoutMs: 1_000 });
    }
    for (const c of outcomes) {
      expect(c.ok).toBe(false);
      expect(c.latencyMs).toBe(1_000);
      expect(c.attempts).toHaveLength(1);
      expect(c.attempts[0]).toMatchObject({
        endpoint: "a",
        errorCode: "deadline_exceeded",
        durationMs: 1_000,
      });
    }
    // Every call was ended at the deadline: its SDK timeout was the time left, not attemptTimeoutMs.
    expect(stub.calls).toHaveLength(10);
    expect(stub.calls.map((c) => c.timedOutAt)).toEqual(Array(10).fill(t0 + 1_000));
    // Not the endpoint's fault: 10 "failures" in a row would open a default (5 failures) circuit.
    expect(ofType("circuit-opened")).toEqual([]);
    expect(lane("a").state).toBe("healthy");
    expect(lane("a").failed).toBe(0);
    expect(router.snapshot().totals.inflight).toBe(0);
    expect(idle()).toBe(true);
  });

  // Breaks if attemptTimeoutMs did not cut a slow attempt (it would wait for the deadline) or if the
  // timed-out attempt were not retried on another lane.
  it("cuts an attempt that outlives attemptTimeoutMs and retries it on another lane", async () => {
    const { clock, stub, outcomes, request } = setup(perEndpoint({ a: [hang()], b: [ok()] }), {
      strategy: "priority",
      endpoints: [endpoint("a", { priority: 0 }), endpoint("b", { priority: 1 })],
      attemptTimeoutMs: 500,
    });
    const t0 = clock.now();
    const result = await request();
    expect(result.ok).toBe(true);
    expect(attemptsOf(outcomes[0])).toEqual([
      ["a", "timeout"],
      ["b", 200],
    ]);
    expect(outcomes[0]?.attempts[0]?.durationMs).toBe(500);
    const [a, b] = stub.calls;
    expect(a).toMatchObject({ endpoint: "a", at: t0, timedOutAt: t0 + 500 });
    expect(b?.endpoint).toBe("b");
    // At once, or after the first backoff step (retry.baseDelayMs 100 by default, rng 0.5).
    expect([t0 + 500, t0 + 500 + fullJitter(0, 0.5, 100)]).toContain(b?.at);
  });

  // Breaks if a backoff longer than the time left were waited out (the request would settle late)
  // or if the router started another attempt that could not finish in time.
  it("settles at the deadline when the backoff would end after it, without another attempt", async () => {
    const { clock, stub, outcomes, request } = setup(() => fail(500), {
      endpoints: [endpoint("a")],
      retry: { baseDelayMs: 5_000 },
      rng: () => 0.9,
    });
    const t0 = clock.now();
    const result = await request({ timeout: 1_000 });
    expect(clock.now()).toBe(t0 + 1_000);
    expect(stub.calls).toHaveLength(1);
    expect(result.ok).toBe(false);
    const error = result.ok ? undefined : result.error;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).cause).toBeInstanceOf(InternalServerError);
    expect((error as Error).cause).toMatchObject({ status: 500 });
    expect(outcomes[0]?.latencyMs).toBe(1_000);
    expect(attemptsOf(outcomes[0])).toEqual([["a", 500]]);
  });
});

describe("backoff and failover choices", () => {
  // Breaks if retries were not delayed by rng · min(max, base · 2^n) (e.g. a fixed or un-jittered delay).
  it("waits the full-jitter backoff between retries on a single lane", async () => {
    const { clock, stub, outcomes, request } = setup(perEndpoint({ a: [fail(500), fail(500), ok()] }), {
      endpoints: [endpoint("a")],
      retry: { baseDelayMs: 100 },
      rng: () => 0.5,
    });
    const t0 = clock.now();
    const result = await request();
    expect(result.ok).toBe(true);
    const first = fullJitter(0, 0.5, 100);
    const second = fullJitter(1, 0.5, 100);
    expect([first, second]).toEqual([50, 100]);
    expect(stub.calls.map((c) => c.at - t0)).toEqual([0, first, first + second]);
    expect(attemptsOf(outcomes[0])).toEqual([
      ["a", 500],
      ["a", 500],
      ["a", 200],
    ]);
    expect(outcomes[0]?.latencyMs).toBe(first + second);
  });

  // Breaks if the retry ignored the lanes this request already failed on (priority alone picks a again).
  it("sends the retry to a lane that has not failed this request", async () => {
    const { stub, outcomes, request } = setup(perEndpoint({ a: [fail(500), ok()], b: [ok()] }), {
      strategy: "priority",
      endpoints: [endpoint("a", { priority: 0 }), endpoint("b", { priority: 1 })],
    });
    const result = await request();
    expect(result.ok).toBe(true);
    expect(attemptsOf(outcomes[0])).toEqual([
      ["a", 500],
      ["b", 200],
    ]);
    expect(stub.calls.map((c) => c.endpoint)).toEqual(["a", "b"]);
    // a is still the preferred lane for the next request (one 500 is no reason to avoid it).
    await request();
    expect(stub.calls.map((c) => c.endpoint)).toEqual(["a", "b", "a"]);
  });

  // Breaks if a 503's retry-after did not cool its lane, or if the request waited a backoff before
  // going to the other lane.
  it("cools a lane for a 503's retry-after and fails over at once", async () => {
    const { clock, stub, outcomes, request, advanceTo, ofType } = setup(
      perEndpoint({ a: [fail(503, { headers: { "retry-after": "2" } }), ok()], b: [ok()] }),
      {
        strategy: "priority",
        endpoints: [endpoint("a", { priority: 0 }), endpoint("b", { priority: 1 })],
      },
    );
    const t0 = clock.now();
    expect((await request()).ok).toBe(true);
    expect(attemptsOf(outcomes[0])).toEqual([
      ["a", 503],
      ["b", 200],
    ]);
    expect(stub.calls.map((c) => [c.endpoint, c.at])).toEqual([
      ["a", t0],
      ["b", t0],
    ]);
    expect(ofType("cooled-down")).toEqual([
      expect.objectContaining({ endpoint: "a", retryAfterMs: 2_000, until: t0 + 2_000, capped: false }),
    ]);
    for (const at of [t0 + 1, t0 + 1_000, t0 + 1_999]) {
      await advanceTo(at);
      await request();
      expect(stub.calls.at(-1)).toMatchObject({ endpoint: "b", at });
    }
    await advanceTo(t0 + 2_000);
    await request();
    expect(stub.calls.at(-1)).toMatchObject({ endpoint: "a", at: t0 + 2_000 });
    expect(stub.on("a")).toHaveLength(2);
  });

  // Breaks if x-should-retry: true made a 400 retryable (it would go to b).
  it("does not retry a 400 even with x-should-retry: true", async () => {
    const { stub, outcomes, request } = setup(
      perEndpoint({ a: [fail(400, { headers: { "x-should-retry": "true" } })], b: [ok()] }),
      { strategy: "priority", endpoints: [endpoint("a", { priority: 0 }), endpoint("b", { priority: 1 })] },
    );
    const result = await request();
    expect(stub.calls).toHaveLength(1);
    const error = result.ok ? undefined : result.error;
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: "UPSTREAM_ERROR", status: 400, endpoint: "a" });
    expect((error as Error).cause).toBeInstanceOf(BadRequestError);
    expect(attemptsOf(outcomes[0])).toEqual([["a", 400]]);
  });

  // Breaks if x-should-retry: false on a 429 ended the request instead of failing over.
  it("fails a 429 with x-should-retry: false over to another lane", async () => {
    const { stub, outcomes, request, ofType } = setup(
      perEndpoint({ a: [fail(429, { headers: { "x-should-retry": "false" } })], b: [ok()] }),
      { strategy: "priority", endpoints: [endpoint("a", { priority: 0 }), endpoint("b", { priority: 1 })] },
    );
    const result = await request();
    expect(result.ok).toBe(true);
    expect(attemptsOf(outcomes[0])).toEqual([
      ["a", 429],
      ["b", 200],
    ]);
    expect(stub.calls.map((c) => c.endpoint)).toEqual(["a", "b"]);
    expect(ofType("failed-over")).toEqual([
      expect.objectContaining({ from: "a", reason: "rate-limited", model: MODEL }),
    ]);
  });

  // Breaks if plain 429s counted toward retry.maxAttempts (the request would fail after 2 attempts)
  // or if the lane's cooldown were not waited out between them.
  it("does not count plain 429s as attempts: it waits each cooldown out", async () => {
    const throttled = fail(429, { headers: { "retry-after": "1" } });
    const { clock, stub, outcomes, request } = setup(
      perEndpoint({ a: [throttled, throttled, throttled, throttled, ok()] }),
      { endpoints: [endpoint("a")], retry: { maxAttempts: 2 } },
    );
    const t0 = clock.now();
    const result = await request();
    expect(result.ok).toBe(true);
    expect(outcomes[0]?.attempts).toHaveLength(5);
    expect(attemptsOf(outcomes[0])).toEqual([
      ["a", 429],
      ["a", 429],
      ["a", 429],
      ["a", 429],
      ["a", 200],
    ]);
    expect(stub.calls.map((c) => c.at - t0)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  // Breaks if a lane taken out by a 401 were retried until maxAttempts, or if the error lost the SDK's cause.
  it("reports ALL_ENDPOINTS_FAILED with the SDK's AuthenticationError when every lane is out", async () => {
    const { stub, outcomes, request, lane } = setup(() => fail(401), { endpoints: [endpoint("a")] });
    const result = await request();
    const error = result.ok ? undefined : result.error;
    expect(error).toBeInstanceOf(AllEndpointsFailedError);
    expect(error).toMatchObject({ code: "ALL_ENDPOINTS_FAILED", status: 401 });
    expect((error as Error).cause).toBeInstanceOf(AuthenticationError);
    expect(stub.calls).toHaveLength(1);
    expect(attemptsOf(outcomes[0])).toEqual([["a", 401]]);
    expect(lane("a").state).toBe("disabled");
  });

  // Breaks if a 404 did not take the model off its lane for breaker.disabledProbeMs (or never gave it back).
  it("takes a model off a lane after a 404 and gives it back after disabledProbeMs", async () => {
    const { clock, stub, outcomes, request, advanceTo, ofType, lane } = setup(
      perEndpoint({ a: [fail(404), ok()], b: [ok()] }),
      {
        strategy: "priority",
        endpoints: [endpoint("a", { priority: 0 }), endpoint("b", { priority: 1 })],
        breaker: { disabledProbeMs: 10_000 },
      },
    );
    const t0 = clock.now();
    expect((await request()).ok).toBe(true);
    expect(attemptsOf(outcomes[0])).toEqual([
      ["a", 404],
      ["b", 200],
    ]);
    expect(ofType("model-disabled")).toEqual([
      expect.objectContaining({ endpoint: "a", model: MODEL, status: 404, at: t0, until: t0 + 10_000 }),
    ]);
    expect(lane("a").disabledModels).toEqual([MODEL]);
    await advanceTo(t0 + 9_999);
    await request();
    expect(stub.calls.at(-1)?.endpoint).toBe("b");
    expect(lane("a").disabledModels).toEqual([MODEL]);
    await advanceTo(t0 + 10_000);
    expect(lane("a").disabledModels).toEqual([]);
    await request();
    expect(stub.calls.at(-1)).toMatchObject({ endpoint: "a", at: t0 + 10_000 });
    expect(stub.on("a")).toHaveLength(2);
  });
});

describe("half-open circuit at router level", () => {
  const breaker = { consecutiveFailures: 3, cooldownMs: 5_000 };

  // Breaks if a half-open circuit let more than one call through, or if the probe's success did not close it.
  it("lets exactly one probe through after the cooldown and closes on its success", async () => {
    let aReply: () => Reply = () => fail(500);
    const { clock, stub, router, outcomes, request, advanceTo, ofType, lane } = setup(
      (call) => (call.endpoint === "a" ? aReply() : ok()),
      { strategy: "round-robin", breaker },
    );
    for (let i = 0; i < 10 && ofType("circuit-opened").length === 0; i++) {
      expect((await request()).ok).toBe(true);
    }
    expect(stub.on("a")).toHaveLength(3);
    const [opened] = ofType("circuit-opened");
    expect(opened).toMatchObject({ endpoint: "a", scope: "endpoint", reason: "server" });
    const openedAt = opened?.at ?? Number.NaN;
    expect(opened?.until).toBe(openedAt + 5_000);
    expect(lane("a").state).toBe("open");

    const probe = held();
    aReply = () => probe;
    await advanceTo(openedAt + 5_000);
    expect(lane("a").state).toBe("half-open");
    const before = stub.calls.length;
    const done = outcomes.length;
    const burst = Array.from({ length: 4 }, () => router.chat.completions.create(chat()));
    await advanceTo(openedAt + 5_000);
    const sent = stub.calls.slice(before);
    expect(sent).toHaveLength(4);
    expect(sent.every((c) => c.at === openedAt + 5_000)).toBe(true);
    expect(sent.filter((c) => c.endpoint === "a")).toHaveLength(1);
    expect(sent.filter((c) => c.endpoint === "b")).toHaveLength(3);
    expect(outcomes).toHaveLength(done + 3);
    expect(ofType("circuit-half-opened")).toEqual([expect.objectContaining({ endpoint: "a" })]);
    expect(ofType("recovered")).toEqual([]);

    probe.answer(ok());
    await Promise.all(burst);
    expect(ofType("recovered")).toEqual([expect.objectContaining({ endpoint: "a", scope: "endpoint" })]);
    expect(lane("a").state).toBe("healthy");
    expect(clock.now()).toBe(openedAt + 5_000);
  });

  // Breaks if a success from a call admitted before the circuit opened (a stale epoch) closed it.
  it("ignores late successes of calls that started before the circuit opened", async () => {
    const early1 = held();
    const early2 = held();
    const probe = held();
    const { router, stub, request, advanceTo, ofType, lane, outcomes } = setup(
      perEndpoint({ a: [early1, early2, fail(500), fail(500), fail(500), probe], b: [ok()] }),
      {
        strategy: "priority",
        endpoints: [endpoint("a", { priority: 0 }), endpoint("b", { priority: 1 })],
        breaker,
      },
    );
    const late1 = router.chat.completions.create(chat());
    const late2 = router.chat.completions.create(chat());
    for (let i = 0; i < 3; i++) expect((await request()).ok).toBe(true);
    expect(stub.on("a")).toHaveLength(5);
    const [opened] = ofType("circuit-opened");
    expect(opened).toMatchObject({ endpoint: "a" });
    const reopensAt = opened?.until ?? Number.NaN;

    // A call from before the opening succeeds while the circuit is open.
    early1.answer(ok());
    await expect(late1).resolves.toMatchObject({ object: "chat.completion" });
    expect(lane("a").state).toBe("open");
    expect(ofType("recovered")).toEqual([]);

    // After the cooldown a probe is in flight; the other old call succeeds meanwhile.
    await advanceTo(reopensAt);
    const probed = router.chat.completions.create(chat());
    await advanceTo(reopensAt);
    expect(stub.calls.at(-1)).toMatchObject({ endpoint: "a", at: reopensAt });
    expect(lane("a").state).toBe("half-open");
    early2.answer(ok());
    await expect(late2).resolves.toMatchObject({ object: "chat.completion" });
    expect(lane("a").state).toBe("half-open");
    expect(ofType("recovered")).toEqual([]);
    // The probe is still the only call a may take.
    await request();
    expect(stub.calls.at(-1)?.endpoint).toBe("b");

    probe.answer(ok());
    await expect(probed).resolves.toMatchObject({ object: "chat.completion" });
    expect(ofType("recovered")).toEqual([expect.objectContaining({ endpoint: "a" })]);
    expect(lane("a").state).toBe("healthy");
    expect(outcomes.every((c) => c.ok)).toBe(true);
  });
});

describe("attempt records", () => {
  // Breaks if durationMs were not measured per attempt in virtual time (e.g. from the request's arrival).
  it("carries each attempt's own duration", async () => {
    const { outcomes, request } = setup(perEndpoint({ a: [fail(500, { afterMs: 300 })], b: [ok(200)] }), {
      strategy: "priority",
      endpoints: [endpoint("a", { priority: 0 }), endpoint("b", { priority: 1 })],
    });
    expect((await request()).ok).toBe(true);
    expect(outcomes[0]?.attempts.map((a) => [a.endpoint, a.durationMs])).toEqual([
      ["a", 300],
      ["b", 200],
    ]);
    expect(outcomes[0]?.latencyMs).toBe(300 + fullJitter(0, 0.5, 100) + 200);
  });
});

describe("streams and deadlines", () => {
  // Breaks if a deadline mid-stream ended the caller's loop quietly (or as ABORTED) instead of throwing
  // DEADLINE_EXCEEDED, or if the stream's slot were not released.
  it("throws DEADLINE_EXCEEDED from the caller's loop when the deadline passes mid-stream", async () => {
    const { clock, stub, router, outcomes, advanceTo, idle, lane } = setup(() => stream(), {
      endpoints: [endpoint("a")],
    });
    const t0 = clock.now();
    const received: ChatCompletionChunk[] = [];
    let thrown: unknown;
    let ended = false;
    const reading = (async () => {
      const s = await router.chat.completions.create({ ...chat(), stream: true }, { timeout: 1_000 });
      try {
        for await (const c of s) received.push(c);
      } catch (error) {
        thrown = error;
      } finally {
        ended = true;
      }
    })();
    await advanceTo(t0 + 999);
    expect(received.map((c) => c.choices[0]?.delta)).toEqual([
      { role: "assistant", content: "", refusal: null },
      { content: "Hello" },
    ]);
    expect(ended).toBe(false);
    expect(router.snapshot().totals.inflight).toBe(1);
    await advanceTo(t0 + 1_000);
    expect(ended).toBe(true);
    await reading;
    expect(thrown).toBeInstanceOf(RouterError);
    expect(thrown).toBeInstanceOf(DeadlineExceededError);
    expect(thrown).toMatchObject({ code: "DEADLINE_EXCEEDED" });
    expect(received).toHaveLength(2);
    expect(stub.calls).toHaveLength(1);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ ok: false, kind: "stream", latencyMs: 1_000 });
    expect(outcomes[0]?.ok === false && outcomes[0].error.code).toBe("DEADLINE_EXCEEDED");
    expect(attemptsOf(outcomes[0])).toEqual([["a", "deadline_exceeded"]]);
    expect(idle()).toBe(true);
    expect(lane("a").state).toBe("healthy");
  });

  // Breaks if a stream nobody reads held its slot (and the router's close) past its deadline: a
  // ChatStream that only ended from inside its iterator would stay in flight until someone read it.
  it("releases a stream the caller never reads at its deadline", async () => {
    const { clock, router, outcomes, advanceTo, idle } = setup(() => stream(), {
      endpoints: [endpoint("a")],
    });
    const t0 = clock.now();
    const s = router.chat.completions.create({ ...chat(), stream: true }, { timeout: 1_000 });
    await advanceTo(t0 + 10);
    await expect(s).resolves.toBeDefined();
    expect(router.snapshot().totals.inflight).toBe(1);
    await advanceTo(t0 + 1_000);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.ok === false && outcomes[0].error.code).toBe("DEADLINE_EXCEEDED");
    expect(idle()).toBe(true);
    let closed = false;
    void router.close().then(() => {
      closed = true;
    });
    await advanceTo(t0 + 1_001);
    expect(closed).toBe(true);
  });
});
