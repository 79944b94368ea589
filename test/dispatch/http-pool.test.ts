import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpPool, type HttpPool } from "../../src/dispatch/http-pool.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server on 127.0.0.1 that sends the headers and the start of a body, then goes silent. */
async function stallingServer(contentType: string, start: string): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": contentType });
    res.write(start);
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/`;
}

/**
 * Runs `use` on a pool with a 150 ms body timeout and returns the `code` of the error it fails with
 * and of every cause under it (undici reports a body timeout as one of them).
 */
async function bodyTimeoutCodes(use: (pool: HttpPool) => Promise<unknown>): Promise<unknown[]> {
  const pool = createHttpPool({ bodyTimeoutMs: 150 });
  try {
    const error = await use(pool).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const codes: unknown[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) codes.push((e as { code?: unknown }).code);
    return codes;
  } finally {
    await pool.close();
  }
}

describe("createHttpPool", () => {
  // Breaks if bodyTimeoutMs were not passed to the pool: the read would hang for undici's 300 s default
  // (the test's own 5 s timeout fails first). A JSON body is read whole before the fetch resolves,
  // so the fetch itself fails; a server-sent-events body streams, so its read fails.
  it("fails a body that stalls after its headers once bodyTimeoutMs of silence have passed", async () => {
    const url = await stallingServer("application/json", '{"id":"chatcmpl-1","object":"chat.com');
    expect(await bodyTimeoutCodes((pool) => pool.fetch(url))).toContain("UND_ERR_BODY_TIMEOUT");
  }, 5_000);

  it("fails a server-sent-events stream that stalls once bodyTimeoutMs of silence have passed", async () => {
    const url = await stallingServer("text/event-stream", 'data: {"id":"chatcmpl-1"}\n\n');
    const read = async (pool: HttpPool) => {
      const response = await pool.fetch(url);
      expect(response.status).toBe(200);
      return response.text();
    };
    expect(await bodyTimeoutCodes(read)).toContain("UND_ERR_BODY_TIMEOUT");
  }, 5_000);
});
