import { describe, expect, it } from "vitest";
import {
  type BreakerOptions,
  type BreakerPass,
  CircuitBreaker,
} from "../../src/resilience/circuit-breaker.js";

const defaults: BreakerOptions = {
  consecutiveFailures: 5,
  failureRatio: 0.5,
  window: 20,
  minCalls: 10,
  cooldownMs: 15_000,
};

function breaker(options: Partial<BreakerOptions> = {}): CircuitBreaker {
  return new CircuitBreaker({ ...defaults, ...options });
}

/** Runs one call through the breaker at `now`, as a lane does: start, then the verdict. */
function call(b: CircuitBreaker, ok: boolean, now: number) {
  const pass = b.start(now);
  const ended = ok ? b.success(pass) : b.failure(pass, now);
  return { started: pass.transition, ended };
}

/** Opens a breaker at `now` with consecutive failures. */
function open(b: CircuitBreaker, now: number, failures = defaults.consecutiveFailures): void {
  for (let i = 0; i < failures; i++) call(b, false, now);
  expect(b.state(now)).toBe("open");
}

describe("CircuitBreaker", () => {
  it("starts closed and lets calls pass", () => {
    const b = breaker();
    expect(b.state(0)).toBe("closed");
    expect(b.canPass(0)).toBe(true);
    expect(b.reopensAt).toBe(0);
    const pass = b.start(0);
    expect(pass).toMatchObject({ probe: false, transition: undefined });
    expect(b.success(pass)).toBeUndefined();
  });

  describe("consecutive failures", () => {
    it("open the breaker at the threshold, not before", () => {
      const b = breaker({ consecutiveFailures: 3 });
      expect(call(b, false, 0).ended).toBeUndefined();
      expect(call(b, false, 1).ended).toBeUndefined();
      expect(b.state(1)).toBe("closed");
      expect(call(b, false, 2).ended).toBe("opened");
      expect(b.state(2)).toBe("open");
      expect(b.canPass(2)).toBe(false);
      expect(b.reopensAt).toBe(2 + 15_000);
    });

    it("are reset by a success", () => {
      const b = breaker({ consecutiveFailures: 3 });
      call(b, false, 0);
      call(b, false, 0);
      call(b, true, 0);
      call(b, false, 0);
      call(b, false, 0);
      expect(b.state(0)).toBe("closed");
      expect(call(b, false, 0).ended).toBe("opened");
    });
  });

  describe("failure ratio", () => {
    it("opens once minCalls are in the window and the failure share reaches the ratio", () => {
      // consecutive rule out of the way
      const b = breaker({ consecutiveFailures: 100, failureRatio: 0.5, window: 20, minCalls: 10 });
      // S F S F S F S F S: 9 calls, 4 failures
      for (let i = 0; i < 9; i++) expect(call(b, i % 2 === 1, 0).ended).toBeUndefined();
      expect(b.state(0)).toBe("closed");
      // 10th call fails: 5/10 = 0.5 with minCalls reached
      expect(call(b, false, 0).ended).toBe("opened");
      expect(b.state(0)).toBe("open");
    });

    it("does not open below minCalls even at a 100% failure share", () => {
      const b = breaker({ consecutiveFailures: 100, minCalls: 10 });
      for (let i = 0; i < 9; i++) expect(call(b, false, 0).ended).toBeUndefined();
      expect(b.state(0)).toBe("closed");
      expect(call(b, false, 0).ended).toBe("opened");
    });

    it("does not open below the ratio", () => {
      const b = breaker({ consecutiveFailures: 100, failureRatio: 0.5, window: 10, minCalls: 10 });
      // 4 failures in 10 calls: S S F S S F S S F S ... never ≥ 0.5
      for (let i = 0; i < 100; i++) call(b, i % 3 !== 2, 0);
      expect(b.state(0)).toBe("closed");
    });

    it("only looks at the last `window` calls", () => {
      const b = breaker({ consecutiveFailures: 100, failureRatio: 0.5, window: 10, minCalls: 10 });
      // 4 failures, then 10 successes push them out of the window
      for (let i = 0; i < 4; i++) call(b, false, 0);
      for (let i = 0; i < 10; i++) call(b, true, 0);
      // 4 more failures: the window holds 6 successes + 4 failures (0.4)
      for (let i = 0; i < 4; i++) expect(call(b, false, 0).ended).toBeUndefined();
      expect(b.state(0)).toBe("closed");
      // a fifth: 5/10
      expect(call(b, false, 0).ended).toBe("opened");
    });
  });

  describe("open → half-open", () => {
    it("turns half-open once cooldownMs has passed", () => {
      const b = breaker();
      open(b, 1_000);
      expect(b.state(1_000 + 14_999)).toBe("open");
      expect(b.canPass(1_000 + 14_999)).toBe(false);
      expect(b.state(16_000)).toBe("half-open");
      expect(b.canPass(16_000)).toBe(true);
    });

    it("lets exactly one probe through", () => {
      const b = breaker();
      open(b, 0);
      expect(b.start(15_000)).toMatchObject({ probe: true, transition: "half-opened" });
      expect(b.state(15_000)).toBe("half-open");
      expect(b.canPass(15_000)).toBe(false);
      expect(b.canPass(60_000)).toBe(false); // however long the probe takes
      expect(b.reopensAt).toBe(0);
    });

    it("a successful probe closes it", () => {
      const b = breaker();
      open(b, 0);
      expect(b.success(b.start(15_000))).toBe("closed");
      expect(b.state(15_000)).toBe("closed");
      expect(b.canPass(15_000)).toBe(true);
    });

    it("closing forgets the failures that opened it", () => {
      const b = breaker({ consecutiveFailures: 100, minCalls: 4, window: 4 });
      for (let i = 0; i < 4; i++) call(b, false, 0);
      expect(b.state(0)).toBe("open");
      b.success(b.start(15_000));
      // a single failure after closing must not reopen it through the old window
      expect(call(b, false, 15_000).ended).toBeUndefined();
      expect(b.state(15_000)).toBe("closed");
    });

    it("a failed probe reopens it for another cooldown", () => {
      const b = breaker();
      open(b, 0);
      expect(b.failure(b.start(15_000), 20_000)).toBe("opened");
      expect(b.state(20_000)).toBe("open");
      expect(b.reopensAt).toBe(35_000);
      expect(b.canPass(34_999)).toBe(false);
      expect(b.state(35_000)).toBe("half-open");
      expect(b.start(35_000).transition).toBe("half-opened");
    });

    it("a probe ending without a verdict (neutral) frees the probe slot", () => {
      const b = breaker();
      open(b, 0);
      const probe = b.start(15_000);
      expect(b.canPass(15_000)).toBe(false);
      b.neutral(probe);
      expect(b.state(15_000)).toBe("half-open");
      expect(b.canPass(15_000)).toBe(true);
      // the next probe does not report half-opened again
      expect(b.start(15_001)).toMatchObject({ probe: true, transition: undefined });
      expect(b.canPass(15_001)).toBe(false);
    });

    it("neutral does not change a closed breaker", () => {
      const b = breaker();
      b.neutral(b.start(0));
      expect(b.state(0)).toBe("closed");
      expect(b.canPass(0)).toBe(true);
    });

    it("start outside half-open reports nothing and takes no probe", () => {
      const b = breaker();
      expect(b.start(0)).toMatchObject({ probe: false, transition: undefined });
      open(b, 0);
      expect(b.start(1)).toMatchObject({ probe: false, transition: undefined });
      expect(b.state(15_000)).toBe("half-open");
      expect(b.canPass(15_000)).toBe(true);
    });

    it("a late success of a call started before it opened does not close it", () => {
      const b = breaker();
      const early = b.start(0);
      open(b, 0);
      expect(b.success(early)).toBeUndefined();
      expect(b.state(1)).toBe("open");
      expect(b.canPass(1)).toBe(false);
      // The probe after the cooldown still decides.
      expect(call(b, true, 15_000)).toEqual({ started: "half-opened", ended: "closed" });
    });

    it("a late failure of a call started before it opened neither reports nor extends the cooldown", () => {
      const b = breaker();
      const early = b.start(0);
      open(b, 0);
      expect(b.failure(early, 10_000)).toBeUndefined();
      expect(b.reopensAt).toBe(15_000);
    });

    it("while a probe is out, only the probe decides: stale verdicts neither close, reopen nor free it", () => {
      const b = breaker();
      const early = [b.start(0), b.start(0), b.start(0)];
      open(b, 0);
      const probe = b.start(15_000);
      expect(probe.probe).toBe(true);
      const [neutral, succeeded, failed] = early as [BreakerPass, BreakerPass, BreakerPass];
      b.neutral(neutral);
      expect(b.canPass(15_001)).toBe(false); // the probe slot is still taken
      expect(b.success(succeeded)).toBeUndefined();
      expect(b.state(15_002)).toBe("half-open");
      expect(b.failure(failed, 15_003)).toBeUndefined();
      expect(b.state(15_003)).toBe("half-open");
      expect(b.success(probe)).toBe("closed");
    });

    it("a probe's verdict after the breaker was tripped again is stale", () => {
      const b = breaker();
      open(b, 0);
      const probe = b.start(15_000);
      b.trip(15_001, 60_000);
      expect(b.success(probe)).toBeUndefined();
      expect(b.state(20_000)).toBe("open");
    });
  });

  describe("trip", () => {
    it("opens a closed breaker for the given time and reports it", () => {
      const b = breaker();
      expect(b.trip(100, 300_000)).toBe("opened");
      expect(b.state(100)).toBe("open");
      expect(b.reopensAt).toBe(300_100);
      expect(b.state(300_099)).toBe("open");
      expect(b.state(300_100)).toBe("half-open");
    });

    it("re-trips an open breaker silently, moving its reopening time", () => {
      const b = breaker();
      b.trip(0, 1_000);
      expect(b.trip(500, 10_000)).toBeUndefined();
      expect(b.reopensAt).toBe(10_500);
    });

    it("takes a half-open breaker out, dropping its probe", () => {
      const b = breaker();
      open(b, 0);
      b.start(15_000);
      expect(b.trip(15_000, 5_000)).toBe("opened");
      expect(b.state(19_999)).toBe("open");
      expect(b.canPass(20_000)).toBe(true);
    });

    it("resets the consecutive count", () => {
      const b = breaker({ consecutiveFailures: 3 });
      call(b, false, 0);
      call(b, false, 0);
      b.trip(0, 1_000);
      b.success(b.start(1_000));
      expect(call(b, false, 1_000).ended).toBeUndefined();
      expect(b.state(1_000)).toBe("closed");
    });
  });
});
