import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { OpenAIEndpointConfig } from "../../src/index.js";

/**
 * A real HTTP upstream on 127.0.0.1 (port 0) for the Responses API (`POST /{name}/v1/responses`), one
 * mode per endpoint, so a hostile endpoint can sit next to a healthy one. The chat/embeddings fixture
 * (test/helpers/hostile-upstream.ts) does not speak this surface; its completion rule differs (the final
 * `response.completed` / `response.incomplete` event, no `[DONE]`).
 */

export const RESPONSES_MODES = [
  "ok",
  /** 200 `text/html`: a proxy's error page. */
  "html",
  /** 200 JSON that is not a response object (no `id`, no `output`). */
  "wrong-shape",
  /** Streams: the body ends after `response.created`, before any output. */
  "sse-empty",
  /** Streams: an `error` event before any output. */
  "sse-error-before",
  /** Streams: output deltas, then the body ends cleanly without the final event. */
  "sse-truncated",
  /** Streams: output deltas, then `response.failed`. */
  "sse-failed-after",
] as const;
export type ResponsesMode = (typeof RESPONSES_MODES)[number];

export const TEXT = "Hello from a healthy endpoint.";
const PIECES = ["Hello", " from a", " healthy endpoint."];

export interface ResponsesUpstream {
  endpoint(name: string, extra?: Partial<OpenAIEndpointConfig>): OpenAIEndpointConfig;
  setMode(name: string, mode: ResponsesMode): void;
  calls(name: string): number;
  close(): Promise<void>;
}

export async function startResponsesUpstream(): Promise<ResponsesUpstream> {
  const modes = new Map<string, ResponsesMode>();
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const match = /^\/([^/]+)\/v1\/responses$/.exec(req.url ?? "");
      if (!match?.[1] || req.method !== "POST") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
        return;
      }
      const name = match[1];
      counts.set(name, (counts.get(name) ?? 0) + 1);
      let body: { stream?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { stream?: unknown };
      } catch {
        // answered as the mode says
      }
      answer(res, modes.get(name) ?? "ok", body.stream === true, name);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: (name, extra = {}) => ({
      name,
      type: "openai",
      // Loopback only; a key no service would accept.
      apiKey: `sk-hostile-responses-${name}-0000000000`,
      baseURL: `http://127.0.0.1:${port}/${name}/v1`,
      models: ["gpt-4o"],
      ...extra,
    }),
    setMode: (name, mode) => {
      modes.set(name, mode);
    },
    calls: (name) => counts.get(name) ?? 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(res: ServerResponse, mode: ResponsesMode, stream: boolean, name: string): void {
  if (mode === "html") {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>");
    return;
  }
  if (!stream || mode === "wrong-shape") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify(mode === "wrong-shape" ? { status: "ok", result: 42 } : response(name, "completed")),
    );
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let seq = 0;
  const event = (type: string, fields: Record<string, unknown> = {}) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;
  const out = [event("response.created", { response: response(name, "in_progress") })];
  if (mode === "sse-error-before")
    out.push(event("error", { code: "server_error", message: "The server is overloaded.", param: null }));
  if (mode === "sse-empty" || mode === "sse-error-before") {
    res.end(out.join(""));
    return;
  }
  const item_id = `msg_${name}`;
  out.push(
    event("response.output_item.added", {
      output_index: 0,
      item: { id: item_id, type: "message", status: "in_progress", role: "assistant", content: [] },
    }),
  );
  const pieces = mode === "ok" ? PIECES : PIECES.slice(0, 2);
  for (const delta of pieces)
    out.push(
      event("response.output_text.delta", {
        item_id,
        output_index: 0,
        content_index: 0,
        delta,
        logprobs: [],
      }),
    );
  if (mode === "sse-failed-after") out.push(event("response.failed", { response: response(name, "failed") }));
  if (mode === "ok") out.push(event("response.completed", { response: response(name, "completed") }));
  res.end(out.join(""));
}

function response(name: string, status: "in_progress" | "completed" | "failed"): Record<string, unknown> {
  const done = status === "completed";
  return {
    id: `resp_${name}_0001`,
    object: "response",
    created_at: 1_700_000_000,
    status,
    model: "gpt-4o-2024-08-06",
    output: done
      ? [
          {
            id: `msg_${name}`,
            type: "message",
            status: "completed",
            role: "assistant",
            content: [{ type: "output_text", text: TEXT, annotations: [], logprobs: [] }],
          },
        ]
      : [],
    error: status === "failed" ? { code: "server_error", message: "The model stopped." } : null,
    incomplete_details: null,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    usage: done
      ? {
          input_tokens: 8,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 6,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 14,
        }
      : null,
  };
}
