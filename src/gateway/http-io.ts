import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorReply } from "../fetch/error-response.js";

/** A request body, or how many bytes it was when it went over the limit. */
export type BodyRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly bytes: number };

/**
 * Reads a request body up to `limit` bytes. A `content-length` over the limit is refused before a
 * byte is read; a body that grows past it stops being read (the caller answers 413 and closes).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, bytes: declared });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        req.pause();
        resolve({ ok: false, bytes: size });
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (over) return;
      const text =
        chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8");
      resolve({ ok: true, text });
    });
    req.on("error", reject);
  });
}

/** Sends a whole JSON body. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  headers["content-type"] = "application/json";
  headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(status, headers);
  res.end(text);
}

/** Sends an OpenAI-style error answer (the router's through `errorReply`, or a gateway error's own). */
export function sendError(res: ServerResponse, reply: ErrorReply, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, reply.status, reply.body, { ...reply.headers, ...extra });
}

/**
 * Copies a body to the socket honouring backpressure: when `write()` says the socket's buffer is
 * full, the next chunk is read only after `drain`, so a slow reader slows the upstream read through
 * the router's pull-based stream. `peek` sees the first chunks until it returns true. Resolves when
 * the body ended or the response closed.
 */
export async function pipeBody(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
  peek?: (chunk: Uint8Array) => boolean,
): Promise<void> {
  let peeking = peek !== undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || res.destroyed) return;
    if (peeking && peek) peeking = !peek(value);
    if (!res.write(value)) await drained(res);
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
