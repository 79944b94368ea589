import { createHash } from "node:crypto";
import { type APIError, AuthenticationError, PermissionDeniedError, RateLimitError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createTokenEstimator } from "../../src/limits/token-estimate.js";
import { chat, flushed, type GatewayRig, gatewayRig, until } from "./rig.js";

const WEB_KEY = "web-key-0123456789abcdef";
const BATCH_KEY = "batch-key-0123456789abcdef";
const sha = (k: string) => createHash("sha256").update(k).digest("hex");

let current: GatewayRig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe("client keys", () => {
  // Breaks if a request without a key, or with a wrong one, reaches the router.
  it("answers 401 without a valid key and serves both key forms", async () => {
    current = await gatewayRig(
      undefined,
      {},
      {
        clients: [
          { name: "web", key: WEB_KEY },
          { name: "batch", keySha256: sha(BATCH_KEY).toUpperCase() },
        ],
      },
    );
    const none = await fetch(`${current.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify(chat()),
    });
    expect(none.status).toBe(401);
    const wrong = await current
      .client("not-a-known-key")
      .chat.completions.create(chat())
      .catch((e) => e);
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect((wrong as AuthenticationError).code).toBe("invalid_api_key");
    expect(current.fleet.stats("east").requests + current.fleet.stats("oai").requests).toBe(0);
    expect((await current.client(WEB_KEY).chat.completions.create(chat())).object).toBe("chat.completion");
    expect((await current.client(BATCH_KEY).chat.completions.create(chat())).object).toBe("chat.completion");
    // Azure clients send `api-key`.
    const azure = await fetch(`${current.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "api-key": WEB_KEY, "content-type": "application/json" },
      body: JSON.stringify(chat()),
    });
    expect(azure.status).toBe(200);
    await flushed();
    expect(current.log.map((l) => l.client)).toEqual([null, null, "web", "batch", "web"]);
  });

  // Breaks if a key (or its digest) shows up in the access log or the metrics.
  it("never logs a key or puts it in a metric; names are there", async () => {
    current = await gatewayRig(undefined, {}, { clients: [{ name: "web", key: WEB_KEY }] });
    await current.client(WEB_KEY).chat.completions.create(chat());
    await current
      .client("wrong-key-abcdefghijkl")
      .chat.completions.create(chat())
      .catch(() => undefined);
    const metrics = await (await fetch(`${current.url}/metrics`)).text();
    await flushed();
    for (const text of [current.logText(), metrics]) {
      expect(text).not.toContain(WEB_KEY);
      expect(text).not.toContain(sha(WEB_KEY));
      expect(text).not.toContain("wrong-key-abcdefghijkl");
    }
    expect(metrics).toMatch(/gateway_responses_total\{client="web",status="200"\} 1/);
    expect(current.logText()).toContain('"client":"web"');
  });

  // Breaks if a client may use a model outside its list, or sees it listed.
  it("answers 403 for a model the client may not use and lists only its models", async () => {
    current = await gatewayRig(
      undefined,
      {},
      { clients: [{ name: "web", key: WEB_KEY, models: ["gpt-4o"] }] },
    );
    const client = current.client(WEB_KEY);
    const denied = await client.embeddings
      .create({ model: "text-embedding-3-small", input: "a" })
      .catch((e) => e);
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect((denied as PermissionDeniedError).code).toBe("model_not_allowed");
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["gpt-4o"]);
    await expect(client.models.retrieve("text-embedding-3-small")).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    expect((await client.chat.completions.create(chat())).object).toBe("chat.completion");
  });
});

describe("client budgets (virtual clock)", () => {
  // Breaks if a client's RPM is not enforced, the retry-after is not the bucket's real wait, or others are held too.
  it("answers 429 with an honest retry-after once a client spent its RPM, while another client goes on", async () => {
    let now = 1_000_000;
    current = await gatewayRig(
      undefined,
      {},
      {
        now: () => now,
        clients: [
          { name: "web", key: WEB_KEY, limits: { rpm: 2 } },
          { name: "batch", key: BATCH_KEY },
        ],
      },
    );
    const web = current.client(WEB_KEY);
    await web.chat.completions.create(chat("1"));
    await web.chat.completions.create(chat("2"));
    const over = await web.chat.completions
      .create(chat("3"))
      .withResponse()
      .catch((e) => e);
    expect(over).toBeInstanceOf(RateLimitError);
    const headers = (over as RateLimitError).headers;
    // 2 per minute: the next request's token is 30 s away.
    expect(headers?.get("retry-after")).toBe("30");
    expect(headers?.get("retry-after-ms")).toBe("30000");
    expect((await current.client(BATCH_KEY).chat.completions.create(chat("other"))).object).toBe(
      "chat.completion",
    );
    now += 29_000;
    const still = await web.chat.completions.create(chat("4")).catch((e) => e);
    expect((still as RateLimitError).headers?.get("retry-after")).toBe("1");
    now += 1_000;
    expect((await web.chat.completions.create(chat("5"))).object).toBe("chat.completion");
  });

  // Breaks if the TPM budget is not charged with the router's estimate (prompt + output cap) or never refills.
  it("charges the client's TPM with prompt estimate + output cap, and refuses what can never fit", async () => {
    let now = 1_000_000;
    const body = chat("count me", 100);
    const cost = createTokenEstimator({ defaultOutputTokens: 1_000 }).estimateChatTokens(body);
    current = await gatewayRig(
      undefined,
      {},
      {
        now: () => now,
        clients: [{ name: "web", key: WEB_KEY, limits: { tpm: cost * 2 } }],
      },
    );
    const web = current.client(WEB_KEY);
    await web.chat.completions.create(body);
    await web.chat.completions.create(body);
    const over = await web.chat.completions.create(body).catch((e) => e);
    expect(over).toBeInstanceOf(RateLimitError);
    expect((over as RateLimitError).headers?.get("retry-after-ms")).toBe("30000");
    now += 30_000;
    await web.chat.completions.create(body);
    const huge = await web.chat.completions.create(chat("x", cost * 3)).catch((e) => e);
    expect((huge as APIError).status).toBe(400);
    expect((huge as APIError).code).toBe("request_too_large");
  });

  // Breaks if a client's concurrency limit lets more of its requests run at once.
  it("holds a client to its concurrency: the rest wait in its queue, none is refused", async () => {
    current = await gatewayRig(
      {
        seed: 3,
        endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 30 } }],
      },
      {},
      { clients: [{ name: "web", key: WEB_KEY, limits: { concurrency: 2 } }] },
    );
    const web = current.client(WEB_KEY);
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => web.chat.completions.create(chat(`c${i}`))),
    );
    expect(replies).toHaveLength(6);
    expect(current.router.snapshot().endpoints[0]?.peakInflight).toBe(2);
    await until(() => current?.router.snapshot().totals.inflight === 0, "router idle");
  });
});
