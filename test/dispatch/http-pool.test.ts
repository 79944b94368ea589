import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpPool } from "../../src/dispatch/http-pool.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server on 127.0.0.1 that sends the headers and half a body, then goes silent. */
async function stallingServer(): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"id":"chatcmpl-1","object":"chat.com');
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}/`;
}

describe("createHttpPool", () => {
  // Breaks if bodyTimeoutMs were not passed to the pool: the read would hang for undici's 300 s default
  // (the test's own 5 s timeout fails first).
  it("fails a body that stalls after its headers once bodyTimeoutMs of silence have passed", async () => {
    const url = await stallingServer();
    const pool = createHttpPool({ bodyTimeoutMs: 150 });
    try {
      const response = await pool.fetch(url);
      expect(response.status).toBe(200);
      const error = await response.text().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      // undici reports it as a body timeout, which the router classifies as a connection failure.
      const codes: unknown[] = [];
      for (let e: unknown = error; e instanceof Error; e = e.cause)
        codes.push((e as { code?: unknown }).code);
      expect(codes).toContain("UND_ERR_BODY_TIMEOUT");
    } finally {
      await pool.close();
    }
  }, 5_000);
});
