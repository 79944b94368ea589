import { describe, expect, it } from "vitest";
import { readiness } from "../../src/gateway/readiness.js";
import type { EndpointMetrics, RouterMetrics } from "../../src/types.js";

function snapshot(endpoints: Partial<EndpointMetrics>[]): RouterMetrics {
  return {
    at: 10_000,
    endpoints: endpoints.map((e) => ({
      models: ["m"],
      state: "healthy",
      reopensAt: 0,
      disabledModels: [],
      ...e,
    })),
  } as unknown as RouterMetrics;
}

describe("readiness", () => {
  // Breaks if a model counts as servable through an endpoint that cannot take it.
  it("needs one endpoint per model that is not open, disabled, or without the model", () => {
    expect(readiness(snapshot([{ name: "a", state: "cooling" }]), ["m"]).ready).toBe(true);
    expect(readiness(snapshot([{ name: "a", state: "half-open" }]), ["m"]).ready).toBe(true);
    const open = readiness(snapshot([{ name: "a", state: "open", reopensAt: 12_000 }]), ["m"]);
    expect(open).toEqual({
      ready: false,
      reasons: ["model m: no endpoint can serve it (a: circuit open for 2000 ms)"],
    });
    expect(readiness(snapshot([{ name: "a", state: "disabled" }]), ["m"]).reasons[0]).toMatch(/a: disabled/);
    expect(readiness(snapshot([{ name: "a", disabledModels: ["m"] }]), ["m"]).reasons[0]).toMatch(/404/);
    expect(readiness(snapshot([{ name: "a", state: "open" }, { name: "b" }]), ["m"]).ready).toBe(true);
  });

  // Breaks if an open circuit whose probe is due keeps the gateway unready (nothing would ever probe it).
  it("counts an open circuit whose probe is due as servable", () => {
    expect(readiness(snapshot([{ name: "a", state: "open", reopensAt: 9_000 }]), ["m"]).ready).toBe(true);
  });
});
