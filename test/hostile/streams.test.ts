import { lastValueFrom, toArray } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { HostileMode } from "../helpers/hostile-upstream.js";
import { CHAT, codeOf, HEALTHY_TEXT, type HostileRig, hostileRig, readStream, settled } from "./rig.js";

/**
 * Streams: until content reached the caller, anything but a proper stream (an SSE error event,
 * garbage, chunks of the wrong shape, no event at all, an HTML page) fails over unseen. A stream is
 * complete only when the service says so (a finish_reason on every choice); one that ends after
 * content without it, or breaks, is STREAM_INTERRUPTED, never a success. Real router, SDK and HTTP.
 */

let rig: HostileRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const BEFORE_CONTENT: readonly HostileMode[] = [
  "sse-error",
  "sse-garbage",
  "sse-wrong-shape",
  "sse-empty",
  "html",
  "empty-untyped",
];

describe("a stream that fails before any content", () => {
  // Breaks if an error event or garbage before the first token ended the request (UPSTREAM_ERROR or a
  // raw SyntaxError / TypeError), or if a stream with no content at all counted as a finished answer.
  it.each(BEFORE_CONTENT)(
    "%s: fails over; the caller reads the healthy endpoint's whole answer",
    async (mode) => {
      rig = await hostileRig({ hostile: mode, healthy: "ok" });
      const { text, error } = await readStream(rig.router);
      expect(error, `the loop threw ${codeOf(error)}: ${String(error)}`).toBeUndefined();
      expect(text).toBe(HEALTHY_TEXT);
      const outcome = rig.outcomes.at(-1);
      expect(outcome).toMatchObject({ ok: true, kind: "stream", endpoint: "healthy" });
      expect(outcome?.attempts.map((a) => a.endpoint)).toEqual(["hostile", "healthy"]);
      expect(rig.lane("hostile").failed).toBe(1);
    },
  );

  // Breaks if the observable API surfaced the upstream's garbage instead of failing over.
  it("router.stream(): the same, through the observable", async () => {
    rig = await hostileRig({ hostile: "sse-garbage", healthy: "ok" });
    const chunks = await lastValueFrom(rig.router.stream(CHAT).pipe(toArray()));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(HEALTHY_TEXT);
  });
});

describe("a stream that ends or breaks after content", () => {
  // Breaks if a stream that stopped without a finish_reason (and without [DONE]) was reported as a
  // success: a truncated answer presented as complete.
  it("no finish_reason, no [DONE]: the loop throws STREAM_INTERRUPTED, and so does the outcome", async () => {
    rig = await hostileRig({ hostile: "sse-no-done", healthy: "ok" });
    const { text, error } = await readStream(rig.router);
    expect(text).toBe("Hello from a"); // what came before the cut: it cannot be taken back
    expect(codeOf(error)).toBe("STREAM_INTERRUPTED");
    expect(error).toMatchObject({ endpoint: "hostile" });
    const outcome = rig.outcomes.at(-1);
    expect(outcome).toMatchObject({ ok: false, endpoint: "hostile" });
    expect(codeOf(outcome && !outcome.ok ? outcome.error : undefined)).toBe("STREAM_INTERRUPTED");
  });

  // Breaks if router.stream() completed normally on a truncated stream.
  it("router.stream(): a truncated stream errors with STREAM_INTERRUPTED instead of completing", async () => {
    rig = await hostileRig({ hostile: "sse-no-done" });
    const result = await settled(lastValueFrom(rig.router.stream(CHAT).pipe(toArray())));
    expect(result.ok).toBe(false);
    expect(codeOf(result.ok ? undefined : result.error)).toBe("STREAM_INTERRUPTED");
  });

  // Breaks if garbage or an error event after content were not blamed on the endpoint's stream
  // circuit (the stream circuit must open after breaker.consecutiveFailures such streams).
  it.each(["sse-no-done", "sse-garbage-after", "sse-error-after"] as const)(
    "%s: STREAM_INTERRUPTED, and the endpoint's stream circuit takes the blame",
    async (mode) => {
      rig = await hostileRig({ hostile: mode, healthy: "ok" }, { breaker: { consecutiveFailures: 2 } });
      for (let i = 0; i < 2; i++) {
        const { error } = await readStream(rig.router);
        expect(codeOf(error)).toBe("STREAM_INTERRUPTED");
      }
      expect(rig.lane("hostile").streamCircuit).toBe("open");
      // The next stream goes to the healthy endpoint; the hostile one still takes plain calls.
      const { text, error } = await readStream(rig.router);
      expect(error).toBeUndefined();
      expect(text).toBe(HEALTHY_TEXT);
      expect(rig.outcomes.at(-1)?.attempts.map((a) => a.endpoint)).toEqual(["healthy"]);
    },
  );
});
