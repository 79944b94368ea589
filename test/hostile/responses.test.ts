import { afterEach, describe, expect, it } from "vitest";
import type { HostileMode } from "../helpers/hostile-upstream.js";
import { CHAT, codeOf, type HostileRig, hostileRig, settled } from "./rig.js";

/**
 * A 200 that is not what the operation expects (a proxy's HTML page, a body that is not JSON, JSON of
 * the wrong shape, an error object, nothing at all) is an upstream failure like a 5xx: the request
 * fails over to a healthy endpoint, the bad endpoint is blamed, and nothing of it is ever handed to
 * the caller as a result. Real router, official SDK, real HTTP (test/helpers/hostile-upstream.ts).
 */

let rig: HostileRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const BAD_200: readonly HostileMode[] = [
  "html",
  "non-json",
  "text",
  "wrong-shape",
  "error-200",
  "empty",
  "empty-untyped",
];

describe("a 200 that is not a chat completion", () => {
  // Breaks if the router resolved the SDK's parse of a non-JSON body (a string, undefined, a foreign
  // object) as the caller's ChatCompletion, or ended with UPSTREAM_ERROR although another endpoint was healthy.
  it.each(BAD_200)(
    "%s: fails over to the healthy endpoint; the caller gets a real completion",
    async (mode) => {
      rig = await hostileRig({ hostile: mode, healthy: "ok" });
      const result = await settled(rig.router.chat.completions.create(CHAT));
      expect(result.ok, `rejected with ${codeOf(!result.ok && result.error)}`).toBe(true);
      const completion = result.ok ? result.value : undefined;
      expect(typeof completion).toBe("object");
      expect(completion?.object).toBe("chat.completion");
      expect(completion?.choices[0]?.message.content).toBe("Hello from a healthy endpoint.");
      const outcome = rig.outcomes.at(-1);
      expect(outcome).toMatchObject({ ok: true, endpoint: "healthy" });
      expect(outcome?.attempts.map((a) => [a.endpoint, a.status ?? a.errorCode])).toEqual([
        ["hostile", "invalid-response"],
        ["healthy", 200],
      ]);
      // It counts against the endpoint's health, like a 5xx.
      expect(rig.lane("hostile")).toMatchObject({ failed: 1, byStatus: { "invalid-response": 1 } });
      expect(rig.upstream.calls("hostile")).toBe(1);
    },
  );

  // Breaks if a bad 200 on the only endpoint were resolved, or reported as a final UPSTREAM_ERROR
  // (it is retryable: the same endpoint may answer properly next time).
  it.each(BAD_200)(
    "%s on the only endpoint: ALL_ENDPOINTS_FAILED with a RESPONSE_INVALID cause",
    async (mode) => {
      rig = await hostileRig({ hostile: mode });
      const result = await settled(rig.router.chat.completions.create(CHAT));
      expect(result.ok).toBe(false);
      const error = result.ok ? undefined : result.error;
      expect(codeOf(error)).toBe("ALL_ENDPOINTS_FAILED");
      expect(codeOf((error as Error).cause)).toBe("RESPONSE_INVALID");
      expect((error as Error).cause).toMatchObject({ endpoint: "hostile", status: 200 });
      // Retried like any retryable failure: retry.maxAttempts (3) attempts.
      expect(rig.upstream.calls("hostile")).toBe(3);
    },
  );
});

describe("a 200 that is not an embeddings response", () => {
  // Breaks if the SDK's TypeError while decoding a wrong-shaped body (or the HTML string it returns)
  // reached the caller instead of a failover.
  it.each(["html", "non-json", "wrong-shape", "error-200", "empty"] as const)(
    "%s: fails over; one vector per input from the healthy endpoint",
    async (mode) => {
      rig = await hostileRig({ hostile: mode, healthy: "ok" });
      const result = await settled(
        rig.router.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] }),
      );
      expect(result.ok, `rejected with ${codeOf(!result.ok && result.error)}`).toBe(true);
      const response = result.ok ? result.value : undefined;
      expect(response?.object).toBe("list");
      expect(response?.data).toHaveLength(2);
      expect(response?.data[0]?.embedding).toEqual([0.125, -0.5, 0.25]);
      expect(rig.outcomes.at(-1)?.attempts.map((a) => a.endpoint)).toEqual(["hostile", "healthy"]);
    },
  );

  // Breaks if an embeddings response with fewer vectors than inputs were accepted as complete.
  it("a list with fewer vectors than inputs fails over too", async () => {
    rig = await hostileRig({ hostile: "short-list", healthy: "ok" });
    const response = await rig.router.embeddings.create({
      model: "text-embedding-3-small",
      input: ["a", "b", "c"],
    });
    expect(response.data).toHaveLength(3);
    expect(rig.outcomes.at(-1)?.attempts.map((a) => a.endpoint)).toEqual(["hostile", "healthy"]);
  });
});
