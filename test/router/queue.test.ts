import type { CreateEmbeddingResponse } from "openai/resources/embeddings";
import type { SchedulerLike } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ChunkStream,
  createTokenEstimator,
  type RouterCallOptions,
  type RouterConfig,
  type Transport,
} from "../../src/index.js";
import { chat } from "../helpers/setup.js";
import { stubEndpoint, stubRigs } from "../helpers/stub-router.js";
import {
  chunk,
  fail,
  type Handler,
  hang,
  held,
  ok,
  perEndpoint,
  stream,
  stubTransport,
} from "../helpers/stub-transport.js";

/**
 * The central queue at router level, in virtual time: a stub transport answers on the router's own
 * virtual scheduler, so every wait is exact and nothing sleeps.
 */

const MODEL = "gpt-4o";
const MINI = "gpt-4o-mini";
const EMBED = "text-embedding-3-small";

const endpoint = stubEndpoint;
const rigs = stubRigs();
afterEach(() => rigs.closeAll());

/**
 * A router over `endpoints` (default a, b) with a stub transport, on one virtual clock. `wrap` may put
 * a transport of the test's own in front of the stub (embeddings, streams cut mid-way).
 */
function setup(
  handler: Handler,
  config: Partial<RouterConfig> = {},
  wrap: (stub: Transport) => Transport = (t) => t,
) {
  const rig = rigs.create((clock) => {
    const stub = stubTransport(clock.scheduler, handler);
    return { stub, transport: wrap(stub.transport) };
  }, config);
  const { clock, ofType, outcomes } = rig;
  /** [request id, endpoint, virtual time] of every dispatch, in order. */
  const dispatches = () => ofType("dispatched").map((e) => [e.id, e.endpoint, e.at - start] as const);
  const start = clock.now();
  /** How many outcomes each id got on completions$. */
  const outcomesPerId = () => {
    const counts: Record<string, number> = {};
    for (const c of outcomes) counts[c.id] = (counts[c.id] ?? 0) + 1;
    return counts;
  };
  const outcome = (id: string) => outcomes.find((c) => c.id === id);
  const code = (id: string) => {
    const c = outcome(id);
    return c === undefined ? "pending" : c.ok ? "ok" : c.error.code;
  };
  return { ...rig, start, dispatches, outcomesPerId, code };
}

/** A call's promise, observed: how often it settled, and with what (without unhandled rejections). */
function track<T>(promise: Promise<T>) {
  const t = { settlements: 0, value: undefined as T | undefined, error: undefined as unknown };
  promise.then(
    (value) => {
      t.settlements += 1;
      t.value = value;
    },
    (error: unknown) => {
      t.settlements += 1;
      t.error = error;
    },
  );
  return t;
}

/** A tiny embeddings response (the stub answers chat calls only). */
function embeddingResponse(): CreateEmbeddingResponse {
  return {
    object: "list",
    model: EMBED,
    data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2, 0.3] }],
    usage: { prompt_tokens: 1, total_tokens: 1 },
  };
}

/** A stream whose connection is cut after the role chunk, before any content (what undici throws). */
function cutBeforeContent(): ChunkStream {
  const controller = new AbortController();
  async function* iterate() {
    yield chunk({ role: "assistant", content: "", refusal: null });
    throw new TypeError("terminated");
  }
  return { controller, [Symbol.asyncIterator]: () => iterate() };
}

const estimator = createTokenEstimator({ defaultOutputTokens: 1_000 });
/** A chat body whose charge (prompt estimate + max_tokens, as the router counts it) is exactly `tokens`. */
function sized(tokens: number, content = "hello", model = MODEL) {
  const prompt = estimator.estimatePromptTokens(chat(content, 1, model));
  return chat(content, tokens - prompt, model);
}

describe("QUEUE_FULL", () => {
  // Breaks if a full queue refused every newcomer (no dispatch past the queue to a lane nobody waiting
  // needs): the gpt-4o-mini request would get QUEUE_FULL although lane b is idle.
  it("is not given to a request an idle lane can serve at once", async () => {
    const busy = held();
    const { router, stub, outcomes, outcomesPerId, code, dispatches, until } = setup(
      perEndpoint({ a: [busy, ok()], b: [ok()] }),
      {
        queue: { maxSize: 2 },
        endpoints: [endpoint("a", { limits: { concurrency: 1 } }), endpoint("b", { models: [MINI] })],
      },
    );
    const create = (id: string, model = MODEL) =>
      track(router.chat.completions.create(chat(id, 16, model), { id }));
    const calls = {
      running: create("running"),
      w1: create("w1"),
      w2: create("w2"),
    };
    await until(() => false, 0);
    expect(router.snapshot().queue.depth).toBe(2);
    expect(stub.calls).toHaveLength(1);

    const mini = create("mini", MINI);
    await until(() => mini.settlements > 0, 0);
    expect(code("mini")).toBe("ok");
    expect(outcomes.find((c) => c.id === "mini")).toMatchObject({ ok: true, endpoint: "b", latencyMs: 0 });

    const over = create("over");
    await until(() => over.settlements > 0, 0);
    expect(code("over")).toBe("QUEUE_FULL");
    expect(over.error).toMatchObject({ code: "QUEUE_FULL", maxSize: 2 });
    expect(router.snapshot().queue.depth).toBe(2);

    busy.answer(ok());
    await until(() => Object.values(calls).every((c) => c.settlements > 0));
    expect(dispatches().map(([id, lane]) => [id, lane])).toEqual([
      ["running", "a"],
      ["mini", "b"],
      ["w1", "a"],
      ["w2", "a"],
    ]);
    for (const c of [...Object.values(calls), mini, over]) expect(c.settlements).toBe(1);
    expect(outcomesPerId()).toEqual({ running: 1, w1: 1, w2: 1, mini: 1, over: 1 });
    expect(["running", "w1", "w2", "mini"].map(code)).toEqual(["ok", "ok", "ok", "ok"]);
  });
});

describe("look-ahead past a blocked head", () => {
  // Breaks without look-ahead (the small requests would wait 45 s behind the big one), or without
  // reservation (the later 3 000-token requests would take the big lane's refill before the head).
  it("serves smaller requests on the small lane while a big one waits for its refill, then keeps FIFO", async () => {
    const { router, outcomes, dispatches, until, advanceTo, start, outcomesPerId, stub } = setup(() => ok(), {
      endpoints: [
        endpoint("big", { limits: { tpm: 20_000 } }),
        endpoint("small", { limits: { tpm: 2_000 } }),
      ],
    });
    const send = (id: string, tokens: number) =>
      router.requests.next({ id, kind: "chat", body: sized(tokens, id) });
    send("spend", 20_000);
    await until(() => outcomes.length === 1, 0);
    expect(router.snapshot().endpoints[0]?.tpm.remaining).toBe(0);

    send("head", 15_000);
    for (let i = 0; i < 5; i++) send(`s${i}`, 300);
    for (let i = 0; i < 3; i++) send(`l${i}`, 3_000);
    await until(() => false, 0);
    // The five small ones went at once, to the small lane, past the waiting head.
    expect(dispatches()).toEqual([
      ["spend", "big", 0],
      ["s0", "small", 0],
      ["s1", "small", 0],
      ["s2", "small", 0],
      ["s3", "small", 0],
      ["s4", "small", 0],
    ]);
    expect(router.snapshot().queue.depth).toBe(4);

    // 10 s later the big lane has refilled enough for a 3 000-token request, but not for the head: a
    // newcomer makes the dispatcher look again, and the later requests must leave that refill alone.
    await advanceTo(start + 10_000);
    send("s5", 300);
    await until(() => false, 0);
    expect(dispatches().slice(6)).toEqual([["s5", "small", 10_000]]);
    expect(router.snapshot().queue.depth).toBe(4);

    await until(() => outcomes.length === 11);
    const later = dispatches().slice(7);
    expect(later.map(([id, lane]) => [id, lane])).toEqual([
      ["head", "big"],
      ["l0", "big"],
      ["l1", "big"],
      ["l2", "big"],
    ]);
    // The head went when 15 000 tokens had refilled (20 000 per minute), each later one 9 s after.
    const at = later.map(([, , t]) => t);
    expect(at[0]).toBeGreaterThanOrEqual(45_000);
    expect(at[0]).toBeLessThanOrEqual(45_001);
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(8_999);
    expect(outcomes.every((c) => c.ok)).toBe(true);
    expect(Object.values(outcomesPerId()).every((n) => n === 1)).toBe(true);
    expect(stub.on("small")).toHaveLength(6);
  });
});

describe("streams and plain calls", () => {
  // Breaks if a stream waiting for an open stream circuit held its lane back from the calls behind it
  // (couldAdmit ignoring the stream circuit): the chat would wait for the half-open probe too.
  it("a stream waiting for an open stream circuit does not hold up plain chat calls", async () => {
    let cut = true;
    const { clock, router, until, ofType, outcomes } = setup(
      (call) => (call.kind === "stream" ? stream(undefined, { end: true }) : ok()),
      {
        endpoints: [endpoint("a")],
        breaker: { consecutiveFailures: 1, cooldownMs: 5_000 },
        retry: { maxAttempts: 1 },
      },
      (stub) => async (call) => {
        if (call.kind === "stream" && cut) {
          cut = false;
          return { kind: "stream", data: cutBeforeContent(), headers: undefined };
        }
        return stub(call);
      },
    );
    const opener = track(
      router.chat.completions.create({ ...chat("opener"), stream: true }, { id: "opener" }),
    );
    await until(() => opener.settlements > 0, 0);
    expect(opener.error).toMatchObject({ code: "ALL_ENDPOINTS_FAILED" });
    const [opened] = ofType("circuit-opened");
    expect(opened).toMatchObject({ endpoint: "a", scope: "streams", until: clock.now() + 5_000 });
    expect(router.snapshot().endpoints[0]).toMatchObject({ state: "healthy", streamCircuit: "open" });

    const t0 = clock.now();
    const waiting = track(
      router.chat.completions.create({ ...chat("waits"), stream: true }, { id: "stream" }),
    );
    const plain = track(router.chat.completions.create(chat("plain"), { id: "chat" }));
    await until(() => plain.settlements > 0, 0);
    expect(plain.value).toMatchObject({ object: "chat.completion" });
    expect(outcomes.find((c) => c.id === "chat")).toMatchObject({ ok: true, latencyMs: 0 });
    expect(waiting.settlements).toBe(0);
    expect(router.snapshot().queue.byModel).toEqual({ [MODEL]: 1 });

    await until(() => waiting.settlements > 0);
    const [, chatDispatch, streamDispatch] = ofType("dispatched");
    expect(chatDispatch).toMatchObject({ id: "chat", at: t0 });
    expect(streamDispatch).toMatchObject({ id: "stream", at: opened!.until });
    const s = waiting.value as AsyncIterable<unknown>;
    let n = 0;
    for await (const _ of s) n += 1;
    expect(n).toBe(3); // role, content, and the finish that makes the answer whole
    expect(router.snapshot().endpoints[0]?.streamCircuit).toBe("closed");
  });
});

describe("retries and FIFO", () => {
  // Breaks if a retried request went to the back of the queue, or if the slot its failure freed were
  // handed to the next waiting request before the retry was back in its place (order A, B, A, C).
  it("a retried request keeps its FIFO place at router level", async () => {
    const first = held();
    const { router, stub, until, dispatches, outcomes } = setup(perEndpoint({ a: [first, ok()] }), {
      endpoints: [endpoint("a", { limits: { concurrency: 1 } })],
      retry: { baseDelayMs: 0 },
    });
    for (const id of ["A", "B", "C"]) router.requests.next({ id, kind: "chat", body: chat(id) });
    await until(() => false, 0);
    expect(stub.calls).toHaveLength(1);
    expect(router.snapshot().queue.depth).toBe(2);
    first.answer(fail(500));
    await until(() => outcomes.length === 3);
    expect(dispatches().map(([id]) => id)).toEqual(["A", "A", "B", "C"]);
    expect(outcomes.map((c) => c.id)).toEqual(["A", "B", "C"]);
    expect(outcomes[0]?.attempts.map((a) => a.status)).toEqual([500, 200]);
  });
});

describe("fallbacks behind the head", () => {
  // Breaks if only the head's deadline were compared with the lane's recovery: the hurried request
  // behind it would wait for its own deadline and fail with DEADLINE_EXCEEDED at 2 000 ms.
  it("a hurried request behind a patient head is answered by its fallback model at once", async () => {
    const { router, until, outcomes, ofType, dispatches, code } = setup(() => ok(), {
      endpoints: [endpoint("big", { limits: { rpm: 6 } }), endpoint("mini", { models: [MINI] })],
      fallbacks: { [MODEL]: [MINI] },
    });
    router.requests.next({ id: "spend", kind: "chat", body: chat("spend") });
    await until(() => outcomes.length === 1, 0);
    router.requests.next({ id: "patient", kind: "chat", body: chat("patient"), timeoutMs: 120_000 });
    router.requests.next({ id: "hurried", kind: "chat", body: chat("hurried"), timeoutMs: 2_000 });
    await until(() => outcomes.length === 2, 0);
    expect(outcomes[1]).toMatchObject({
      id: "hurried",
      ok: true,
      model: MINI,
      requestedModel: MODEL,
      endpoint: "mini",
      latencyMs: 0,
    });
    expect(ofType("fallback-used")).toEqual([
      expect.objectContaining({ id: "hurried", from: MODEL, to: MINI }),
    ]);
    await until(() => outcomes.length === 3);
    expect(code("patient")).toBe("ok");
    // rpm 6 with 10 s windows: one request per 10 s.
    expect(dispatches()).toEqual([
      ["spend", "big", 0],
      ["hurried", "mini", 0],
      ["patient", "big", 10_000],
    ]);
    expect(outcomes[2]).toMatchObject({ id: "patient", model: MODEL, endpoint: "big" });
  });
});

describe("one queue across models", () => {
  // Breaks if each model's queue were served on its own (e.g. in the order the lines were created)
  // instead of comparing the lines' heads by priority, then arrival.
  it("orders requests for different models on a shared lane by priority, then arrival", async () => {
    const busy = [held(), held()];
    const { router, until, dispatches, outcomes } = setup(
      // Chat calls in order: busy1, chat-p0, busy2, chat-second (embeddings bypass the stub).
      (_call, index) => (index === 0 ? busy[0] : index === 2 ? busy[1] : undefined) ?? ok(),
      { endpoints: [endpoint("a", { models: [MODEL, EMBED], limits: { concurrency: 1 } })] },
      (stub) => async (call) =>
        call.kind === "embeddings"
          ? { kind: "embeddings", data: embeddingResponse(), headers: undefined }
          : stub(call),
    );
    const embed = (id: string, priority: number) =>
      router.requests.next({ id, kind: "embeddings", body: { model: EMBED, input: id }, priority });
    const ask = (id: string, priority: number) =>
      router.requests.next({ id, kind: "chat", body: chat(id), priority });

    ask("busy1", 0);
    ask("chat-p0", 0);
    embed("embed-p-1", -1);
    await until(() => false, 0);
    expect(router.snapshot().queue.byModel).toEqual({ [MODEL]: 1, [EMBED]: 1 });
    busy[0]?.answer(ok());
    await until(() => outcomes.length === 3);
    expect(dispatches().map(([id]) => id)).toEqual(["busy1", "embed-p-1", "chat-p0"]);

    // Equal priorities: arrival decides, whichever model's line was created first.
    ask("busy2", 0);
    embed("embed-first", 0);
    ask("chat-second", 0);
    await until(() => false, 0);
    busy[1]?.answer(ok());
    await until(() => outcomes.length === 6);
    expect(
      dispatches()
        .map(([id]) => id)
        .slice(3),
    ).toEqual(["busy2", "embed-first", "chat-second"]);
    expect(outcomes.every((c) => c.ok)).toBe(true);
  });
});

describe("per-call options", () => {
  // Breaks if priority or timeout were not validated: a NaN priority would break the queue's ordering,
  // a NaN/zero/negative timeout its deadline timer (and the request would be sent).
  it("rejects a non-finite priority and a non-positive or NaN timeout with REQUEST_INVALID", async () => {
    const { router, stub, until, outcomesPerId, outcomes } = setup(() => ok());
    const bad: [string, RouterCallOptions][] = [
      ["p-nan", { priority: Number.NaN }],
      ["p-inf", { priority: Number.POSITIVE_INFINITY }],
      ["p-neg-inf", { priority: Number.NEGATIVE_INFINITY }],
      ["t-zero", { timeout: 0 }],
      ["t-neg", { timeout: -1 }],
      ["t-nan", { timeout: Number.NaN }],
    ];
    const calls = bad.map(([id, options]) =>
      track(router.chat.completions.create(chat(id), { ...options, id })),
    );
    // The reactive API takes the same options under its own names.
    router.requests.next({ id: "r-p-nan", kind: "chat", body: chat("r"), priority: Number.NaN });
    router.requests.next({ id: "r-t-zero", kind: "chat", body: chat("r"), timeoutMs: 0 });
    await until(() => false, 0);
    for (const c of calls) {
      expect(c.settlements).toBe(1);
      expect(c.error).toMatchObject({ code: "REQUEST_INVALID" });
    }
    expect(stub.calls).toHaveLength(0);
    const ids = [...bad.map(([id]) => id), "r-p-nan", "r-t-zero"];
    expect(outcomesPerId()).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(
      outcomes.every((c) => !c.ok && c.error.code === "REQUEST_INVALID" && c.attempts.length === 0),
    ).toBe(true);
    // Valid edge values still go through.
    const fine = track(router.chat.completions.create(chat("fine"), { priority: -5, timeout: 1 }));
    await until(() => fine.settlements > 0, 0);
    expect(fine.value).toMatchObject({ object: "chat.completion" });
  });
});

describe("refusals and aborts settle exactly once", () => {
  // Breaks if a refused or aborted request got a second outcome, or if a queued abort left the job
  // in the queue (it would be sent later) or a running abort did not stop the call (it would hang
  // until its deadline and end as DEADLINE_EXCEEDED).
  it("REQUEST_TOO_LARGE, QUEUE_FULL and ABORTED (queued and running) each settle once", async () => {
    const { clock, router, stub, until, advanceBy, outcomesPerId, code } = setup(() => hang(), {
      endpoints: [endpoint("a", { limits: { concurrency: 1, tpm: 1_000 } })],
      queue: { maxSize: 1 },
      timeoutMs: 60_000,
    });
    const t0 = clock.now();
    const running = new AbortController();
    const queued = new AbortController();
    const calls = {
      large: track(router.chat.completions.create(chat("large", 2_000), { id: "large" })),
      running: track(
        router.chat.completions.create(chat("running"), { id: "running", signal: running.signal }),
      ),
      queued: track(router.chat.completions.create(chat("queued"), { id: "queued", signal: queued.signal })),
      full: track(router.chat.completions.create(chat("full"), { id: "full" })),
    };
    await until(() => false, 0);
    expect(code("large")).toBe("REQUEST_TOO_LARGE");
    expect(code("full")).toBe("QUEUE_FULL");
    expect(stub.calls).toHaveLength(1);
    expect(router.snapshot().queue.depth).toBe(1);

    await advanceBy(100);
    queued.abort();
    await until(() => false, 0);
    expect(code("queued")).toBe("ABORTED");
    expect(router.snapshot().queue.depth).toBe(0);

    await advanceBy(100);
    running.abort();
    await until(() => calls.running.settlements > 0, 0);
    expect(code("running")).toBe("ABORTED");
    expect(stub.calls[0]?.abortedAt).toBe(t0 + 200);
    expect(router.snapshot().totals).toMatchObject({ inflight: 0, pending: 0 });

    // Nothing later (deadlines, freed slots) adds an outcome or a call.
    await advanceBy(120_000);
    expect(stub.calls).toHaveLength(1);
    expect(outcomesPerId()).toEqual({ large: 1, running: 1, queued: 1, full: 1 });
    for (const c of Object.values(calls)) expect(c.settlements).toBe(1);
    expect(calls.running.error).toMatchObject({ code: "ABORTED" });
    expect(calls.queued.error).toMatchObject({ code: "ABORTED" });
    expect(calls.large.error).toMatchObject({ code: "REQUEST_TOO_LARGE", largestBudget: 1_000 });
    expect(calls.full.error).toMatchObject({ code: "QUEUE_FULL" });
  });
});

describe("the queue's wake-up", () => {
  // Breaks if the wake-up were computed at a later instant than the dispatch it follows: the clock
  // (Date.now) can tick between the two, so a lane that reopened in between looks "admissible now" to
  // the wake-up, which then sets no timer although nothing was dispatched, and the queue stalls until
  // the deadlines (seen in the chaos suite on Node 22, where a timer may fire a millisecond before
  // Date.now reaches its time).
  it("never stalls when the clock ticks between a failed dispatch and the wake-up it schedules", async () => {
    // The router's clock: the virtual one, except that the first reading after `lagOnce()` is 1 ms
    // behind and every later one has caught up (Date.now seen from a timer that fired early).
    let lag = 0;
    let inner: SchedulerLike | undefined;
    const lagging: SchedulerLike = {
      now: () => {
        const t = (inner as SchedulerLike).now() - lag;
        lag = 0;
        return t;
      },
      schedule: ((...args: Parameters<SchedulerLike["schedule"]>) =>
        (inner as SchedulerLike).schedule(...args)) as SchedulerLike["schedule"],
    };
    const { clock, stub, router, outcomes, advanceTo } = rigs.create(
      (c) => {
        inner = c.scheduler;
        const s = stubTransport(c.scheduler, perEndpoint({ a: [fail(500), ok()] }));
        return { stub: s, transport: s.transport };
      },
      {
        scheduler: lagging,
        endpoints: [endpoint("a")],
        breaker: { consecutiveFailures: 1, cooldownMs: 500 },
        retry: { baseDelayMs: 0 },
        timeoutMs: 60_000,
      },
    );
    const t0 = clock.now();
    const pending = track(router.chat.completions.create(chat()));
    await advanceTo(t0); // the 500 opens the circuit until t0 + 500; the retry waits in the queue
    expect(stub.calls).toHaveLength(1);
    expect(clock.nextDue()).toBe(t0 + 500); // the wake-up for the probe
    lag = 1; // the wake-up's first reading of the clock will say t0 + 499
    await advanceTo(t0 + 600);
    expect(stub.calls.map((c) => c.at - t0)).toEqual([0, 501]);
    expect(pending.settlements).toBe(1);
    expect(outcomes[0]?.ok).toBe(true);
  });
});
