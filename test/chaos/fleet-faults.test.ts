/**
 * Chaos on the sim fleet: 3,000 mixed requests per strategy over four endpoints, one healthy, the
 * others changing faults every 100–500 ms (test/chaos/run-chaos.ts drives it, check.ts says what must
 * hold; docs/chaos.md has the figures of a run).
 */
import { describe, it } from "vitest";
import { check, printSummariesAfterAll } from "./check.js";
import { runChaos } from "./run-chaos.js";

printSummariesAfterAll();

describe("chaos: 4 endpoints, one healthy, seeded faults every 100–500 ms, real time", () => {
  it("least-latency: 3,000 mixed requests settle exactly once, ≥ 99.9% succeed, nothing leaks", async () => {
    check(
      await runChaos({
        seed: 1,
        strategy: "least-latency",
        requests: 3_000,
        concurrency: 200,
        budgetMs: 40_000,
      }),
    );
  }, 60_000);

  it("usage-based: the same load and fault schedule shape, another seed", async () => {
    check(
      await runChaos({
        seed: 2,
        strategy: "usage-based",
        requests: 3_000,
        concurrency: 200,
        budgetMs: 40_000,
      }),
    );
  }, 60_000);
});
