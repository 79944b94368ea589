import { afterEach, describe, expect, it } from "vitest";
import type { Completion } from "../../src/index.js";
import { mulberry32 } from "../../src/sim/prng.js";
import { chat, type Rig, rig } from "../helpers/setup.js";

const models = ["gpt-4o", "text-embedding-3-small"];

let current: Rig | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe.each(["native", "bottleneck"] as const)("exactly one outcome per request (%s gate)", (engine) => {
  it("thousands of concurrent requests through both APIs, some aborted queued or running", async () => {
    current = await rig(
      {
        seed: 31,
        endpoints: [
          { name: "a", type: "openai" as const, models, latency: { ttftMs: 2 } },
          {
            name: "b",
            type: "azure" as const,
            deployments: { "gpt-4o": "g", "text-embedding-3-small": "e" },
          },
          { name: "c", type: "openai" as const, models, latency: { ttftMs: 5, tokensPerSecond: 2_000 } },
        ],
      },
      {
        strategy: "least-busy",
        lanes: { engine },
        extras: {
          a: { limits: { concurrency: 16 } },
          b: { limits: { concurrency: 16 } },
          c: { limits: { concurrency: 16 } },
        },
      },
    );
    const { router } = current;
    const rng = mulberry32(99);
    const seen = new Map<string, number>();
    const fromSubject: Completion[] = [];
    router.completions$.subscribe((c) => {
      seen.set(c.id, (seen.get(c.id) ?? 0) + 1);
      if (c.id.startsWith("s")) fromSubject.push(c);
    });
    const promises: Promise<string>[] = [];
    const n = 1_200;
    for (let i = 0; i < n; i++) {
      const controller = rng() < 0.1 ? new AbortController() : undefined;
      if (controller) setTimeout(() => controller.abort(), Math.floor(rng() * 20));
      const r = rng();
      if (i % 2 === 0) {
        router.requests.next(
          r < 0.7
            ? {
                id: `s${i}`,
                kind: "chat",
                body: chat(`s${i}`),
                ...(controller ? { signal: controller.signal } : {}),
              }
            : {
                id: `s${i}`,
                kind: "embeddings",
                body: { model: "text-embedding-3-small", input: `s${i}` },
                ...(controller ? { signal: controller.signal } : {}),
              },
        );
      } else if (r < 0.5) {
        promises.push(
          router.chat.completions.create(chat(`p${i}`), { id: `p${i}`, signal: controller?.signal }).then(
            () => "ok",
            (e: { code: string }) => e.code,
          ),
        );
      } else {
        promises.push(
          (async () => {
            const stream = await router.chat.completions.create(
              { ...chat(`t${i}`, 12), stream: true },
              { id: `p${i}`, signal: controller?.signal },
            );
            for await (const _ of stream) {
              // consume
            }
            return "ok";
          })().catch((e: { code: string }) => e.code),
        );
      }
    }
    const promiseResults = await Promise.all(promises);
    const deadline = Date.now() + 15_000;
    while (seen.size < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen.size).toBe(n);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    const codes = new Set([...promiseResults, ...fromSubject.map((c) => (c.ok ? "ok" : c.error.code))]);
    for (const code of codes) expect(["ok", "ABORTED"]).toContain(code);
    expect(promiseResults.filter((r) => r === "ABORTED").length).toBeGreaterThan(0);
    const snap = router.snapshot();
    expect(snap.totals.inflight).toBe(0);
    expect(snap.totals.pending).toBe(0);
    expect(snap.queue.depth).toBe(0);
    expect(snap.endpoints.every((e) => e.outstandingReservations === 0 && e.inflight === 0)).toBe(true);
    expect(Math.max(...snap.endpoints.map((e) => e.peakInflight))).toBeLessThanOrEqual(16);
  }, 60_000);
});
