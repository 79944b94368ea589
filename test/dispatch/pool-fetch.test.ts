import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as zlib from "node:zlib";
import { APIError, OpenAI, toFile } from "openai";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { poolFetch } from "../../src/dispatch/pool-fetch.js";
import { isNetworkError } from "../../src/resilience/classify.js";

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  agent = undefined;
});

/** A server on 127.0.0.1 answering with `handle`; every request it saw is in `seen`. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handle(req, res, body);
    });
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  agent = new Agent();
  const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  return { base, seen, fetch: poolFetch(agent) };
}

const JSON_BODY = { id: "chatcmpl-1", choices: [{ index: 0, message: { content: "héllo ✓" } }] };

describe("poolFetch", () => {
  it("sends the method, path, query, headers and body it is given, with fetch's accept-encoding", async () => {
    const { base, seen, fetch } = await serve((_req, res) => res.end("{}"));
    const headers = new Headers({ "content-type": "application/json", "x-trace": "t1" });
    await fetch(`${base}/v1/chat/completions?api-version=2024-10-21`, {
      method: "post",
      headers,
      body: '{"a":1}',
    });
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "/v1/chat/completions?api-version=2024-10-21",
      body: '{"a":1}',
    });
    expect(seen[0]?.headers["x-trace"]).toBe("t1");
    expect(seen[0]?.headers["accept-encoding"]).toBe("gzip, deflate, br");
    // A caller's own accept-encoding wins, in a plain record as well as in Headers.
    await fetch(`${base}/x`, { headers: { "Accept-Encoding": "identity" } });
    expect(seen[1]?.headers["accept-encoding"]).toBe("identity");
    expect(seen[1]?.method).toBe("GET");
  });

  it("answers a JSON body as a Response: status, every header, json() and text() once", async () => {
    const { base, fetch } = await serve((_req, res) => {
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.writeHead(201, "Made", { "content-type": "application/json", "x-request-id": "req_7" });
      res.end(JSON.stringify(JSON_BODY));
    });
    const response = await fetch(`${base}/`);
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Made");
    expect(response.headers.get("x-request-id")).toBe("req_7");
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await response.json()).toEqual(JSON_BODY);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it.each([
    ["gzip", zlib.gzipSync],
    ["deflate", zlib.deflateSync],
    ["br", zlib.brotliCompressSync],
  ] as const)("decodes a %s body, as fetch does", async (encoding, encode) => {
    const { base, fetch } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      res.end(encode(Buffer.from(JSON.stringify(JSON_BODY))));
    });
    expect(await (await fetch(`${base}/`)).json()).toEqual(JSON_BODY);
  });

  it("streams server-sent events as they arrive, not once the body ends", async () => {
    let release: (() => void) | undefined;
    const { base, fetch } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      release = () => res.end("data: two\n\n");
    });
    const response = await fetch(`${base}/`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    // Breaks if the pool buffered event streams: the first read would wait for `release`.
    expect(decoder.decode((await reader.read()).value)).toBe("data: one\n\n");
    release?.();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += decoder.decode(r.value);
    expect(rest).toBe("data: two\n\n");
  });

  it("cuts a stream when its signal aborts", async () => {
    const { base, fetch } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
    });
    const controller = new AbortController();
    const response = await fetch(`${base}/`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: "AbortError" });
  });

  it("rejects with an AbortError when the signal aborts before the answer", async () => {
    const { base, fetch } = await serve(() => {});
    const controller = new AbortController();
    const pending = fetch(`${base}/`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("rejects a refused connection with an error the router classifies as a network failure", async () => {
    const { base, fetch } = await serve(() => {});
    const port = new URL(base).port;
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(isNetworkError(error)).toBe(true);
  });

  it("answers 204 with a null body", async () => {
    const { base, fetch } = await serve((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const response = await fetch(`${base}/`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  // Breaks if the FormData went to undici's npm fetch, which takes the global FormData for another
  // class and sends the text "[object FormData]" as text/plain.
  it("sends a FormData body as multipart, with its boundary, as the platform's fetch does", async () => {
    const { base, seen, fetch } = await serve((_req, res) => res.end("ok"));
    const form = new FormData();
    form.set("purpose", "batch");
    form.set("file", new Blob(['{"custom_id":"1"}\n'], { type: "application/jsonl" }), "batch.jsonl");
    expect(await (await fetch(`${base}/files`, { method: "POST", body: form })).text()).toBe("ok");
    const type = seen[0]?.headers["content-type"] ?? "";
    expect(type).toMatch(/^multipart\/form-data; boundary=/);
    const boundary = type.split("boundary=")[1];
    expect(seen[0]?.body).toContain(`--${boundary}`);
    expect(seen[0]?.body).toContain('name="purpose"\r\n\r\nbatch');
    expect(seen[0]?.body).toContain('filename="batch.jsonl"');
    expect(seen[0]?.body).toContain('{"custom_id":"1"}');
  });

  it("sends a Request given as input with its method, headers and body", async () => {
    const { base, seen, fetch } = await serve((_req, res) => res.end("ok"));
    const request = new Request(`${base}/v1/x?q=1`, {
      method: "PUT",
      headers: { "x-a": "1" },
      body: "payload",
    });
    expect((await fetch(request)).status).toBe(200);
    expect(seen[0]).toMatchObject({ method: "PUT", url: "/v1/x?q=1", body: "payload" });
    expect(seen[0]?.headers["x-a"]).toBe("1");
  });

  it("uploads a file through the official SDK (files.create), multipart and whole", async () => {
    const { base, seen, fetch } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "file-1",
          object: "file",
          bytes: 18,
          filename: "batch.jsonl",
          purpose: "batch",
        }),
      );
    });
    const client = new OpenAI({ apiKey: "sk-test", baseURL: `${base}/v1`, maxRetries: 0, fetch });
    const file = await toFile(Buffer.from('{"custom_id":"1"}\n'), "batch.jsonl");
    const created = await client.files.create({ file, purpose: "batch" });
    expect(created.id).toBe("file-1");
    expect(seen[0]?.url).toBe("/v1/files");
    expect(seen[0]?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[0]?.body).toContain('filename="batch.jsonl"');
    expect(seen[0]?.body).toContain('{"custom_id":"1"}');
  });

  it("serves the official SDK: a completion with its request id, a stream, and a 429 as APIError", async () => {
    let calls = 0;
    const { base, fetch } = await serve((req, res, text) => {
      calls++;
      if (req.url?.includes("limited")) {
        res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "250" });
        res.end(JSON.stringify({ error: { message: "slow down", type: "requests", code: "rate_limit" } }));
        return;
      }
      if ((JSON.parse(text) as { stream?: boolean }).stream) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(
          `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: "hi" } }] })}\n\n`,
        );
        res.end("data: [DONE]\n\n");
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_sdk" });
      res.end(JSON.stringify(JSON_BODY));
    });
    const client = new OpenAI({ apiKey: "sk-test", baseURL: `${base}/v1`, maxRetries: 0, fetch });
    const messages = [{ role: "user" as const, content: "x" }];
    const answer = await client.chat.completions.create({ model: "m", messages });
    expect(answer).toEqual(JSON_BODY);
    expect(answer._request_id).toBe("req_sdk");
    const chunks: string[] = [];
    for await (const chunk of await client.chat.completions.create({ model: "m", messages, stream: true }))
      chunks.push(chunk.choices[0]?.delta.content ?? "");
    expect(chunks).toEqual(["hi"]);
    const limited = new OpenAI({ apiKey: "sk-test", baseURL: `${base}/limited`, maxRetries: 0, fetch });
    const error = await limited.chat.completions.create({ model: "m", messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(429);
    expect((error as APIError).headers?.get("retry-after-ms")).toBe("250");
    expect(calls).toBe(3);
  });
});
