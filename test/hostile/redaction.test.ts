import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import type { HostileMode } from "../helpers/hostile-upstream.js";
import { CHAT, codeOf, type HostileRig, hostileRig, readStream, settled } from "./rig.js";

/**
 * An upstream that echoes the request's key back (in its error body, nested fields included, and in
 * its response headers) never gets it to the caller: not in the router's error, not anywhere down its
 * `cause` chain (messages, stacks, bodies, headers), not in `inspect` of it, not in outcomes or events.
 * Real router, SDK and HTTP.
 */

let rig: HostileRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Every text a caller or its logger could get out of an error. */
function texts(error: unknown): Record<string, string> {
  const out: Record<string, string> = { inspected: inspect(error, { depth: 12, showHidden: true }) };
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 6; depth++, e = e.cause) {
    out[`message.${depth}`] = e.message;
    out[`stack.${depth}`] = String(e.stack);
    out[`string.${depth}`] = String(e);
    const { headers, error: body } = e as { headers?: unknown; error?: unknown };
    if (headers && typeof (headers as Headers).forEach === "function") {
      const pairs: string[] = [];
      (headers as Headers).forEach((value, name) => {
        pairs.push(`${name}: ${value}`);
      });
      out[`headers.${depth}`] = pairs.join("\n");
    }
    if (body !== undefined) out[`body.${depth}`] = JSON.stringify(body) ?? "";
    out[`json.${depth}`] = JSON.stringify(e) ?? "";
  }
  return out;
}

function expectNoKey(key: string, where: Record<string, string>): void {
  for (const [name, text] of Object.entries(where)) expect(text, `${name} shows the key`).not.toContain(key);
}

describe("an upstream that echoes the key", () => {
  // Breaks if only the top-level message of the cause's body were scrubbed: the key echoed in its
  // `param`, in nested fields of the body, or in a response header reached the caller.
  it.each([
    ["echo-key-400", "UPSTREAM_ERROR"],
    ["echo-key-503", "ALL_ENDPOINTS_FAILED"],
    ["echo-key-200", "ALL_ENDPOINTS_FAILED"],
  ] as [HostileMode, string][])("%s: %s, and no key anywhere down the cause chain", async (mode, code) => {
    rig = await hostileRig({ hostile: mode });
    const key = rig.upstream.keyOf("hostile");
    const result = await settled(rig.router.chat.completions.create(CHAT));
    expect(result.ok).toBe(false);
    const error = result.ok ? undefined : result.error;
    expect(codeOf(error)).toBe(code);
    const where = texts(error);
    // The echo really happened: the fixture sent the key back in its body and headers.
    expect(where.inspected).toContain("[redacted]");
    expectNoKey(key, where);
    expectNoKey(key, { outcomes: inspect(rig.outcomes, { depth: 12 }), events: JSON.stringify(rig.events) });
  });

  // Breaks if the key echoed by an endpoint's 400 reached a stream's caller through the error it throws.
  it("a stream refused with an echo: the stream's error has no key either", async () => {
    rig = await hostileRig({ hostile: "echo-key-400" });
    const key = rig.upstream.keyOf("hostile");
    const { error } = await readStream(rig.router);
    expect(codeOf(error)).toBe("UPSTREAM_ERROR");
    expectNoKey(key, texts(error));
  });

  // Breaks if the body of a bad 200 (kept as a short excerpt for diagnosis) kept the echoed key.
  it("the excerpt of a bad 200 is redacted", async () => {
    rig = await hostileRig({ hostile: "echo-key-200", healthy: "ok" });
    const key = rig.upstream.keyOf("hostile");
    await rig.router.chat.completions.create(CHAT);
    // The failed attempt's error is not the caller's, but events and the outcome must not show it.
    expectNoKey(key, { outcomes: inspect(rig.outcomes, { depth: 12 }), events: JSON.stringify(rig.events) });
    const single = await hostileRig({ hostile: "echo-key-200" });
    try {
      const result = await settled(single.router.chat.completions.create(CHAT));
      const cause = (result.ok ? undefined : (result.error as Error))?.cause as
        | { excerpt?: string }
        | undefined;
      expect(cause?.excerpt).toContain("[redacted]");
      expectNoKey(single.upstream.keyOf("hostile"), texts(result.ok ? undefined : result.error));
    } finally {
      await single.close();
    }
  });
});
