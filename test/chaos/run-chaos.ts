/**
 * Chaos suite: thousands of mixed requests through every public API, over a real HTTP fleet whose
 * endpoints change faults every few hundred milliseconds (seeded), in real time (the SDK's timeouts
 * are real). What must hold whatever the faults: every request settles exactly once, nothing is lost
 * or left behind (slots, reservations, queue, handles, timers), no key leaks anywhere, and with one
 * healthy endpoint left every request that was not aborted succeeds (≥ 99.9%), except streams that
 * broke after content reached the caller (STREAM_INTERRUPTED, by design not retried), counted apart.
 * See docs/chaos.md for the figures of a run and what the exclusion means.
 */
import { inspect } from "node:util";
import type { Subscription } from "rxjs";
import { type MockInstance, vi } from "vitest";
import { createRouter, type Router } from "../../src/index.js";
import { startFleet } from "../../src/sim/index.js";
import { toRouterEndpoints } from "../../src/sim/router-endpoints.js";
import { startHostileUpstream } from "../helpers/hostile-upstream.js";
import { FaultInjector } from "./fault-injector.js";
import { HOSTILE, HostileInjector, hostileFigures } from "./hostile-injector.js";
import { activeResources, errorTexts, leftBehind, printable, quietResources } from "./leaks.js";
import { armAbort, type Load, launch, maybeDone } from "./load.js";
import {
  CHAT_MODEL,
  type ChaosOptions,
  type ChaosReport,
  EMBEDDING_MODEL,
  HEALTHY,
  MAX_ATTEMPTS,
  type Tracked,
} from "./scenario.js";
import { bump, intBetween, prng, sleep } from "./util.js";

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const rng = prng(options.seed);
  const handlesBefore = await quietResources();
  const unhandled: unknown[] = [];
  const warnings: string[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on("unhandledRejection", onUnhandled);
  process.on("warning", onWarning);
  const spies: MockInstance[] = [];
  try {
    const latency = () => ({
      ttftMs: intBetween(rng, 0, 20),
      tokensPerSecond: intBetween(rng, 500, 2_000),
      jitter: 0.2,
    });
    const fleet = await startFleet({
      seed: options.seed,
      endpoints: [
        {
          name: HEALTHY,
          type: "azure",
          deployments: { [CHAT_MODEL]: "gpt4o-east", [EMBEDDING_MODEL]: "emb-east" },
          latency: latency(),
        },
        {
          name: "az-west",
          type: "azure",
          deployments: { [CHAT_MODEL]: "gpt4o-west", [EMBEDDING_MODEL]: "emb-west" },
          latency: latency(),
        },
        { name: "oai-1", type: "openai", models: [CHAT_MODEL, EMBEDDING_MODEL], latency: latency() },
        { name: "oai-2", type: "openai", models: [CHAT_MODEL, EMBEDDING_MODEL], latency: latency() },
      ],
    });
    const hostile = options.hostile ? await startHostileUpstream({ dripIntervalMs: 1 }) : undefined;
    const keys = [
      ...fleet.endpoints.map((e) => ({ name: e.name, key: e.apiKey })),
      ...(hostile ? HOSTILE.map((name) => ({ name, key: hostile.keyOf(name) })) : []),
    ];
    const leaks: string[] = [];
    const scan = (where: string, text: string) => {
      for (const { name, key } of keys)
        if (text.includes(key)) leaks.push(`${where} contains the key of ${name}`);
    };

    // Everything logged during the run is scanned for keys (spies call through).
    spies.push(
      vi.spyOn(console, "log"),
      vi.spyOn(console, "info"),
      vi.spyOn(console, "warn"),
      vi.spyOn(console, "error"),
      vi.spyOn(console, "debug"),
      vi.spyOn(process.stdout, "write"),
      vi.spyOn(process.stderr, "write"),
    );

    // 24 slots per lane (96 in all) under 200 outstanding requests: the central queue is never empty, so
    // aborts hit queued requests too. Usage-based also gets budgets (never binding) to weigh headroom by.
    const limits =
      options.strategy === "usage-based"
        ? { concurrency: 24, rpm: 120_000, tpm: 20_000_000 }
        : { concurrency: 24 };
    const router: Router = createRouter({
      strategy: options.strategy,
      endpoints: [
        ...toRouterEndpoints(fleet, Object.fromEntries(fleet.endpoints.map((e) => [e.name, { limits }]))),
        ...(hostile ? HOSTILE.map((name) => hostile.endpoint(name, { limits })) : []),
      ],
      attemptTimeoutMs: 300,
      firstTokenTimeoutMs: 300,
      timeoutMs: 30_000,
      maxRetryAfterMs: 500,
      retry: { maxAttempts: MAX_ATTEMPTS, baseDelayMs: 10, maxDelayMs: 100 },
      breaker: { cooldownMs: 500 },
      metricsIntervalMs: 100,
      rng: prng(options.seed ^ 0x5eed),
    });

    const tracked = new Map<string, Tracked>();
    const load: Load = { options, rng, router, tracked };
    const unknownCompletions: string[] = [];
    const events: Record<string, number> = {};
    let metricsEmissions = 0;
    const subscriptions: Subscription[] = [
      router.events$.subscribe((event) => {
        bump(events, event.type);
        scan(`event ${event.type}`, JSON.stringify(event));
        if (event.type === "dispatched" || event.type === "retried") {
          const t = tracked.get(event.id);
          if (!t) return;
          if (event.type === "retried") {
            t.phase = "waiting";
            return;
          }
          t.phase = "running";
          t.dispatches += 1;
          if (t.dispatches === 1 && t.plan?.mode === "after-dispatch") armAbort(t, t.plan.ms);
        }
      }),
      router.completions$.subscribe((completion) => {
        const t = tracked.get(completion.id);
        if (!t) {
          unknownCompletions.push(completion.id);
          return;
        }
        t.completions.push(completion);
        if (!completion.ok)
          for (const text of errorTexts(completion.error)) scan(`error of ${completion.id}`, text);
        maybeDone(t);
      }),
      router.metrics$.subscribe((snapshot) => {
        metricsEmissions += 1;
        scan("metrics$", JSON.stringify(snapshot));
      }),
    ];

    const started = performance.now();
    const injector = new FaultInjector(fleet, prng(options.seed ^ 0xfa017));
    injector.start();
    const hostileInjector = hostile
      ? new HostileInjector(hostile, prng(options.seed ^ 0x405711e))
      : undefined;
    hostileInjector?.start();

    // Bounded concurrency: at most `concurrency` requests outstanding; each settles to free its slot.
    let next = 0;
    let outstanding = 0;
    let settled = 0;
    let budgetTimer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      budgetTimer = setTimeout(resolve, options.budgetMs);
      const fill = () => {
        while (outstanding < options.concurrency && next < options.requests) {
          const t = launch(load, next++);
          outstanding += 1;
          t.onDone = () => {
            outstanding -= 1;
            settled += 1;
            if (settled === options.requests) resolve();
            else queueMicrotask(fill);
          };
          if (t.done) t.onDone();
        }
      };
      fill();
    });
    clearTimeout(budgetTimer);
    const durationMs = performance.now() - started;
    hostileInjector?.stop();
    await injector.stop();
    const lost = options.requests - settled;
    for (const t of tracked.values()) clearTimeout(t.abortTimer);
    // Lost requests would keep close() waiting: stop them (they stay counted as lost).
    if (lost > 0) for (const t of tracked.values()) if (!t.done) t.controller.abort();

    const snapshotAfter = router.snapshot();
    scan("snapshot", JSON.stringify(snapshotAfter));
    scan("router", `${inspect(router)} ${JSON.stringify(router)}`);
    const routerStatuses = Object.fromEntries(snapshotAfter.endpoints.map((e) => [e.name, e.byStatus]));
    const endpointStats = Object.fromEntries(
      fleet.endpoints.map((e) => {
        const s = fleet.stats(e.name);
        return [e.name, { requests: s.requests, dropped: s.dropped, byStatus: { ...s.byStatus } }];
      }),
    );

    // Late duplicates would arrive now, while the router drains and closes.
    let closeTimer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      router.close().then(() => true),
      new Promise<false>((resolve) => {
        closeTimer = setTimeout(() => resolve(false), 5_000);
      }),
    ]);
    clearTimeout(closeTimer);
    await fleet.close();
    await hostile?.close();
    for (const sub of subscriptions) sub.unsubscribe();
    for (const spy of spies) {
      for (const call of spy.mock.calls) scan("log output", call.map(printable).join(" "));
      spy.mockRestore();
    }

    // Sockets and timers take a few turns of the event loop to go.
    let handlesAfter = activeResources();
    for (let i = 0; i < 40 && leftBehind(handlesBefore, handlesAfter).length > 0; i++) {
      await sleep(50);
      handlesAfter = activeResources();
    }
    return {
      options,
      tracked: [...tracked.values()],
      unknownCompletions,
      faults: injector.counts,
      downCycles: injector.downCycles.map(({ endpoint, servedAfterUp }) => ({ endpoint, servedAfterUp })),
      events,
      endpointStats,
      routerStatuses,
      snapshotAfter,
      leaks,
      unhandled,
      warnings,
      handlesBefore,
      handlesAfter,
      lost,
      closed,
      durationMs,
      metricsEmissions,
      ...(hostile && hostileInjector ? { hostile: hostileFigures(hostile, hostileInjector) } : {}),
    };
  } finally {
    for (const spy of spies) spy.mockRestore();
    process.off("unhandledRejection", onUnhandled);
    process.off("warning", onWarning);
  }
}
