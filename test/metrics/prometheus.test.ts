import { register as globalRegistry, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { collectPrometheus } from "../../src/index.js";
import { chat, type Rig, rig } from "../helpers/setup.js";

/**
 * The Prometheus collector on a real prom-client registry, over a router and the simulated fleet
 * (real HTTP): the registry's text output is parsed and checked against what happened.
 */

const FLEET = {
  seed: 3,
  endpoints: [
    { name: "east", type: "azure" as const, deployments: { "gpt-4o": "gpt4o-east" }, latency: { ttftMs: 2 } },
    { name: "oai", type: "openai" as const, models: ["gpt-4o"], latency: { ttftMs: 2 } },
  ],
};

let open: Rig | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function setup() {
  open = await rig(FLEET, {
    strategy: "priority",
    extras: {
      east: { priority: 0 },
      oai: { priority: 1, limits: { rpm: 600, tpm: 90_000, concurrency: 4 } },
    },
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });
  return open;
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the text exposition format (what a Prometheus server scrapes). */
function parse(text: string): { samples: Sample[]; types: Map<string, string>; help: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line === "# EOF") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === "TYPE" ? types : help).set(meta[2] ?? "", meta[3] ?? "");
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] ?? ""] = pair[2] ?? "";
    samples.push({ name: m[1] ?? "", labels, value: Number(m[3]) });
  }
  return { samples, types, help };
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  find(samples, name, labels)[0]?.value;

/** A plain call, a 503 retried on oai, a 429 that cools east. */
async function workload({ router, fleet }: Rig) {
  await router.chat.completions.create(chat("one"));
  fleet.setFaults("east", { errorRate: 1, errorStatus: 503 });
  await router.chat.completions.create(chat("two"));
  fleet.setFaults("east", { rateLimitStormMs: 60_000 });
  await router.chat.completions.create(chat("three"));
}

describe("collectPrometheus", () => {
  // Breaks if the per-endpoint series did not read the router's state at each scrape (state, cooldown,
  // budgets, in-flight, limits; a cached snapshot would show the first scrape's), or if counters
  // disagreed with what the fleet saw.
  it("exposes endpoint state, budgets, cooldown and counters read at scrape time", async () => {
    const r = await setup();
    const registry = new Registry();
    collectPrometheus(r.router, { registry });
    await r.router.chat.completions.create(chat("zero"));
    const before = parse(await registry.metrics()).samples;
    expect(value(before, "openai_router_endpoint_state", { endpoint: "east", state: "healthy" })).toBe(1);
    expect(value(before, "openai_router_requests_total", { outcome: "ok" })).toBe(1);
    await workload(r);
    const { samples, types } = parse(await registry.metrics());

    expect(value(samples, "openai_router_endpoint_state", { endpoint: "east", state: "cooling" })).toBe(1);
    expect(value(samples, "openai_router_endpoint_state", { endpoint: "east", state: "healthy" })).toBe(0);
    expect(value(samples, "openai_router_endpoint_state", { endpoint: "oai", state: "healthy" })).toBe(1);
    expect(find(samples, "openai_router_endpoint_state", { endpoint: "east" })).toHaveLength(5);
    expect(value(samples, "openai_router_endpoint_cooldown_seconds", { endpoint: "east" })).toBeGreaterThan(
      0,
    );
    expect(value(samples, "openai_router_endpoint_cooldown_seconds", { endpoint: "oai" })).toBe(0);
    expect(value(samples, "openai_router_endpoint_inflight", { endpoint: "oai" })).toBe(0);
    expect(value(samples, "openai_router_endpoint_concurrency_limit", { endpoint: "oai" })).toBe(4);
    expect(find(samples, "openai_router_endpoint_concurrency_limit", { endpoint: "east" })).toHaveLength(0);
    expect(value(samples, "openai_router_endpoint_tpm_limit", { endpoint: "oai" })).toBe(90_000);
    const tpmLeft = value(samples, "openai_router_endpoint_tpm_remaining", { endpoint: "oai" }) ?? -1;
    expect(tpmLeft).toBeGreaterThan(0);
    expect(tpmLeft).toBeLessThanOrEqual(90_000);
    expect(
      value(samples, "openai_router_endpoint_stream_circuit_state", { endpoint: "oai", state: "closed" }),
    ).toBe(1);
    expect(value(samples, "openai_router_endpoint_info", { endpoint: "east", type: "azure" })).toBe(1);

    const east = r.fleet.stats("east");
    expect(value(samples, "openai_router_endpoint_rate_limited_total", { endpoint: "east" })).toBe(
      east.byStatus[429],
    );
    expect(value(samples, "openai_router_endpoint_attempts_total", { endpoint: "east" })).toBe(east.requests);
    expect(
      value(samples, "openai_router_endpoint_responses_total", { endpoint: "east", status: "503" }),
    ).toBe(1);
    expect(value(samples, "openai_router_endpoint_succeeded_total", { endpoint: "oai" })).toBe(2);
    expect(value(samples, "openai_router_endpoint_succeeded_total", { endpoint: "east" })).toBe(2);
    expect(value(samples, "openai_router_endpoint_tokens_total", { endpoint: "oai", kind: "prompt" })).toBe(
      r.router.snapshot().endpoints.find((e) => e.name === "oai")?.promptTokens,
    );
    expect(
      value(samples, "openai_router_requests_total", { model: "gpt-4o", kind: "chat", outcome: "ok" }),
    ).toBe(4);
    expect(value(samples, "openai_router_retries_total", { endpoint: "east" })).toBe(2);
    expect(value(samples, "openai_router_queue_depth")).toBe(0);
    expect(value(samples, "openai_router_queue_max_size")).toBe(10_000);
    expect(value(samples, "openai_router_requests_pending")).toBe(0);

    expect(types.get("openai_router_requests_total")).toBe("counter");
    expect(types.get("openai_router_endpoint_rate_limited_total")).toBe("counter");
    expect(types.get("openai_router_endpoint_inflight")).toBe("gauge");
  });

  // Breaks if the collector registered on prom-client's global registry, or ignored `prefix`.
  it("uses the registry it is given, with the prefix it is given", async () => {
    const r = await setup();
    const registry = new Registry();
    const collection = collectPrometheus(r.router, { registry, prefix: "llm_" });
    await r.router.chat.completions.create(chat());
    const { samples } = parse(await registry.metrics());
    expect(collection.names.every((n) => n.startsWith("llm_"))).toBe(true);
    expect(value(samples, "llm_requests_total", { outcome: "ok" })).toBe(1);
    expect(samples.some((s) => s.name.startsWith("openai_router_"))).toBe(false);
    expect((await globalRegistry.metrics()).includes("requests_total")).toBe(false);
  });

  // Breaks if unregister() left metrics behind, or if a second collector on the same names silently
  // replaced the first instead of failing (and left half its metrics registered).
  it("unregisters, and refuses a duplicate without leaving a partial registration", async () => {
    const r = await setup();
    const registry = new Registry();
    const first = collectPrometheus(r.router, { registry });
    expect(() => collectPrometheus(r.router, { registry })).toThrow(/already been registered/);
    expect(registry.getMetricsAsArray()).toHaveLength(first.names.length);
    first.unregister();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(await registry.metrics()).toBe("\n");
  });

  // Breaks if the collector's counters broke under OpenMetrics (which renames counters) or if a key
  // reached any label or help text.
  it("works with an OpenMetrics registry and never prints a key", async () => {
    const r = await setup();
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    collectPrometheus(r.router, { registry });
    await workload(r);
    const text = await registry.metrics();
    expect(text.endsWith("# EOF\n")).toBe(true);
    const { samples } = parse(text);
    expect(value(samples, "openai_router_requests_total", { outcome: "ok" })).toBe(3);
    for (const e of r.fleet.endpoints) expect(text).not.toContain(e.apiKey);
  });
  // Breaks if the per-request counting mixed series when outcomes alternate (the last series seen is
  // checked first: a request of another model, kind or outcome must not be counted on it).
  it("counts requests per model, kind and outcome when they alternate", async () => {
    const r = await setup();
    const registry = new Registry();
    collectPrometheus(r.router, { registry });
    const unknown = () =>
      r.router.chat.completions.create(chat("x", 8, "gpt-unknown")).catch(() => undefined);
    await r.router.chat.completions.create(chat("a"));
    await unknown();
    await r.router.chat.completions.create(chat("b"));
    await unknown();
    await unknown();
    const stream = await r.router.chat.completions.create({ ...chat("c"), stream: true });
    for await (const _chunk of stream) {
      // drain
    }
    await r.router.chat.completions.create(chat("d"));
    // The same model and kind as the last one counted, another outcome.
    await r.router.chat.completions.create({ ...chat("e"), messages: [] }).catch(() => undefined);
    const { samples } = parse(await registry.metrics());
    const requests = (labels: Record<string, string>) =>
      value(samples, "openai_router_requests_total", labels);
    expect(requests({ model: "gpt-4o", kind: "chat", outcome: "ok" })).toBe(3);
    expect(requests({ model: "gpt-4o", kind: "stream", outcome: "ok" })).toBe(1);
    expect(requests({ model: "gpt-unknown", kind: "chat", outcome: "NO_ENDPOINT_FOR_MODEL" })).toBe(3);
    expect(requests({ model: "gpt-4o", kind: "chat", outcome: "REQUEST_INVALID" })).toBe(1);
    expect(find(samples, "openai_router_requests_total", {})).toHaveLength(4);
  });
});
