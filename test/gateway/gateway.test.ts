import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { promisify } from "node:util";
import { createOpenAI } from "@ai-sdk/openai";
import { embed, generateText, streamText } from "ai";
import { type APIError, BadRequestError, NotFoundError, OpenAI } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { createGateway } from "../../src/gateway/gateway.js";
import { rig } from "../helpers/setup.js";
import { chat, FLEET, flushed, type GatewayRig, gatewayRig, until } from "./rig.js";

const run = promisify(execFile);

let current: GatewayRig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe("gateway routes with the official SDK", () => {
  // Breaks if chat completions are not routed through the gateway or lose the SDK's shape or headers.
  it("answers chat completions as JSON with the endpoint, the request id and rate-limit headers", async () => {
    current = await gatewayRig();
    const { data, response } = await current
      .client()
      .chat.completions.create(chat("hello gateway"), { headers: { "x-request-id": "my-req-1" } })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(response.headers.get("x-request-id")).toBe("my-req-1");
    expect(response.headers.get("x-upstream-request-id")).toBeTruthy();
    expect(["east", "oai"]).toContain(response.headers.get("x-openai-router-endpoint"));
    expect(response.headers.get("x-ratelimit-remaining-requests")).not.toBeNull();
    await flushed();
    const line = current.log.at(-1);
    expect(line).toMatchObject({
      id: "my-req-1",
      client: "anonymous",
      status: 200,
      model: "gpt-4o",
      stream: false,
      promptTokens: data.usage?.prompt_tokens,
      totalTokens: data.usage?.total_tokens,
    });
    expect(line?.endpoint).toBe(response.headers.get("x-openai-router-endpoint"));
  });

  // Breaks if a request without x-request-id gets none, or two get the same.
  it("generates a request id when the client sends none", async () => {
    current = await gatewayRig();
    const a = await current.client().chat.completions.create(chat("a")).withResponse();
    const b = await current.client().chat.completions.create(chat("b")).withResponse();
    expect(a.response.headers.get("x-request-id")).toMatch(/^gw_/);
    expect(a.response.headers.get("x-request-id")).not.toBe(b.response.headers.get("x-request-id"));
  });

  // Breaks if streams are buffered, lose chunks, drop usage or end without [DONE].
  it("streams chat completions with usage", async () => {
    current = await gatewayRig();
    const stream = await current.client().chat.completions.create({
      ...chat("stream please", 40),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let chunks = 0;
    let usage: number | undefined;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage.completion_tokens;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text.length).toBeGreaterThan(0);
    expect(usage).toBe(40);
    await flushed();
    expect(current.log.at(-1)).toMatchObject({ stream: true, status: 200, completionTokens: 40 });
  });

  // Breaks if embeddings (base64, as the SDK asks) are not passed through.
  it("answers embeddings", async () => {
    current = await gatewayRig();
    const res = await current
      .client()
      .embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  // Breaks if GET /v1/models and /v1/models/{id} are not answered with the router's models.
  it("lists and retrieves models", async () => {
    current = await gatewayRig();
    const client = current.client();
    expect((await client.models.list()).data.map((m) => m.id).sort()).toEqual([
      "gpt-4o",
      "text-embedding-3-small",
    ]);
    expect((await client.models.retrieve("gpt-4o")).id).toBe("gpt-4o");
  });

  // Breaks if /v1/responses is not forwarded to router.fetch (which answers it, or 404 unknown_url before it lands).
  it("forwards /v1/responses paths to router.fetch", async () => {
    current = await gatewayRig();
    const res = await fetch(`${current.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", input: "hi", max_output_tokens: 16 }),
    });
    const body = (await res.json()) as { object?: string; error?: { code?: string } };
    if (res.status === 200) expect(body.object).toBe("response");
    else expect(body.error?.code).toBe("unknown_url");
  });
});

describe("gateway error statuses", () => {
  // Breaks if router errors do not reach the client as the OpenAI errors the SDK maps to its classes.
  it("answers router errors with errorReply's statuses and bodies", async () => {
    current = await gatewayRig(undefined, { queue: { maxSize: 1 } });
    const client = current.client();
    const invalid = await client.chat.completions
      .create({ model: "gpt-4o", messages: "x" } as never)
      .catch((e) => e);
    expect(invalid).toBeInstanceOf(BadRequestError);
    const unserved = await client.chat.completions.create(chat("x", 16, "gpt-9")).catch((e) => e);
    expect(unserved).toBeInstanceOf(NotFoundError);
    expect((unserved as NotFoundError).code).toBe("model_not_found");
    const url = await fetch(`${current.url}/v1/nothing-here`, { method: "POST", body: "{}" });
    expect(url.status).toBe(404);
    expect(((await url.json()) as { error: { code: string } }).error.code).toBe("unknown_url");
    const json = await fetch(`${current.url}/v1/chat/completions`, { method: "POST", body: "{not json" });
    expect(json.status).toBe(400);
  });

  // Breaks if a deadline does not become 504 or failed upstreams do not become the upstream's status.
  it("answers 504 for a deadline and the upstream's status when every endpoint failed", async () => {
    current = await gatewayRig(undefined, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    await current.fleet.setFaults("east", { hang: true });
    await current.fleet.setFaults("oai", { hang: true });
    const late = await current
      .client()
      .chat.completions.create(chat("late"), { headers: { "x-openai-router-timeout-ms": "50" } })
      .catch((e) => e);
    expect((late as APIError).status).toBe(504);
    await current.fleet.setFaults("east", { errorRate: 1, errorStatus: 500 });
    await current.fleet.setFaults("oai", { errorRate: 1, errorStatus: 500 });
    const failed = await current
      .client()
      .chat.completions.create(chat("fail"))
      .catch((e) => e);
    expect((failed as APIError).status).toBe(500);
    expect((failed as APIError).code).toBe("all_endpoints_failed");
  });

  // Breaks if the router's QUEUE_FULL or a client's full gateway queue is not a 429 the client may retry.
  it("answers 429 with retry-after for a full router queue and a full client queue", async () => {
    current = await gatewayRig(
      { seed: 2, endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"] }] },
      { queue: { maxSize: 1 }, extras: { oai: { limits: { concurrency: 1 } } } },
      { fairness: { enabled: false } },
    );
    await current.fleet.setFaults("oai", { hang: true });
    const client = current.client();
    const held = new AbortController();
    const running = client.chat.completions
      .create(chat("runs"), { signal: held.signal })
      .catch(() => undefined);
    const waiting = client.chat.completions
      .create(chat("waits"), { signal: held.signal })
      .catch(() => undefined);
    const r = current;
    await until(() => r.router.snapshot().queue.depth === 1, "one request waiting in the router");
    const full = await client.chat.completions.create(chat("refused")).catch((e) => e);
    expect((full as APIError).status).toBe(429);
    expect((full as APIError).code).toBe("queue_full");
    expect((full as APIError).headers?.get("retry-after")).toBe("1");
    held.abort();
    await Promise.all([running, waiting]);
  });

  // Breaks if a client may pile up more than maxQueuedPerClient requests in the gateway.
  it("answers 429 client_queue_full past fairness.maxQueuedPerClient", async () => {
    current = await gatewayRig(
      { seed: 2, endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"] }] },
      {},
      {
        clients: [{ name: "web", key: "web-key-0123456789abcdef", limits: { concurrency: 1 } }],
        fairness: { maxQueuedPerClient: 1 },
      },
    );
    await current.fleet.setFaults("oai", { hang: true });
    const client = current.client("web-key-0123456789abcdef");
    const held = new AbortController();
    const first = client.chat.completions
      .create(chat("runs"), { signal: held.signal })
      .catch(() => undefined);
    const r = current;
    await until(() => r.gateway.clients()[0]?.inflight === 1, "the first to run");
    const second = client.chat.completions
      .create(chat("waits"), { signal: held.signal })
      .catch(() => undefined);
    await until(() => r.gateway.clients()[0]?.queued === 1, "the second to wait");
    const third = await client.chat.completions.create(chat("refused")).catch((e) => e);
    expect((third as APIError).status).toBe(429);
    expect((third as APIError).code).toBe("client_queue_full");
    held.abort();
    await Promise.all([first, second]);
  });

  // Breaks if bodies over the limit are read whole or answered with anything but 413.
  it("refuses bodies over maxBodyBytes with 413", async () => {
    current = await gatewayRig(undefined, {}, { maxBodyBytes: 1_000 });
    const big = await current
      .client()
      .chat.completions.create(chat("x".repeat(5_000)))
      .catch((e) => e);
    expect((big as APIError).status).toBe(413);
    expect((big as APIError).code).toBe("body_too_large");
    // A chunked body (no content-length) is cut while it is read.
    const chunked = await fetch(`${current.url}/v1/chat/completions`, {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(JSON.stringify(chat("y".repeat(5_000)))));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit).catch((e: unknown) => e);
    expect(chunked).toBeInstanceOf(Response);
    expect((chunked as Response).status).toBe(413);
    expect(current.fleet.stats("east").requests + current.fleet.stats("oai").requests).toBe(0);
  });
});

describe("gateway robustness", () => {
  // Breaks if a client that hangs up in the middle of its body takes the gateway down (an unhandled rejection).
  it("survives a client that resets the connection mid-body", async () => {
    current = await gatewayRig();
    const { port } = new URL(current.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(
          'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"model":',
        );
        setTimeout(() => {
          socket.resetAndDestroy();
          resolve();
        }, 20);
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    expect((await current.client().chat.completions.create(chat("still here"))).object).toBe(
      "chat.completion",
    );
  });
});

describe("gateway draining (handler mounted in the application's own server)", () => {
  // Breaks if a draining gateway still routes new requests instead of answering 503 gateway_draining.
  it("answers 503 to new requests while in-flight ones finish, then resolves close()", async () => {
    const base = await rig(FLEET);
    const gateway = createGateway(base.router);
    const server = createServer(gateway.handler);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await base.fleet.setFaults("east", { slowStartMs: 300 });
      await base.fleet.setFaults("oai", { slowStartMs: 300 });
      const client = new OpenAI({ apiKey: "unused", baseURL: `${url}/v1`, maxRetries: 0 });
      const inFlight = client.chat.completions.create(chat("before the drain"));
      await until(() => base.router.snapshot().totals.pending === 1, "the request to be in flight");
      const closed = gateway.close({ drainMs: 5_000 });
      const late = await client.chat.completions.create(chat("after")).catch((e: unknown) => e);
      expect((late as APIError).status).toBe(503);
      expect((late as APIError).code).toBe("gateway_draining");
      expect(gateway.readiness()).toEqual({
        ready: false,
        reasons: ["draining: the gateway is shutting down"],
      });
      expect((await inFlight).object).toBe("chat.completion");
      await closed;
    } finally {
      server.close();
      await base.close();
    }
  });
});

describe("gateway without clients", () => {
  // Breaks if an unauthenticated gateway may listen where other machines reach it.
  it("refuses to listen on a non-loopback address (nothing is bound)", async () => {
    const base = await rig(FLEET);
    try {
      const gateway = createGateway(base.router);
      const refused = await gateway.listen(0, "0.0.0.0").catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConfigError);
      expect((refused as ConfigError).issues[0]?.path).toBe("gateway.host");
      expect(gateway.url).toBeUndefined();
      await gateway.close();
    } finally {
      await base.close();
    }
  });
});

describe("gateway with other clients", () => {
  // Breaks if curl (any language's HTTP client) cannot call the gateway, JSON or streamed.
  it("answers curl, JSON and SSE", async () => {
    current = await gatewayRig();
    const body = JSON.stringify(chat("from curl"));
    const json = await run("curl", [
      "-s",
      "-H",
      "content-type: application/json",
      "-d",
      body,
      `${current.url}/v1/chat/completions`,
    ]);
    expect((JSON.parse(json.stdout) as { object: string }).object).toBe("chat.completion");
    const streamed = JSON.stringify({ ...chat("from curl", 20), stream: true });
    const sse = await run("curl", [
      "-sN",
      "-H",
      "content-type: application/json",
      "-d",
      streamed,
      `${current.url}/v1/chat/completions`,
    ]);
    expect(sse.stdout).toMatch(/^data: \{.*"chat\.completion\.chunk"/m);
    expect(sse.stdout.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  // Breaks if the AI SDK, pointed at the gateway's base URL, cannot generate, stream or embed.
  it("serves the AI SDK (generateText, streamText, embed) by base URL", async () => {
    current = await gatewayRig();
    const openai = createOpenAI({ apiKey: "unused", baseURL: `${current.url}/v1` });
    const { text } = await generateText({ model: openai.chat("gpt-4o"), prompt: "hi", maxOutputTokens: 16 });
    expect(text.length).toBeGreaterThan(0);
    const streamed = streamText({ model: openai.chat("gpt-4o"), prompt: "hi", maxOutputTokens: 16 });
    let out = "";
    for await (const part of streamed.textStream) out += part;
    expect(out.length).toBeGreaterThan(0);
    const { embedding } = await embed({ model: openai.embedding("text-embedding-3-small"), value: "a" });
    expect(embedding.length).toBeGreaterThan(0);
  });
});
