import { describe, expect, it } from "vitest";
import { SimError, type StartFleetOptions, startFleet } from "../../src/sim/index.js";
import { parseFleetOptions } from "../../src/sim/options.js";

function issuesOf(options: unknown): readonly { path: string; message: string }[] {
  try {
    parseFleetOptions(options);
  } catch (e) {
    expect(e).toBeInstanceOf(SimError);
    expect((e as SimError).code).toBe("SIM_CONFIG_INVALID");
    return (e as SimError).issues;
  }
  throw new Error("expected invalid options");
}

describe("fleet options", () => {
  it("fills defaults: seed 0, host 127.0.0.1", () => {
    const parsed = parseFleetOptions({ endpoints: [{ name: "a", type: "openai", models: ["gpt-4o"] }] });
    expect(parsed.seed).toBe(0);
    expect(parsed.host).toBe("127.0.0.1");
  });

  it("reports every problem with its path, in one error", () => {
    const issues = issuesOf({
      seed: 1.5,
      endpoints: [
        {
          name: "east",
          type: "azure",
          deployments: {},
          limits: { rpm: -1, concurrency: 1.5, requestWindowSeconds: 0 },
        },
        {
          name: "east",
          type: "openai",
          models: [],
          latency: { jitter: 2 },
          faults: { errorRate: 3, errorRetryAfterMs: -5, typo: true },
        },
        { name: "x", type: "bedrock" },
      ],
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "seed",
        "endpoints[0].deployments",
        "endpoints[0].limits.rpm",
        "endpoints[0].limits.concurrency",
        "endpoints[0].limits.requestWindowSeconds",
        "endpoints[1].models",
        "endpoints[1].latency.jitter",
        "endpoints[1].faults.errorRate",
        "endpoints[1].faults.errorRetryAfterMs",
        "endpoints[1].faults",
        "endpoints[2].type",
      ]),
    );
  });

  it("puts every path in the message too", async () => {
    const bad = {
      endpoints: [{ name: "a", type: "openai", models: [""], port: 70_000 }],
    } as unknown as StartFleetOptions;
    const error = await startFleet(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(error)).toContain("endpoints[0].models[0]: ");
    expect(String(error)).toContain("endpoints[0].port: ");
  });

  it("rejects duplicate names and ports, and deployments shared by two models", () => {
    const issues = issuesOf({
      endpoints: [
        { name: "a", type: "openai", models: ["m"], port: 40_001 },
        { name: "a", type: "azure", deployments: { m: "d", n: "d" }, port: 40_001 },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["endpoints[1].name", "endpoints[1].port", "endpoints[1].deployments"]),
    );
  });

  it("only listens on loopback", () => {
    for (const host of ["0.0.0.0", "192.168.1.2", "example.com", "::"]) {
      const issues = issuesOf({ host, endpoints: [{ name: "a", type: "openai", models: ["m"] }] });
      expect(issues[0]?.path).toBe("host");
      expect(issues[0]?.message).toMatch(/loopback/);
    }
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) {
      expect(() =>
        parseFleetOptions({ host, endpoints: [{ name: "a", type: "openai", models: ["m"] }] }),
      ).not.toThrow();
    }
  });

  it("accepts any positive requestWindowSeconds (1 and 10 are Azure's), not zero, negative or infinite", () => {
    const withWindow = (requestWindowSeconds: unknown) => ({
      endpoints: [{ name: "a", type: "openai", models: ["m"], limits: { rpm: 60, requestWindowSeconds } }],
    });
    for (const ok of [1, 10, 0.5, 60]) expect(() => parseFleetOptions(withWindow(ok))).not.toThrow();
    for (const bad of [0, -1, Number.POSITIVE_INFINITY, "10"]) {
      expect(issuesOf(withWindow(bad)).map((i) => i.path)).toEqual([
        "endpoints[0].limits.requestWindowSeconds",
      ]);
    }
  });

  it("requires at least one endpoint", () => {
    expect(issuesOf({ endpoints: [] }).map((i) => i.path)).toEqual(["endpoints"]);
  });
});
