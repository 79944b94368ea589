import { RateLimitError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_OUTPUT_CHARGE, type Fleet, type SimLimits, startFleet } from "../../src/sim/index.js";
import { azureClient, FakeClock, openaiClient, rejection, user } from "./helpers.js";

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function limited(limits: SimLimits, clock?: FakeClock) {
  fleet = await startFleet({
    seed: 11,
    now: clock?.now,
    endpoints: [
      { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"], limits },
      {
        name: "east",
        type: "azure",
        deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
        limits,
      },
    ],
  });
  return fleet;
}

/** Azure's 429 text: the operation, the api-version, which limit, and the retry sentence last of all. */
function azureRateLimit(operation: string, limit: "token" | "call", seconds: string, extra = ""): RegExp {
  return new RegExp(
    `^Requests to the ${operation} Operation under Azure OpenAI API version 2024-10-21 have exceeded ${limit} rate limit of your current OpenAI S0 pricing tier\\.${extra} Please retry after ${seconds}\\.$`,
  );
}

// "hi" as the only user message: 3 + 1 ("user") + 1 ("hi") + 3 priming.
const HI_PROMPT_TOKENS = 8;

describe("rate-limit headers", () => {
  it("report limits, remaining after this request's charge, and resets as Go durations", async () => {
    const clock = new FakeClock();
    const f = await limited({ rpm: 600, tpm: 100_000 }, clock);
    const client = openaiClient(f.endpoint("oai"));
    const { response } = await client.chat.completions
      .create({ model: "gpt-4o", messages: user("hi"), max_tokens: 92 })
      .withResponse();
    const h = (name: string) => response.headers.get(name);
    // openai.com counts requests per minute: one of 600 spent.
    expect(h("x-ratelimit-limit-requests")).toBe("600");
    expect(h("x-ratelimit-remaining-requests")).toBe("599");
    expect(h("x-ratelimit-limit-tokens")).toBe("100000");
    expect(h("x-ratelimit-remaining-tokens")).toBe(String(100_000 - HI_PROMPT_TOKENS - 92));
    expect(h("x-ratelimit-reset-requests")).toBe("100ms");
    expect(h("x-ratelimit-reset-tokens")).toBe("60ms"); // 100 tokens at 100 000 / 60 000 per ms
  });

  it("count requests per window on Azure, like a real 48 RPM / 8000 TPM deployment (8, then 7 left)", async () => {
    const f = await limited({ rpm: 48, tpm: 8_000 }, new FakeClock());
    const { response } = await azureClient(f.endpoint("east"))
      .chat.completions.create({ model: "gpt4o-east", messages: user("hi"), max_tokens: 92 })
      .withResponse();
    const h = (name: string) => response.headers.get(name);
    expect(h("x-ratelimit-limit-requests")).toBe("8");
    expect(h("x-ratelimit-remaining-requests")).toBe("7");
    expect(h("x-ratelimit-limit-tokens")).toBe("8000");
    expect(h("x-ratelimit-remaining-tokens")).toBe("7900");
  });

  it("say remaining == limit on an idle openai endpoint, and 0 requests left in Azure's window on its 429", async () => {
    const f = await limited({ rpm: 6 }, new FakeClock());
    const models = await openaiClient(f.endpoint("oai")).models.list().withResponse();
    expect(models.response.headers.get("x-ratelimit-remaining-requests")).toBe("6");
    const client = azureClient(f.endpoint("east"));
    await client.chat.completions.create({ model: "gpt4o-east", messages: user("hi") });
    const e = (await rejection(
      client.chat.completions.create({ model: "gpt4o-east", messages: user("hi") }),
    )) as RateLimitError;
    expect(e.headers.get("x-ratelimit-limit-requests")).toBe("1");
    expect(e.headers.get("x-ratelimit-remaining-requests")).toBe("0");
  });
});

describe("requests per minute", () => {
  it("admits rpm/6 at once, refuses the next with retry-after, admits again once refilled", async () => {
    const clock = new FakeClock();
    const f = await limited({ rpm: 12 }, clock); // bucket of 2, one more every 5 s
    const client = openaiClient(f.endpoint("oai"));
    const ask = () => client.chat.completions.create({ model: "gpt-4o", messages: user("hi") });
    await ask();
    await ask();
    const e = await rejection(ask());
    expect(e).toBeInstanceOf(RateLimitError);
    const err = e as RateLimitError;
    expect(err.headers.get("retry-after")).toBe("5");
    expect(err.headers.get("retry-after-ms")).toBe("5000");
    // openai.com's remaining counts against the minute's 12: the 10 s window's 2 are spent.
    expect(err.headers.get("x-ratelimit-remaining-requests")).toBe("10");
    expect(err).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(err.message).toMatch(/requests per min \(RPM\): Limit 12/);
    clock.advance(4_999);
    expect(await rejection(ask())).toBeInstanceOf(RateLimitError);
    clock.advance(1);
    await expect(ask()).resolves.toMatchObject({ object: "chat.completion" });
    expect(f.stats("oai").byStatus).toEqual({ 200: 3, 429: 2 });
  });

  it("uses Azure's 429 wording with the api-version, ending with the retry sentence in whole seconds", async () => {
    const clock = new FakeClock();
    const f = await limited({ rpm: 6 }, clock);
    const client = azureClient(f.endpoint("east"));
    await client.chat.completions.create({ model: "gpt4o-east", messages: user("hi") });
    const e = await rejection(client.chat.completions.create({ model: "gpt4o-east", messages: user("hi") }));
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e).toMatchObject({ code: "429" });
    const error = (e as RateLimitError).error as { message: string };
    expect(error.message).toMatch(azureRateLimit("ChatCompletions_Create", "call", "10 seconds"));
    clock.advance(9_001); // 999 ms to go: "1 second"
    const soon = (await rejection(
      client.chat.completions.create({ model: "gpt4o-east", messages: user("hi") }),
    )) as RateLimitError;
    expect((soon.error as { message: string }).message).toMatch(
      azureRateLimit("ChatCompletions_Create", "call", "1 second"),
    );
  });

  it("enforces the default 10 s window: 100 back to back at 600 RPM, then 429", async () => {
    const f = await limited({ rpm: 600 }, new FakeClock());
    const client = openaiClient(f.endpoint("oai"));
    for (let i = 0; i < 100; i++)
      await client.chat.completions.create({ model: "gpt-4o", messages: user("hi") });
    const e = (await rejection(
      client.chat.completions.create({ model: "gpt-4o", messages: user("hi") }),
    )) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.headers.get("retry-after-ms")).toBe("100");
  });

  it("enforces a 1 s window with requestWindowSeconds: 1: 10 back to back at 600 RPM, then 429", async () => {
    const clock = new FakeClock();
    const f = await limited({ rpm: 600, requestWindowSeconds: 1 }, clock);
    const client = azureClient(f.endpoint("east"));
    const ask = () => client.chat.completions.create({ model: "gpt4o-east", messages: user("hi") });
    for (let i = 0; i < 10; i++) await ask();
    const e = (await rejection(ask())) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.headers.get("retry-after-ms")).toBe("100");
    expect(e.headers.get("x-ratelimit-limit-requests")).toBe("10");
    clock.advance(100);
    await expect(ask()).resolves.toBeTruthy();
  });
});

describe("tokens per minute", () => {
  it("charges prompt + max_tokens at admission and refuses what does not fit", async () => {
    const clock = new FakeClock();
    const f = await limited({ tpm: 1_000 }, clock);
    const client = openaiClient(f.endpoint("oai"));
    const ask = () =>
      client.chat.completions.create({ model: "gpt-4o", messages: user("hi"), max_tokens: 492 });
    await ask(); // 500 charged, though the reply uses fewer tokens: nothing is refunded
    await ask();
    const e = (await rejection(ask())) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.type).toBe("tokens");
    expect(e.message).toMatch(/tokens per min \(TPM\): Limit 1000, Used 1000, Requested 500/);
    expect(e.headers.get("retry-after-ms")).toBe("30000");
    clock.advance(30_000);
    await expect(ask()).resolves.toBeTruthy();
  });

  it(`charges ${DEFAULT_OUTPUT_CHARGE} output tokens when no max is given`, async () => {
    const clock = new FakeClock();
    const f = await limited({ tpm: 2_000 }, clock);
    const client = openaiClient(f.endpoint("oai"));
    const { response } = await client.chat.completions
      .create({ model: "gpt-4o", messages: user("hi") })
      .withResponse();
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe(
      String(2_000 - HI_PROMPT_TOKENS - DEFAULT_OUTPUT_CHARGE),
    );
  });

  it("refuses a request larger than the whole bucket with 429 'Request too large' and no retry-after", async () => {
    const f = await limited({ tpm: 1_000 }, new FakeClock());
    const e = (await rejection(
      openaiClient(f.endpoint("oai")).chat.completions.create({
        model: "gpt-4o",
        messages: user("hi"),
        max_tokens: 1_000,
      }),
    )) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e).toMatchObject({ code: "rate_limit_exceeded", type: "tokens" });
    expect(e.message).toMatch(
      /Request too large .* Limit 1000, Requested 1008\. The input or output tokens must be reduced/,
    );
    // Waiting never makes it fit, so nothing tells the client to wait.
    expect(e.headers.get("retry-after")).toBeNull();
    expect(e.headers.get("retry-after-ms")).toBeNull();
  });

  it("refuses a too-large request on Azure in Azure's words, with no retry-after and no retry sentence", async () => {
    const f = await limited({ tpm: 1_000 }, new FakeClock());
    const e = (await rejection(
      azureClient(f.endpoint("east")).chat.completions.create({
        model: "gpt4o-east",
        messages: user("hi"),
        max_tokens: 1_000,
      }),
    )) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e).toMatchObject({ code: "429" });
    const { message } = e.error as { message: string };
    expect(message).toMatch(/^Requests to the ChatCompletions_Create Operation .* exceeded token rate limit/);
    expect(message).toMatch(/token charge \(1008\) exceeds the limit of 1000 tokens per minute/);
    expect(message).not.toMatch(/retry after \d/i);
    expect(e.headers.get("retry-after")).toBeNull();
    expect(e.headers.get("retry-after-ms")).toBeNull();
  });

  it("names Embeddings_Create and the token rate limit in Azure's TPM 429", async () => {
    const f = await limited({ tpm: 1_000 }, new FakeClock());
    const client = azureClient(f.endpoint("east"));
    await client.embeddings.create({ model: "emb-east", input: Array.from({ length: 600 }, () => 1) });
    const e = (await rejection(
      client.embeddings.create({ model: "emb-east", input: Array.from({ length: 600 }, () => 1) }),
    )) as RateLimitError;
    // 200 tokens short at 1000 per minute: 12 s.
    expect((e.error as { message: string }).message).toMatch(
      azureRateLimit("Embeddings_Create", "token", "12 seconds"),
    );
    expect(e.headers.get("retry-after")).toBe("12");
  });

  it("charges embeddings their input tokens", async () => {
    const f = await limited({ tpm: 1_000 }, new FakeClock());
    const { response } = await openaiClient(f.endpoint("oai"))
      .embeddings.create({ model: "text-embedding-3-small", input: [1, 2, 3, 4, 5] })
      .withResponse();
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe("995");
  });

  it("refills in real time too (small real wait, no speed assertion)", async () => {
    const f = await limited({ rpm: 240 }); // bucket of 40, one more every 250 ms
    const client = openaiClient(f.endpoint("oai"));
    const ask = () =>
      client.chat.completions.create({ model: "gpt-4o", messages: user("hi"), max_tokens: 1 });
    // Drain the bucket in parallel bursts (faster than it refills even on a slow machine) …
    for (let burst = 0; burst < 20 && f.stats("oai").byStatus[429] === undefined; burst++) {
      await Promise.allSettled(Array.from({ length: 20 }, ask));
    }
    // … then probe alone, so nothing else takes the token the retry-after promises.
    let refused: RateLimitError | undefined;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      refused = (await ask().then(
        () => undefined,
        (e: unknown) => e,
      )) as RateLimitError | undefined;
    }
    expect(refused).toBeInstanceOf(RateLimitError);
    const wait = Number(refused!.headers.get("retry-after-ms"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(250);
    await new Promise((r) => setTimeout(r, wait));
    await expect(ask()).resolves.toBeTruthy();
  });
});

describe("concurrency", () => {
  it("refuses the request beyond the limit with retry-after 1 s, and counts peak concurrency", async () => {
    const f = await limited({ concurrency: 2 });
    // Hung requests stay in flight until aborted: no timing involved.
    f.setFaults("oai", { hang: true });
    const client = openaiClient(f.endpoint("oai"));
    const controller = new AbortController();
    const ask = (signal?: AbortSignal) =>
      client.chat.completions.create({ model: "gpt-4o", messages: user("hi") }, { signal });
    const hung = [ask(controller.signal), ask(controller.signal)].map((p) => p.catch(() => undefined));
    while (f.stats("oai").inflight < 2) await new Promise((r) => setTimeout(r, 5));
    const e = (await rejection(ask())) as RateLimitError;
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.headers.get("retry-after")).toBe("1");
    expect(e.headers.get("retry-after-ms")).toBe("1000");
    expect(e.message).toMatch(/concurrent/);
    f.setFaults("east", { hang: true });
    const east = azureClient(f.endpoint("east"));
    const askEast = (signal?: AbortSignal) =>
      east.chat.completions.create({ model: "gpt4o-east", messages: user("hi") }, { signal });
    const hungEast = [askEast(controller.signal), askEast(controller.signal)].map((p) =>
      p.catch(() => undefined),
    );
    while (f.stats("east").inflight < 2) await new Promise((r) => setTimeout(r, 5));
    const azure = (await rejection(askEast())) as RateLimitError;
    expect((azure.error as { message: string }).message).toMatch(
      azureRateLimit(
        "ChatCompletions_Create",
        "call",
        "1 second",
        " Too many requests in flight \\(limit 2\\)\\.",
      ),
    );
    controller.abort();
    await Promise.all(hungEast);
    await Promise.all(hung);
    while (f.stats("oai").inflight > 0) await new Promise((r) => setTimeout(r, 5));
    f.setFaults("oai", {});
    await expect(ask()).resolves.toBeTruthy();
    expect(f.stats("oai")).toMatchObject({
      peakConcurrency: 2,
      inflight: 0,
      dropped: 2,
      byStatus: { 200: 1, 429: 1 },
    });
  });
});
