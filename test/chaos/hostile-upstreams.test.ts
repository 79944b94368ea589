/**
 * Chaos with two hostile endpoints (test/helpers/hostile-upstream.ts) beside the sim fleet's faults:
 * the same properties as fleet-faults.test.ts, under every way an upstream can misbehave.
 */
import { describe, it } from "vitest";
import { check, printSummariesAfterAll } from "./check.js";
import { runChaos } from "./run-chaos.js";

printSummariesAfterAll();

describe("chaos: 4 endpoints, one healthy, seeded faults every 100–500 ms, real time", () => {
  // Breaks if any hostile answer reached a caller as a result (a string, a foreign object, a truncated
  // stream), if one did not fail over while a healthy endpoint was there, if a retry-after of zero made
  // the router hammer, if an echoed key leaked, or if a drip-fed body kept close() from finishing.
  it("hostile upstreams: the same, with two endpoints misbehaving in every hostile way", async () => {
    check(
      await runChaos({
        seed: 3,
        strategy: "least-latency",
        // Twice the others' load: the hostile decks go round about twice while it runs, so a mode dealt
        // while its lane cooled (a retry-after mode just before it) meets the load the next time round.
        requests: 6_000,
        concurrency: 200,
        // Twice the load, so twice the others' time: it took 23–36 s at load 3–6, over 40 s at 11–13.
        budgetMs: 70_000,
        hostile: true,
      }),
    );
  }, 90_000);
});
