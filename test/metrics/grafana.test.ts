import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { collectPrometheus, createRouter } from "../../src/index.js";

/** examples/grafana/openai-router.json stays in step with what collectPrometheus registers. */

const DASHBOARD = resolve(import.meta.dirname, "../../examples/grafana/openai-router.json");

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

function registeredNames(): string[] {
  const router = createRouter({
    endpoints: [
      {
        name: "a",
        type: "openai",
        apiKey: "sk-test-0000",
        baseURL: "http://a.test.invalid/v1",
        models: ["m"],
      },
    ],
  });
  const names: string[] = [];
  const collection = collectPrometheus(router, {
    registry: { registerMetric: (m) => names.push((m as { name: string }).name), removeSingleMetric() {} },
  });
  collection.unregister();
  void router.close();
  return names;
}

describe("Grafana dashboard", () => {
  // Breaks if a panel queried a metric the collector does not register (renamed or dropped), or if a
  // registered series had no panel at all.
  it("queries only metrics collectPrometheus registers, and shows every one of them", () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
      panels: Panel[];
      title: string;
      templating: { list: { definition?: string }[] };
    };
    expect(dashboard.title).toBe("openai-router");
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(15);
    const variables = dashboard.templating.list.map((v) => v.definition ?? "");
    const used = new Set([...exprs, ...variables].flatMap((e) => e.match(/openai_router_[a-z_]+/g) ?? []));
    const registered = new Set(registeredNames());
    for (const name of used) expect(registered, name).toContain(name);
    expect([...registered].filter((n) => !used.has(n))).toEqual([]);
  });
});
