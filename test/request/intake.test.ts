import { describe, expect, it } from "vitest";
import { Affinity, DEFAULT_AFFINITY } from "../../src/affinity/affinity.js";
import { parseConfig } from "../../src/config.js";
import { Fleet } from "../../src/dispatch/fleet.js";
import { Lane } from "../../src/dispatch/lane.js";
import { createNativeGate } from "../../src/dispatch/lane-gate.js";
import { InMemoryBudgetStore } from "../../src/limits/in-memory-budget-store.js";
import { createTokenEstimator } from "../../src/limits/token-estimate.js";
import { Intake, Refusal, type Submission } from "../../src/request/intake.js";
import type { RequestJob } from "../../src/request/job.js";
import { stubEndpoint } from "../helpers/stub-router.js";

function intake(closing = false) {
  const config = parseConfig({
    endpoints: [stubEndpoint("a", { limits: { tpm: 1_000 } })],
    fallbacks: { "gpt-unserved": ["gpt-4o"] },
  });
  const now = () => 1_000;
  const store = new InMemoryBudgetStore({ throttle: config.throttle });
  const lanes = config.endpoints.map(
    (endpoint, i) =>
      new Lane(endpoint, i, {
        config,
        store,
        gate: createNativeGate(Number.POSITIVE_INFINITY),
        now,
        emit: () => undefined,
        fetch: () => Promise.reject(new Error("no HTTP")),
      }),
  );
  return new Intake({
    config,
    fleet: new Fleet(lanes, store, ["gpt-4o"]),
    affinity: new Affinity(DEFAULT_AFFINITY, undefined),
    estimator: createTokenEstimator({ defaultOutputTokens: config.defaultOutputTokens }),
    scheduler: { now } as never,
    instrument: undefined,
    idPrefix: "req_t_",
    closing: () => closing,
  });
}

const chat = (model: string, maxTokens = 16, options?: Submission["options"]): Submission => ({
  kind: "chat",
  op: "chat",
  body: { model, messages: [{ role: "user", content: "hi" }], max_tokens: maxTokens },
  options,
  deliver: () => undefined,
  started: undefined,
  target: undefined,
});

function refused(result: RequestJob | Refusal): Refusal {
  if (!(result instanceof Refusal)) throw new Error("expected a refusal");
  return result;
}

describe("Intake.admit", () => {
  // Breaks if: the job's charge, deadline or ids are not what the queue and the lanes rely on.
  it("admits a right request as a queued job with its charge and deadline", () => {
    const job = intake().admit(chat("gpt-4o", 16, { timeout: 500, priority: 2 }));
    expect(job).not.toBeInstanceOf(Refusal);
    const j = job as RequestJob;
    expect(j).toMatchObject({
      state: "queued",
      model: "gpt-4o",
      priority: 2,
      deadline: 1_500,
      arrivedAt: 1_000,
    });
    expect(j.id).toBe("req_t_1");
    expect(j.tokens).toBeGreaterThan(16);
  });

  // Breaks if: a fallback is not taken at intake when the requested model is served by nobody.
  it("takes the fallback when the requested model is served by nobody, keeping what was asked", () => {
    const j = intake().admit(chat("gpt-unserved")) as RequestJob;
    expect(j.model).toBe("gpt-4o");
    expect(j.requestedModel).toBe("gpt-unserved");
    expect(j.body.model).toBe("gpt-4o");
  });

  // Breaks if: a refusal carries the wrong code, or the id the caller chose is lost.
  it("refuses with one typed error each: closed, invalid, unserved, too large", () => {
    expect(refused(intake(true).admit(chat("gpt-4o"))).error.code).toBe("ROUTER_CLOSED");
    const invalid = refused(intake().admit(chat("gpt-4o", -1, { id: "mine" })));
    expect(invalid.error.code).toBe("REQUEST_INVALID");
    expect(invalid.id).toBe("mine");
    expect(refused(intake().admit(chat("nobody"))).error.code).toBe("NO_ENDPOINT_FOR_MODEL");
    expect(refused(intake().admit(chat("gpt-4o", 5_000))).error.code).toBe("REQUEST_TOO_LARGE");
  });
});
