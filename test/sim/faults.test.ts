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
    expect(e).toBeInstanceOf(Error);
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
    const client = openaiClient(f.endpoint("oai"), { timeout: 150 });
    const timedOut = await rejection(
      client.chat.completions.create({ model: "gpt-4o", messages: user("x") }),
    );
    expect(timedOut).toBeInstanceOf(APIConnectionTimeoutError);
    const controller = new AbortController();
    const pending = client.chat.completions.create(
      { model: "gpt-4o", messages: user("x") },
      { signal: controller.signal, timeout: 60_000 },
    );
    setTimeout(() => controller.abort(), 50);
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
    await f.close();
    expect(await rejection(pending)).toBeInstanceOf(APIConnectionError);
  });

  it("down: connections fail (even kept-alive ones) until cleared, then it recovers", async () => {
    const f = await start();
    const client = openaiClient(f.endpoint("oai"));
    const ask = () => client.chat.completions.create({ model: "gpt-4o", messages: user("x"), max_tokens: 1 });
    await ask(); // leaves a keep-alive socket open
    f.setFaults("oai", { down: true });
    for (let i = 0; i < 3; i++) expect(await rejection(ask())).toBeInstanceOf(APIConnectionError);
    f.setFaults("oai", {});
    await expect(ask()).resolves.toBeTruthy();
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
