import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterEach, describe, expect, it } from "vitest";
import { type Completion, createRouter, type Router } from "../../src/index.js";
import {
  type ResponsesMode,
  type ResponsesUpstream,
  startResponsesUpstream,
  TEXT,
} from "./responses-upstream.js";
import { codeOf, settled } from "./rig.js";

/**
 * The Responses API against hostile upstreams: a 200 that is not a response object fails over like a
 * chat one; a stream is complete only at the service's final event (`response.completed` /
 * `response.incomplete`): one whose body ends after output without it, or with `response.failed`, is
 * STREAM_INTERRUPTED, never a success; one that breaks before output fails over. Real router, official
 * SDK, real HTTP on 127.0.0.1.
 */

interface Rig {
  readonly upstream: ResponsesUpstream;
  readonly router: Router;
  readonly outcomes: Completion[];
}
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.router.close();
  await rig?.upstream.close();
  rig = undefined;
});

/** Endpoints tried in the order given (strategy `priority`), each in its mode. */
async function responsesRig(modes: Readonly<Record<string, ResponsesMode>>): Promise<Rig> {
  const upstream = await startResponsesUpstream();
  const names = Object.keys(modes);
  for (const [name, mode] of Object.entries(modes)) upstream.setMode(name, mode);
  const router = createRouter({
    strategy: "priority",
    endpoints: names.map((name, i) => upstream.endpoint(name, { priority: i })),
    attemptTimeoutMs: 2_000,
    firstTokenTimeoutMs: 2_000,
    timeoutMs: 10_000,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
  });
  const outcomes: Completion[] = [];
  router.completions$.subscribe((c) => outcomes.push(c));
  return { upstream, router, outcomes };
}

/** Reads a Responses stream to its end: the text deltas, the event types, the error its loop threw. */
async function readEvents(router: Router): Promise<{ text: string; types: string[]; error: unknown }> {
  let text = "";
  const types: string[] = [];
  try {
    const stream = await router.responses.create({ model: "gpt-4o", input: "Hello", stream: true });
    for await (const event of stream as AsyncIterable<ResponseStreamEvent>) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    return { text, types, error: undefined };
  } catch (error) {
    return { text, types, error };
  }
}

describe("responses.create: a 200 that is not a response object", () => {
  // Breaks if the SDK's string for an HTML page (or foreign JSON) were resolved as the caller's Response.
  it.each(["html", "wrong-shape"] as const)(
    "%s: fails over; the caller gets the healthy response",
    async (mode) => {
      rig = await responsesRig({ hostile: mode, healthy: "ok" });
      const result = await settled(rig.router.responses.create({ model: "gpt-4o", input: "Hello" }));
      expect(result.ok, `rejected with ${codeOf(!result.ok && result.error)}`).toBe(true);
      const response = result.ok ? result.value : undefined;
      expect(response).toMatchObject({ object: "response", id: "resp_healthy_0001" });
      expect(rig.outcomes.at(-1)?.attempts.map((a) => [a.endpoint, a.status ?? a.errorCode])).toEqual([
        ["hostile", "invalid-response"],
        ["healthy", 200],
      ]);
    },
  );

  // Breaks if a bad 200 on the only endpoint were resolved or ended as a final UPSTREAM_ERROR.
  it("on the only endpoint: ALL_ENDPOINTS_FAILED with a RESPONSE_INVALID cause, after every attempt", async () => {
    rig = await responsesRig({ hostile: "wrong-shape" });
    const result = await settled(rig.router.responses.create({ model: "gpt-4o", input: "Hello" }));
    const error = result.ok ? undefined : result.error;
    expect(codeOf(error)).toBe("ALL_ENDPOINTS_FAILED");
    expect(codeOf((error as Error).cause)).toBe("RESPONSE_INVALID");
    expect(rig.upstream.calls("hostile")).toBe(3);
  });
});

describe("responses.create({ stream: true })", () => {
  // Breaks if a stream that ended (or broke) before any output were handed to the caller, as an empty
  // answer or an error, while another endpoint was healthy.
  it.each(["sse-empty", "sse-error-before"] as const)(
    "%s: fails over before output; the caller reads the healthy stream to its final event",
    async (mode) => {
      rig = await responsesRig({ hostile: mode, healthy: "ok" });
      const { text, types, error } = await readEvents(rig.router);
      expect(error, `the loop threw ${codeOf(error)}: ${String(error)}`).toBeUndefined();
      expect(text).toBe(TEXT);
      expect(types.at(-1)).toBe("response.completed");
      expect(rig.outcomes.at(-1)).toMatchObject({ ok: true, endpoint: "healthy" });
      expect(rig.outcomes.at(-1)?.attempts.map((a) => a.endpoint)).toEqual(["hostile", "healthy"]);
    },
  );

  // Breaks if a body that ended cleanly after output, without `response.completed`, were reported as a
  // complete answer (the chat rule, a finish_reason, does not apply here; the final event does).
  it("output, then the body ends without the final event: STREAM_INTERRUPTED, in the loop and the outcome", async () => {
    rig = await responsesRig({ hostile: "sse-truncated", healthy: "ok" });
    const { text, types, error } = await readEvents(rig.router);
    expect(text).toBe("Hello from a");
    expect(types).not.toContain("response.completed");
    expect(codeOf(error)).toBe("STREAM_INTERRUPTED");
    expect(error).toMatchObject({ endpoint: "hostile" });
    const outcome = rig.outcomes.at(-1);
    expect(outcome).toMatchObject({ ok: false, kind: "responses", endpoint: "hostile" });
    expect(codeOf(outcome && !outcome.ok ? outcome.error : undefined)).toBe("STREAM_INTERRUPTED");
  });

  // Breaks if `response.failed` after output counted as the end of a finished answer.
  it("output, then response.failed: STREAM_INTERRUPTED", async () => {
    rig = await responsesRig({ hostile: "sse-failed-after" });
    const { types, error } = await readEvents(rig.router);
    expect(types).toContain("response.failed");
    expect(codeOf(error)).toBe("STREAM_INTERRUPTED");
    expect(rig.outcomes.at(-1)?.ok).toBe(false);
  });

  // The control: a well-behaved stream is complete at its final event.
  it("ok: complete at response.completed, one outcome, a success", async () => {
    rig = await responsesRig({ healthy: "ok" });
    const { text, error } = await readEvents(rig.router);
    expect(error).toBeUndefined();
    expect(text).toBe(TEXT);
    expect(rig.outcomes).toHaveLength(1);
    expect(rig.outcomes[0]).toMatchObject({ ok: true, endpoint: "healthy" });
  });
});
