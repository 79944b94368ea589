import { asyncScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { DEFAULT_AZURE_API_VERSION, modelsOf, parseConfig } from "../src/config.js";
import { ConfigError, type ConfigIssue, RouterError } from "../src/errors.js";
import type { Strategy } from "../src/strategies/types.js";

const openai = { name: "oai", type: "openai", apiKey: "sk-test", models: ["gpt-4o"] } as const;
const azure = {
  name: "east",
  type: "azure",
  endpoint: "https://east.openai.azure.com",
  apiKey: "azure-key",
  deployments: { "gpt-4o": "gpt4o-east" },
} as const;

/** The ConfigError parseConfig throws for `input` (fails the test if it does not throw one). */
function configError(input: unknown): ConfigError {
  try {
    parseConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("parseConfig accepted an invalid config");
}

function paths(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => i.path);
}

describe("parseConfig", () => {
  describe("defaults", () => {
    it("fills in every documented default", () => {
      const c = parseConfig({ endpoints: [openai] });
      expect(c.strategy).toBe("least-latency");
      expect(c.priorityWithin).toBe("least-busy");
      expect(c.queue).toEqual({ maxSize: 10_000, agingMs: 10_000 });
      expect(c.timeoutMs).toBe(600_000);
      expect(c.attemptTimeoutMs).toBe(120_000);
      expect(c.firstTokenTimeoutMs).toBe(60_000);
      expect(c.defaultOutputTokens).toBe(1_000);
      expect(c.maxRetryAfterMs).toBe(60_000);
      expect(c.retry).toEqual({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 8_000 });
      expect(c.breaker).toEqual({
        consecutiveFailures: 5,
        failureRatio: 0.5,
        window: 20,
        minCalls: 10,
        cooldownMs: 15_000,
        disabledProbeMs: 300_000,
      });
      expect(c.fallbacks).toEqual({});
      expect(c.lanes).toEqual({ engine: "native" });
      expect(c.latency).toMatchObject({ halfLifeMs: 10_000, explorationInterval: 20 });
      expect(c.latency.failurePenaltyMs).toBeGreaterThanOrEqual(0);
      expect(c.metricsIntervalMs).toBe(500);
      expect(c.scheduler).toBeUndefined();
      expect(c.rng).toBeUndefined();
      expect(c.fetch).toBeUndefined();
    });

    it("fills in endpoint defaults (weight, priority, Azure api version)", () => {
      const c = parseConfig({ endpoints: [openai, azure] });
      const [o, a] = c.endpoints;
      expect(o).toMatchObject({ weight: 1, priority: 0 });
      expect(a).toMatchObject({ weight: 1, priority: 0, apiVersion: DEFAULT_AZURE_API_VERSION });
      expect(DEFAULT_AZURE_API_VERSION).toBe("2024-10-21");
    });

    it("fills in the missing fields of a partly given section", () => {
      const c = parseConfig({
        endpoints: [openai],
        queue: { maxSize: 5 },
        retry: { maxAttempts: 2 },
        breaker: { cooldownMs: 1_000 },
        lanes: {},
      });
      expect(c.queue).toEqual({ maxSize: 5, agingMs: 10_000 });
      expect(c.retry).toEqual({ maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 8_000 });
      expect(c.breaker).toMatchObject({ cooldownMs: 1_000, consecutiveFailures: 5 });
      expect(c.lanes.engine).toBe("native");
    });

    it("keeps what the user set", () => {
      const strategy: Strategy = (lanes) => lanes[0]?.id;
      const rng = () => 0.5;
      const c = parseConfig({
        strategy,
        priorityWithin: "round-robin",
        endpoints: [
          {
            ...azure,
            apiVersion: "2025-01-01-preview",
            limits: { rpm: 600, tpm: 100_000, concurrency: 32 },
            priority: 1,
            weight: 3,
          },
        ],
        scheduler: asyncScheduler,
        rng,
        lanes: { engine: "bottleneck" },
        fallbacks: { "gpt-4o": ["gpt-4o"] },
      });
      expect(c.strategy).toBe(strategy);
      expect(c.priorityWithin).toBe("round-robin");
      expect(c.scheduler).toBe(asyncScheduler);
      expect(c.rng).toBe(rng);
      expect(c.lanes.engine).toBe("bottleneck");
      expect(c.endpoints[0]).toMatchObject({
        apiVersion: "2025-01-01-preview",
        limits: { rpm: 600, tpm: 100_000, concurrency: 32 },
        priority: 1,
        weight: 3,
      });
    });

    it.each(["round-robin", "least-busy", "least-latency", "usage-based", "weighted", "priority"])(
      "accepts the strategy name %s",
      (strategy) => {
        expect(parseConfig({ strategy, endpoints: [openai] }).strategy).toBe(strategy);
      },
    );
  });

  describe("errors", () => {
    it("throws a ConfigError (a RouterError with code CONFIG_INVALID)", () => {
      const e = configError({ endpoints: [] });
      expect(e).toBeInstanceOf(RouterError);
      expect(e.code).toBe("CONFIG_INVALID");
      expect(paths(e.issues)).toEqual(["endpoints"]);
    });

    it("reports every problem with its path in one throw", () => {
      const e = configError({
        strategy: "fastest", // 1: unknown strategy
        endpoints: [
          // 2: azure without apiKey or token provider
          {
            name: "east",
            type: "azure",
            endpoint: "https://east.openai.azure.com",
            deployments: { "gpt-4o": "d" },
          },
          // 3: duplicate name, 4: negative rpm
          { name: "east", type: "openai", apiKey: "sk-x", models: ["gpt-4o"], limits: { rpm: -5 } },
        ],
        fallbacks: { "gpt-4o": ["gpt-5-nano"] }, // 5: nobody serves the fallback
      });
      expect(e.issues).toHaveLength(5);
      expect(paths(e.issues).sort()).toEqual(
        [
          "strategy",
          "endpoints.0.apiKey",
          "endpoints.1.limits.rpm",
          "endpoints.1.name",
          "fallbacks.gpt-4o.0",
        ].sort(),
      );
      expect(e.message).toMatch(/^Invalid router config \(5 problems\):\n/);
      for (const issue of e.issues) expect(e.message).toContain(`  - ${issue.path}: ${issue.message}`);
      const byPath = new Map(e.issues.map((i) => [i.path, i.message]));
      expect(byPath.get("endpoints.1.name")).toMatch(/duplicate endpoint name.*endpoints\.0\.name/);
      expect(byPath.get("fallbacks.gpt-4o.0")).toMatch(/served by no endpoint/);
      expect(byPath.get("endpoints.0.apiKey")).toMatch(/apiKey or azureADTokenProvider/);
    });

    it("reports problems in several endpoints and sections at once", () => {
      const e = configError({
        endpoints: [
          { ...openai, weight: -1, priority: 1.5 },
          { ...azure, endpoint: "not a url", deployments: {} },
          { ...openai, name: "", models: [] },
        ],
        queue: { maxSize: 0 },
        breaker: { failureRatio: 0 },
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      expect(paths(e.issues).sort()).toEqual(
        [
          "endpoints.0.weight",
          "endpoints.0.priority",
          "endpoints.1.endpoint",
          "endpoints.1.deployments",
          "endpoints.2.name",
          "endpoints.2.models",
          "queue.maxSize",
          "breaker.failureRatio",
          "timeoutMs",
        ].sort(),
      );
    });

    it("reports a duplicate name for each repeat, pointing at the first", () => {
      const e = configError({ endpoints: [openai, { ...openai }, { ...openai }] });
      expect(e.issues).toEqual([
        { path: "endpoints.1.name", message: expect.stringContaining("endpoints.0.name") },
        { path: "endpoints.2.name", message: expect.stringContaining("endpoints.0.name") },
      ]);
    });

    it("a fallback served by some endpoint is fine, one served by none is reported", () => {
      expect(() =>
        parseConfig({ endpoints: [openai, azure], fallbacks: { "gpt-4o": ["gpt-4o"] } }),
      ).not.toThrow();
      const e = configError({
        endpoints: [openai, { ...azure, deployments: { "gpt-4o-mini": "mini" } }],
        fallbacks: { "gpt-4o": ["gpt-4o-mini", "o3", "gpt-4o"] },
      });
      expect(paths(e.issues)).toEqual(["fallbacks.gpt-4o.1"]);
    });

    it("rejects unknown keys (typos) at every level", () => {
      const e = configError({
        endpoints: [{ ...openai, apikey: "x" }],
        stratgy: "round-robin",
        queue: { size: 1 },
      });
      expect(paths(e.issues).sort()).toEqual(["endpoints.0.apikey", "queue.size", "stratgy"]);
    });

    // Breaks if an unknown key is reported without the nearest valid key (or the valid keys when
    // nothing is near), or if the suggestion ignores which endpoint type the object is.
    it("suggests the nearest valid key for a typo", () => {
      const e = configError({
        stratgy: "round-robin",
        endpoints: [
          { ...openai, apikey: "x", limits: { rpn: 1 } },
          { ...azure, name: "az", deployment: { "gpt-4o": "d" } },
          { ...azure, name: "az2", baseURL: "https://x" },
        ],
        breaker: { cooldown: 1 },
        queue: { zzzzzz: 1 },
      });
      const byPath = new Map(e.issues.map((i) => [i.path, i.message]));
      expect(byPath.get("stratgy")).toBe('unknown key (did you mean "strategy"?)');
      expect(byPath.get("endpoints.0.apikey")).toBe('unknown key (did you mean "apiKey"?)');
      expect(byPath.get("endpoints.0.limits.rpn")).toBe('unknown key (did you mean "rpm"?)');
      expect(byPath.get("endpoints.1.deployment")).toBe('unknown key (did you mean "deployments"?)');
      expect(byPath.get("breaker.cooldown")).toBe('unknown key (did you mean "cooldownMs"?)');
      // An Azure endpoint has no baseURL and nothing close to it: the valid keys are listed.
      expect(byPath.get("endpoints.2.baseURL")).toMatch(/^unknown key \(valid keys: .*\bendpoint\b/);
      expect(byPath.get("queue.zzzzzz")).toBe("unknown key (valid keys: maxSize, agingMs)");
    });

    // Breaks if a missing openai.com key reads as zod's "expected string, received undefined".
    it("says what to set when an apiKey is missing (an unset environment variable)", () => {
      const e = configError({ endpoints: [{ ...openai, apiKey: process.env.OPENAI_ROUTER_UNSET_KEY }] });
      expect(e.issues).toEqual([
        { path: "endpoints.0.apiKey", message: expect.stringMatching(/^missing: set apiKey/) },
      ]);
    });

    // Breaks if the fallback problem does not name the model nobody serves.
    it("names the fallback model that no endpoint serves", () => {
      const e = configError({ endpoints: [openai], fallbacks: { "gpt-4o": ["gpt-4o-mini"] } });
      expect(e.issues[0]?.message).toMatch(
        /^fallback model "gpt-4o-mini" is served by no endpoint.*served: gpt-4o\)$/,
      );
    });

    it("rejects a config that is not an object", () => {
      for (const input of [undefined, null, 42, "config", []]) {
        const e = configError(input);
        expect(e.issues.length).toBeGreaterThan(0);
        expect(e.issues[0]!.path).toBe("");
      }
    });

    it("rejects an unknown endpoint type", () => {
      expect(paths(configError({ endpoints: [{ ...openai, type: "anthropic" }] }).issues)).toEqual([
        "endpoints.0.type",
      ]);
    });

    it("rejects priority as the priorityWithin strategy", () => {
      expect(paths(configError({ endpoints: [openai], priorityWithin: "priority" }).issues)).toEqual([
        "priorityWithin",
      ]);
    });

    it("checks the injected scheduler, rng and fetch", () => {
      const e = configError({ endpoints: [openai], scheduler: {}, rng: 0.5, fetch: "fetch" });
      expect(paths(e.issues).sort()).toEqual(["fetch", "rng", "scheduler"]);
    });

    it("only accepts http(s) URLs", () => {
      const e = configError({
        endpoints: [
          { ...azure, endpoint: "ftp://east.openai.azure.com" },
          { ...openai, name: "o2", baseURL: "file:///etc/passwd" },
        ],
      });
      expect(paths(e.issues)).toEqual(["endpoints.0.endpoint", "endpoints.1.baseURL"]);
    });
  });

  describe("azure credentials", () => {
    const tokenProvider = async () => "token";

    it("accepts an apiKey", () => {
      expect(() => parseConfig({ endpoints: [azure] })).not.toThrow();
    });

    it("accepts an azureADTokenProvider instead", () => {
      const { apiKey: _, ...noKey } = azure;
      const c = parseConfig({ endpoints: [{ ...noKey, azureADTokenProvider: tokenProvider }] });
      const e = c.endpoints[0]!;
      expect(e.type === "azure" && e.azureADTokenProvider).toBe(tokenProvider);
    });

    it("needs one of them", () => {
      const { apiKey: _, ...noKey } = azure;
      const e = configError({ endpoints: [noKey] });
      expect(e.issues).toEqual([
        {
          path: "endpoints.0.apiKey",
          message: expect.stringMatching(/^missing: set apiKey or azureADTokenProvider/),
        },
      ]);
    });

    it("refuses both", () => {
      const e = configError({ endpoints: [{ ...azure, azureADTokenProvider: tokenProvider }] });
      expect(e.issues).toEqual([
        {
          path: "endpoints.0.azureADTokenProvider",
          message: "set either apiKey or azureADTokenProvider, not both",
        },
      ]);
    });

    it("needs the token provider to be a function", () => {
      const { apiKey: _, ...noKey } = azure;
      const e = configError({ endpoints: [{ ...noKey, azureADTokenProvider: "Bearer abc" }] });
      expect(paths(e.issues)).toContain("endpoints.0.azureADTokenProvider");
      expect(e.message).not.toContain("Bearer abc");
    });

    it("reports a missing credential together with the endpoint's other problems", () => {
      const { apiKey: _, ...noKey } = azure;
      const e = configError({ endpoints: [{ ...noKey, endpoint: "nope" }] });
      expect(paths(e.issues).sort()).toEqual(["endpoints.0.apiKey", "endpoints.0.endpoint"]);
    });

    it("an openai endpoint needs its apiKey", () => {
      const { apiKey: _, ...noKey } = openai;
      expect(paths(configError({ endpoints: [noKey] }).issues)).toEqual(["endpoints.0.apiKey"]);
    });
  });

  describe("secrets never appear in the error", () => {
    const SECRET = "sk-proj-Zx9SECRETvalue0123456789";

    it.each<[string, Record<string, unknown>]>([
      ["the Azure endpoint URL", { endpoints: [{ ...azure, endpoint: SECRET }] }],
      ["the baseURL", { endpoints: [{ ...openai, baseURL: SECRET }] }],
      ["a limit", { endpoints: [{ ...openai, limits: { rpm: SECRET } }] }],
      ["the endpoint type", { endpoints: [{ ...openai, type: SECRET }] }],
      ["the models list", { endpoints: [{ ...openai, models: SECRET }] }],
      ["the deployments map", { endpoints: [{ ...azure, deployments: SECRET }] }],
      ["the strategy", { endpoints: [openai], strategy: SECRET }],
      ["priorityWithin", { endpoints: [openai], priorityWithin: SECRET }],
      ["the lane engine", { endpoints: [openai], lanes: { engine: SECRET } }],
      ["the rng", { endpoints: [openai], rng: SECRET }],
      ["the weight", { endpoints: [{ ...openai, weight: SECRET }] }],
      [
        "the organization (wrong type elsewhere)",
        { endpoints: [{ ...openai, organization: 1, project: SECRET, weight: "x" }] },
      ],
      [
        "a duplicated endpoint name",
        {
          endpoints: [
            { ...openai, name: SECRET },
            { ...openai, name: SECRET },
          ],
        },
      ],
      ["a fallback model", { endpoints: [openai], fallbacks: { "gpt-4o": [SECRET] } }],
      ["the whole config", { endpoints: SECRET }],
    ])("a secret placed in %s", (_, input) => {
      const e = configError(input);
      expect(e.issues.length).toBeGreaterThan(0);
      expect(e.message).not.toContain(SECRET);
      expect(JSON.stringify(e.issues)).not.toContain(SECRET);
      expect(String(e)).not.toContain(SECRET);
    });

    it("the apiKey of a valid endpoint is not echoed when another field is wrong", () => {
      const e = configError({ endpoints: [{ ...openai, apiKey: SECRET, models: [] }] });
      expect(e.message).not.toContain(SECRET);
    });
  });
});

describe("modelsOf", () => {
  it("lists an Azure endpoint's deployment keys and an openai endpoint's models", () => {
    const c = parseConfig({
      endpoints: [
        { ...azure, deployments: { "gpt-4o": "a", "gpt-4o-mini": "b" } },
        { ...openai, models: ["o3", "gpt-4o"] },
      ],
    });
    expect(modelsOf(c.endpoints[0]!)).toEqual(["gpt-4o", "gpt-4o-mini"]);
    expect(modelsOf(c.endpoints[1]!)).toEqual(["o3", "gpt-4o"]);
  });

  it("returns a copy", () => {
    const c = parseConfig({ endpoints: [openai] });
    const models = modelsOf(c.endpoints[0]!);
    models.push("x");
    expect(modelsOf(c.endpoints[0]!)).toEqual(["gpt-4o"]);
  });
});
