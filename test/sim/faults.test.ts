import { connect } from "node:net";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  InternalServerError,
  RateLimitError,
} from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type Faults, type Fleet, type LatencyConfig, startFleet } from "../../src/sim/index.js";
import { azureClient, FakeClock, openaiClient, rejection, user } from "./helpers.js";

/** The `code` of every error down the `cause` chain (the SDK wraps undici's `fetch failed`). */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/** Listening TCP servers in this process (each sim endpoint that listens is one). */
function listeningServers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;
}

/** Resolves true when something accepts a TCP connection on the port, false when it is refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function start(options: { faults?: Faults; latency?: LatencyConfig; clock?: FakeClock } = {}) {
  fleet = await startFleet({
    seed: 21,
    now: options.clock?.now,
    endpoints: [
      { name: "oai", type: "openai", models: ["gpt-4o"], faults: options.faults, latency: options.latency },
      { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
    ],
  });
  return fleet;
}

/** Sends `count` requests, `parallel` at a time; returns how many failed (each with InternalServerError). */
async function failures(f: Fleet, count: number, parallel = 20): Promise<number> {
  const client = openaiClient(f.endpoint("oai"));
  let failed = 0;
  for (let done = 0; done < count; done += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - done) }, (_, i) =>
      client.chat.completions.create({ model: "gpt-4o", messages: user(`q${done + i}`), max_tokens: 1 }).then(
        () => 0,
        (e: unknown) => {
          expect(e).toBeInstanceOf(InternalServerError);
          return 1;
        },
      ),
    );
    for (const r of await Promise.all(batch)) failed += r;
  }
  return failed;
}

describe("errorRate", () => {
  it("1 fails every request, 0 none", async () => {
    const f = await start({ faults: { errorRate: 1 } });
    expect(await failures(f, 20)).toBe(20);
    f.setFaults("oai", { errorRate: 0 });
    expect(await failures(f, 5)).toBe(0);
  });

  it("0.5 fails about half, exactly as many again after the same setFaults", async () => {
    const f = await start();
    f.setFaults("oai", { errorRate: 0.5 });
    // Draws follow arrival order, so the number failing among 200 requests is fixed by the seed
    // even when they are sent concurrently.
    const first = await failures(f, 200);
    expect(first).toBeGreaterThanOrEqual(80);
    expect(first).toBeLessThanOrEqual(120);
    f.setFaults("oai", { errorRate: 0.5 });
    expect(await failures(f, 200)).toBe(first);
    expect(f.stats("oai").byStatus).toEqual({ 200: 400 - 2 * first, 500: 2 * first });
  });

  it("errorStatus 429 looks like a real rate limit: rate_limit_exceeded, type requests, retry-after 1 s", async () => {
    const f = await start();
    f.setFaults("oai", { errorRate: 1, errorStatus: 429 });
    const e = (await rejection(
      openaiClient(f.endpoint("oai")).chat.completions.create({ model: "gpt-4o", messages: user("x") }),
    )) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests" });
    expect(e.message).toMatch(/Rate limit reached for gpt-4o .* Please try again in 1s\./);
    expect(e.headers.get("retry-after")).toBe("1");
    expect(e.headers.get("retry-after-ms")).toBe("1000");
  });

  it("errorStatus 429 on Azure: code 429, Azure's wording ending with the retry sentence, errorRetryAfterMs", async () => {
    const f = await start();
    f.setFaults("east", { errorRate: 1, errorStatus: 429, errorRetryAfterMs: 2_500 });
    const e = (await rejection(
      azureClient(f.endpoint("east")).chat.completions.create({ model: "gpt4o-east", messages: user("x") }),
    )) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e).toMatchObject({ status: 429, code: "429" });
    expect((e.error as { message: string }).message).toMatch(
      /^Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier\. Please retry after 3 seconds\.$/,
    );
    expect(e.headers.get("retry-after")).toBe("3");
    expect(e.headers.get("retry-after-ms")).toBe("2500");
  });

  it("uses errorStatus and Azure's error shape on Azure", async () => {
    const f = await start();
    f.setFaults("east", { errorRate: 1, errorStatus: 503 });
    const e = await rejection(
      azureClient(f.endpoint("east")).chat.completions.create({ model: "gpt4o-east", messages: user("x") }),
    );
    expect(e).toBeInstanceOf(InternalServerError);
    expect(e).toMatchObject({ status: 503, code: "ServiceUnavailable" });
  });
});

describe("rateLimitStormMs", () => {
  it("429s everything with the remaining storm time, then ends", async () => {
    const clock = new FakeClock();
    const f = await start({ clock });
    f.setFaults("oai", { rateLimitStormMs: 10_000 });
    const client = openaiClient(f.endpoint("oai"));
    const ask = () => client.chat.completions.create({ model: "gpt-4o", messages: user("storm") });
    let e = (await rejection(ask())) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.headers.get("retry-after")).toBe("10");
    expect(e.headers.get("retry-after-ms")).toBe("10000");
    clock.advance(2_500);
    e = (await rejection(ask())) as RateLimitError;
    expect(e.headers.get("retry-after")).toBe("8");
    expect(e.headers.get("retry-after-ms")).toBe("7500");
    clock.advance(7_500);
    await expect(ask()).resolves.toBeTruthy();
  });
});

describe("insufficientQuota", () => {
  it("429 insufficient_quota without retry-after", async () => {
    const f = await start({ faults: { insufficientQuota: true } });
    const e = (await rejection(
      openaiClient(f.endpoint("oai")).chat.completions.create({ model: "gpt-4o", messages: user("x") }),
    )) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
    expect(e.headers.get("retry-after")).toBeNull();
    expect(e.headers.get("retry-after-ms")).toBeNull();
  });
});

describe("connection faults", () => {
  it("resetBeforeHeaders: 1 resets every request, a share resets some, deterministically", async () => {
    const f = await start({ faults: { resetBeforeHeaders: 1 } });
    const client = openaiClient(f.endpoint("oai"));
    expect(
      await rejection(client.chat.completions.create({ model: "gpt-4o", messages: user("x") })),
    ).toBeInstanceOf(APIConnectionError);
    const run = async () => {
      f.setFaults("oai", { resetBeforeHeaders: 0.3 });
      const out: boolean[] = [];
      for (let i = 0; i < 30; i++) {
        out.push(
          await client.chat.completions.create({ model: "gpt-4o", messages: user("x"), max_tokens: 1 }).then(
            () => true,
            (e: unknown) => {
              expect(e).toBeInstanceOf(APIConnectionError);
              return false;
            },
          ),
        );
      }
      return out;
    };
    const first = await run();
    expect(first.filter((ok) => !ok).length).toBeGreaterThan(0);
    expect(first.filter((ok) => ok).length).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
    expect(f.stats("oai").dropped).toBe(1 + 2 * first.filter((ok) => !ok).length);
  });

  it("resetMidStreamAfterChunks: the stream breaks after exactly k content chunks", async () => {
    const f = await start({ faults: { resetMidStreamAfterChunks: 3 } });
    const stream = await openaiClient(f.endpoint("oai")).chat.completions.create({
      model: "gpt-4o",
      messages: user("cut me"),
      stream: true,
    });
    const content: string[] = [];
    const e = await rejection(
      (async () => {
        for await (const c of stream)
          if (c.choices[0]?.delta.content) content.push(c.choices[0].delta.content);
      })(),
    );
    // undici's fetch body ends with a bare `TypeError: terminated` (the SDK's iterator rethrows it
    // unwrapped, not as an APIConnectionError), caused by its SocketError "other side closed".
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe("terminated");
    expect((e as Error).cause).toMatchObject({ name: "SocketError", code: "UND_ERR_SOCKET" });
    expect(content).toHaveLength(3);
    expect(f.stats("oai")).toMatchObject({ completionTokens: 3, byStatus: { 200: 1 } });
  });

  it("resetMidStreamAfterChunks leaves non-streamed and short replies alone", async () => {
    const f = await start({ faults: { resetMidStreamAfterChunks: 50 } });
    const client = openaiClient(f.endpoint("oai"));
    await expect(
      client.chat.completions.create({ model: "gpt-4o", messages: user("x") }),
    ).resolves.toBeTruthy();
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("x"),
      stream: true,
      max_tokens: 5,
    });
    let n = 0;
    for await (const _ of stream) n++;
    expect(n).toBe(7); // role + 5 tokens + finish
  });

  it("hang: never answers; the SDK's timeout and abort end the wait", async () => {
    const f = await start({ faults: { hang: true } });
    // Long enough for the request to reach the fleet on a loaded machine before it times out (the
    // stats below count it), short enough to keep the test quick.
    const client = openaiClient(f.endpoint("oai"), { timeout: 500 });
    const timedOut = await rejection(
      client.chat.completions.create({ model: "gpt-4o", messages: user("x") }),
    );
    expect(timedOut).toBeInstanceOf(APIConnectionTimeoutError);
    const controller = new AbortController();
    const pending = client.chat.completions.create(
      { model: "gpt-4o", messages: user("x") },
      { signal: controller.signal, timeout: 60_000 },
    );
    // Abort once the fleet holds the request, not after a fixed sleep: on a loaded machine it may not
    // have arrived yet, and the fleet would then count one request, not two.
    while (f.stats("oai").requests < 2) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect(await rejection(pending)).toBeInstanceOf(APIUserAbortError);
    while (f.stats("oai").inflight > 0) await new Promise((r) => setTimeout(r, 5));
    expect(f.stats("oai")).toMatchObject({ requests: 2, dropped: 2, peakConcurrency: 1, byStatus: {} });
  });

  it("hang: fleet.close() releases hung requests and resolves", async () => {
    const f = await start({ faults: { hang: true } });
    const pending = openaiClient(f.endpoint("oai")).chat.completions.create({
      model: "gpt-4o",
      messages: user("x"),
    });
    while (f.stats("oai").inflight < 1) await new Promise((r) => setTimeout(r, 5));
    const failed = rejection(pending); // handled now: it may fail before close() resolves
    await f.close();
    expect(await failed).toBeInstanceOf(APIConnectionError);
  });

  it("down: connections are refused (kept-alive ones too) until cleared, then the same URL answers", async () => {
    const f = await start();
    const client = openaiClient(f.endpoint("oai"));
    const ask = () => client.chat.completions.create({ model: "gpt-4o", messages: user("x"), max_tokens: 1 });
    await ask(); // leaves a keep-alive socket open
    await f.setFaults("oai", { down: true });
    for (let i = 0; i < 3; i++) {
      const e = await rejection(ask());
      expect(e).toBeInstanceOf(APIConnectionError);
      expect(causeCodes(e)).toContain("ECONNREFUSED");
    }
    expect(await accepts(portOf(f.endpoint("oai").url))).toBe(false);
    await f.setFaults("oai", {});
    await expect(ask()).resolves.toBeTruthy();
    expect(f.stats("oai").byStatus).toEqual({ 200: 2 });
  });

  it("down: resets requests in flight, and other faults set meanwhile apply without awaiting", async () => {
    const f = await start({ faults: { hang: true } });
    const client = openaiClient(f.endpoint("oai"));
    const pending = client.chat.completions.create({ model: "gpt-4o", messages: user("x") });
    while (f.stats("oai").inflight < 1) await new Promise((r) => setTimeout(r, 5));
    const failed = rejection(pending); // handled now: it fails before setFaults resolves
    await f.setFaults("oai", { down: true });
    const e = await failed;
    expect(e).toBeInstanceOf(APIConnectionError);
    expect(causeCodes(e)).not.toContain("ECONNREFUSED"); // it was connected: reset, not refused
    // Still down, another fault: nothing to wait for.
    void f.setFaults("oai", { down: true, errorRate: 1 });
    await f.setFaults("oai", { errorRate: 1 });
    expect(
      await rejection(client.chat.completions.create({ model: "gpt-4o", messages: user("x") })),
    ).toBeInstanceOf(InternalServerError);
  });

  it("down from the start refuses connections; down and up in a row, unawaited, end up listening", async () => {
    const f = await start({ faults: { down: true } });
    const client = openaiClient(f.endpoint("oai"));
    const ask = () => client.chat.completions.create({ model: "gpt-4o", messages: user("x"), max_tokens: 1 });
    expect(causeCodes(await rejection(ask()))).toContain("ECONNREFUSED");
    void f.setFaults("oai", {});
    void f.setFaults("oai", { down: true });
    await f.setFaults("oai", {}); // changes run in order: this one resolves after the other two
    await expect(ask()).resolves.toBeTruthy();
  });

  it("down: fleet.close() works while down and while coming back, leaving no listener behind", async () => {
    const before = listeningServers();
    const f = await start();
    expect(listeningServers()).toBe(before + 2);
    const port = portOf(f.endpoint("oai").url);
    await f.setFaults("oai", { down: true });
    expect(listeningServers()).toBe(before + 1);
    await f.close();
    expect(listeningServers()).toBe(before);

    // Closing while the endpoint is coming back up: it does not end up listening after close().
    const g = await startFleet({
      endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], port, faults: { down: true } }],
    });
    fleet = g;
    expect(await accepts(port)).toBe(false);
    const up = g.setFaults("oai", {});
    await g.close();
    await up;
    expect(listeningServers()).toBe(before);
    expect(await accepts(port)).toBe(false);
    // The port is free again (no EADDRINUSE).
    const h = await startFleet({ endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], port }] });
    fleet = h;
    await expect(
      openaiClient(h.endpoint("oai")).chat.completions.create({ model: "gpt-4o", messages: user("x") }),
    ).resolves.toBeTruthy();
  });
});

describe("slowness", () => {
  it("slowFactor multiplies ttft and per-token time", async () => {
    const f = await start({ latency: { ttftMs: 20, tokensPerSecond: 1000 } });
    const client = openaiClient(f.endpoint("oai"));
    f.setFaults("oai", { slowFactor: 5 });
    const t0 = performance.now();
    const { response } = await client.chat.completions
      .create({ model: "gpt-4o", messages: user("x"), max_tokens: 10 })
      .withResponse();
    // (20 ms + 10 tokens × 1 ms) × 5 = 150 ms; timers never fire early, so this is a safe lower bound.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    expect(Number(response.headers.get("openai-processing-ms"))).toBeGreaterThanOrEqual(145);
  });

  it("slowStartMs delays the headers of a stream", async () => {
    const f = await start({ faults: { slowStartMs: 120 } });
    const t0 = performance.now();
    await openaiClient(f.endpoint("oai")).chat.completions.create({
      model: "gpt-4o",
      messages: user("x"),
      stream: true,
    });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
  });
});

describe("setFaults", () => {
  it("validates faults and endpoint names", async () => {
    const f = await start();
    expect(() => f.setFaults("oai", { errorRate: 2 })).toThrow(/errorRate/);
    expect(() => f.setFaults("nope", {})).toThrow(/Unknown sim endpoint "nope"/);
  });
});
