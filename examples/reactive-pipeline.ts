/**
 * The reactive API: push requests into a Subject, read outcomes from completions$, watch metrics$,
 * and use route() as an operator. Runs on the simulated fleet:  npx tsx examples/reactive-pipeline.ts
 */
import { createRouter } from "openai-router";
import { startFleet, toRouterEndpoints } from "openai-router/sim";
import { filter, from, lastValueFrom, take, toArray } from "rxjs";

const fleet = await startFleet({
  seed: 2,
  endpoints: [
    { name: "a", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 40 } },
    { name: "b", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 90 } },
  ],
});
const router = createRouter({
  strategy: "least-busy",
  metricsIntervalMs: 100,
  endpoints: toRouterEndpoints(fleet, {
    a: { limits: { concurrency: 4 } },
    b: { limits: { concurrency: 4 } },
  }),
});

// Live metrics: one line per snapshot while the work runs.
const metrics = router.metrics$.subscribe((m) => {
  const lanes = m.endpoints
    .map((e) => `${e.name} ${e.inflight}/${e.concurrency} ok=${e.succeeded}`)
    .join("  ");
  console.log(`queue=${m.queue.depth}  ${lanes}`);
});

// 1. Subject in, completions$ out: exactly one outcome per pushed request.
const done = lastValueFrom(
  router.completions$.pipe(
    filter((c) => c.id.startsWith("job-")),
    take(12),
    toArray(),
  ),
);
for (let i = 0; i < 12; i++) {
  router.requests.next({
    id: `job-${i}`,
    kind: "chat",
    body: { model: "gpt-4o", messages: [{ role: "user", content: `Task ${i}` }], max_tokens: 12 },
  });
}
const outcomes = await done;
for (const c of outcomes) {
  console.log(c.id, c.ok ? `ok via ${c.endpoint} in ${c.latencyMs} ms` : `failed: ${c.error.code}`);
}

// 2. The same as an operator over any Observable of requests.
const batch = ["alpha", "beta", "gamma"].map((word) => ({
  id: word,
  kind: "chat" as const,
  body: { model: "gpt-4o", messages: [{ role: "user" as const, content: word }], max_tokens: 8 },
}));
const routed = await lastValueFrom(from(batch).pipe(router.route(), toArray()));
console.log("route():", routed.map((c) => `${c.id}=${c.ok ? "ok" : "failed"}`).join(" "));

metrics.unsubscribe();
await router.close();
await fleet.close();
