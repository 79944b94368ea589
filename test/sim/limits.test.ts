import { describe, expect, it } from "vitest";
import { CONCURRENCY_RETRY_AFTER_MS, EndpointLimiter, TokenBucket } from "../../src/sim/limits.js";
import { FakeClock } from "./helpers.js";

describe("TokenBucket", () => {
  it("starts full, refills continuously and never above capacity", () => {
    const clock = new FakeClock();
    const b = new TokenBucket(10, 0.01, clock.now);
    expect(b.level()).toBe(10);
    b.take(10);
    expect(b.level()).toBe(0);
    clock.advance(250);
    expect(b.level()).toBeCloseTo(2.5, 9);
    clock.advance(10_000);
    expect(b.level()).toBe(10);
  });

  it("says how long until an amount is available, and Infinity when it never fits", () => {
    const clock = new FakeClock();
    const b = new TokenBucket(10, 0.01, clock.now);
    b.take(9);
    expect(b.msUntil(1)).toBe(0);
    expect(b.msUntil(3)).toBeCloseTo(200, 6);
    expect(b.msUntil(11)).toBe(Number.POSITIVE_INFINITY);
    expect(b.msUntilFull()).toBeCloseTo(900, 6);
  });
});

describe("EndpointLimiter", () => {
  it("holds ten seconds' worth of requests by default (rpm / 6) and refills at rpm / 60 000 per ms", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 600 }, clock.now);
    for (let i = 0; i < 100; i++) expect(l.admit(0, 0).ok).toBe(true);
    expect(l.admit(0, 0)).toEqual({ ok: false, reason: "requests", retryAfterMs: 100 });
    clock.advance(99);
    expect(l.admit(0, 0)).toEqual({ ok: false, reason: "requests", retryAfterMs: 1 });
    clock.advance(1);
    expect(l.admit(0, 0).ok).toBe(true);
    expect(l.admit(0, 0).ok).toBe(false);
  });

  it("holds one second's worth with requestWindowSeconds: 1, refilled at the same rate", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 600, requestWindowSeconds: 1 }, clock.now);
    expect(l.requests?.capacity).toBe(10);
    for (let i = 0; i < 10; i++) expect(l.admit(0, 0).ok).toBe(true);
    expect(l.admit(0, 0)).toEqual({ ok: false, reason: "requests", retryAfterMs: 100 });
    clock.advance(100);
    expect(l.admit(0, 0).ok).toBe(true);
    expect(l.admit(0, 0).ok).toBe(false);
    clock.advance(60_000);
    expect(l.requests?.level()).toBe(10); // never more than one window's worth, however long it idles
  });

  it("scales the window with requestWindowSeconds (60: a whole minute's worth)", () => {
    const l = new EndpointLimiter({ rpm: 120, requestWindowSeconds: 60 }, new FakeClock().now);
    let admitted = 0;
    while (l.admit(0, 0).ok) admitted++;
    expect(admitted).toBe(120);
  });

  it("keeps a capacity of at least one request", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 3 }, clock.now);
    expect(l.admit(0, 0).ok).toBe(true);
    expect(l.admit(0, 0)).toEqual({ ok: false, reason: "requests", retryAfterMs: 20_000 });
    const short = new EndpointLimiter({ rpm: 30, requestWindowSeconds: 1 }, clock.now);
    expect(short.requests?.capacity).toBe(1);
  });

  it("charges tokens at admission, refuses without charging, and refunds nothing", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 600, tpm: 1000 }, clock.now);
    expect(l.admit(600, 0).ok).toBe(true);
    // 400 left; 600 more needs 200 tokens at 1000/60 000 per ms = 12 s.
    expect(l.admit(600, 0)).toEqual({ ok: false, reason: "tokens", retryAfterMs: 12_000 });
    expect(l.requests?.level()).toBe(99); // the refused request took no request slot either
    expect(l.tokens?.level()).toBe(400);
    clock.advance(12_000);
    expect(l.admit(600, 0).ok).toBe(true);
  });

  it("refuses a charge larger than the whole TPM bucket with no retry-after: waiting never helps", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ tpm: 1000 }, clock.now);
    expect(l.admit(1001, 0)).toEqual({ ok: false, reason: "tokens-too-large" });
    l.admit(500, 0);
    expect(l.admit(1001, 0)).toEqual({ ok: false, reason: "tokens-too-large" });
  });

  it("names the bucket with the longer wait when both are short, and waits for both", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 6, tpm: 60 }, clock.now); // 1 request, 60 tokens
    expect(l.admit(60, 0).ok).toBe(true);
    // requests: 1 per 10 s; tokens: 30 tokens at 1 per s = 30 s.
    expect(l.admit(30, 0)).toEqual({ ok: false, reason: "tokens", retryAfterMs: 30_000 });
    expect(l.admit(1, 0)).toEqual({ ok: false, reason: "requests", retryAfterMs: 10_000 });
  });

  it("refuses beyond the concurrency limit with a one-second retry-after, before touching buckets", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 60, concurrency: 2 }, clock.now);
    expect(l.admit(0, 1).ok).toBe(true);
    expect(l.admit(0, 2)).toEqual({
      ok: false,
      reason: "concurrency",
      retryAfterMs: CONCURRENCY_RETRY_AFTER_MS,
    });
    expect(l.requests?.level()).toBe(9);
  });

  it("admits again after exactly the advertised wait, despite float drift", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 7, tpm: 12_345 }, clock.now);
    let admitted = 0;
    for (let i = 0; i < 200; i++) {
      const v = l.admit(997, 0);
      if (v.ok) admitted++;
      else if (v.reason === "tokens-too-large") throw new Error("997 fits in 12 345");
      else {
        clock.advance(v.retryAfterMs);
        expect(l.admit(997, 0).ok).toBe(true);
        admitted++;
      }
    }
    expect(admitted).toBe(200);
  });

  it("reports openai headers: requests per minute (rpm minus the window's deficit), tokens left, resets", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 600, tpm: 100_000 }, clock.now);
    expect(l.headers("openai")["x-ratelimit-remaining-requests"]).toBe("600"); // idle: remaining == limit
    l.admit(1500, 0);
    expect(l.headers("openai")).toEqual({
      "x-ratelimit-limit-requests": "600",
      "x-ratelimit-remaining-requests": "599",
      "x-ratelimit-reset-requests": "100ms",
      "x-ratelimit-limit-tokens": "100000",
      "x-ratelimit-remaining-tokens": "98500",
      "x-ratelimit-reset-tokens": "900ms",
    });
    for (let i = 0; i < 99; i++) l.admit(500, 0);
    // The 10 s window is empty: 100 short of a minute's 600, and 10 s until it is full again.
    expect(l.headers("openai")["x-ratelimit-remaining-requests"]).toBe("500");
    expect(l.headers("openai")["x-ratelimit-reset-requests"]).toBe("10s");
    expect(l.headers("openai")["x-ratelimit-reset-tokens"]).toBe("30.6s");
    clock.advance(150); // 1.5 requests refilled: floored
    expect(l.headers("openai")["x-ratelimit-remaining-requests"]).toBe("501");
  });

  it("reports azure headers per request window, as Azure does (48 RPM, 8000 TPM → limit 8, then 7 left)", () => {
    const clock = new FakeClock();
    const l = new EndpointLimiter({ rpm: 48, tpm: 8_000 }, clock.now);
    expect(l.headers("azure")["x-ratelimit-remaining-requests"]).toBe("8");
    l.admit(100, 0);
    expect(l.headers("azure")).toEqual({
      "x-ratelimit-limit-requests": "8",
      "x-ratelimit-remaining-requests": "7",
      "x-ratelimit-reset-requests": "1.25s",
      "x-ratelimit-limit-tokens": "8000",
      "x-ratelimit-remaining-tokens": "7900",
      "x-ratelimit-reset-tokens": "750ms",
    });
    const oneSecond = new EndpointLimiter({ rpm: 600, requestWindowSeconds: 1 }, clock.now);
    oneSecond.admit(0, 0);
    expect(oneSecond.headers("azure")).toMatchObject({
      "x-ratelimit-limit-requests": "10",
      "x-ratelimit-remaining-requests": "9",
    });
  });

  it("has no headers and admits everything when no limit is configured", () => {
    const l = new EndpointLimiter({}, new FakeClock().now);
    expect(l.hasRateLimits).toBe(false);
    expect(l.headers("openai")).toEqual({});
    expect(l.headers("azure")).toEqual({});
    for (let i = 0; i < 1000; i++) expect(l.admit(1_000_000, 10_000).ok).toBe(true);
  });
});
