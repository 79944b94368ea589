import { describe, expect, it } from "vitest";
import {
  parseRateLimitHeaders,
  parseRetryAfterMs,
  toBudgetReport,
} from "../../src/limits/rate-limit-headers.js";

describe("parseRateLimitHeaders", () => {
  it("reads openai.com's six headers from a fetch Headers", () => {
    const headers = new Headers({
      "x-ratelimit-limit-requests": "10000",
      "x-ratelimit-limit-tokens": "2000000",
      "x-ratelimit-remaining-requests": "9999",
      "x-ratelimit-remaining-tokens": "1999985",
      "x-ratelimit-reset-requests": "6ms",
      "x-ratelimit-reset-tokens": "1m30.5s",
    });
    expect(parseRateLimitHeaders(headers)).toEqual({
      requests: { limit: 10_000, remaining: 9_999, resetMs: 6 },
      tokens: { limit: 2_000_000, remaining: 1_999_985, resetMs: 90_500 },
    });
  });

  it("reads a plain record case-insensitively, with Node's array values", () => {
    const info = parseRateLimitHeaders({
      "X-RateLimit-Remaining-Requests": "42",
      "x-ratelimit-remaining-tokens": ["1500", "ignored"],
      "X-RATELIMIT-RESET-TOKENS": "6m0s",
      other: undefined,
    });
    expect(info).toEqual({ requests: { remaining: 42 }, tokens: { remaining: 1_500, resetMs: 360_000 } });
  });

  it("reads Azure's subset (remaining only)", () => {
    const info = parseRateLimitHeaders({
      "x-ratelimit-remaining-requests": "59",
      "x-ratelimit-remaining-tokens": "9000",
    });
    expect(info.requests).toEqual({ remaining: 59 });
    expect(info.tokens).toEqual({ remaining: 9_000 });
  });

  it("ignores garbage field by field", () => {
    const info = parseRateLimitHeaders({
      "x-ratelimit-limit-requests": "",
      "x-ratelimit-remaining-requests": "-3",
      "x-ratelimit-reset-requests": "soon",
      "x-ratelimit-limit-tokens": "1,000",
      "x-ratelimit-remaining-tokens": "12abc",
      "x-ratelimit-reset-tokens": "2s",
    });
    expect(info).toEqual({ requests: {}, tokens: { resetMs: 2_000 } });
  });

  it("returns empty windows when nothing is sent", () => {
    expect(parseRateLimitHeaders(new Headers())).toEqual({ requests: {}, tokens: {} });
  });
});

describe("parseRetryAfterMs", () => {
  it("prefers retry-after-ms (float milliseconds)", () => {
    expect(parseRetryAfterMs({ "retry-after-ms": "1500.5", "retry-after": "9" })).toBe(1_500.5);
  });

  it("reads retry-after in seconds, fractional allowed", () => {
    expect(parseRetryAfterMs(new Headers({ "Retry-After": "6" }))).toBe(6_000);
    expect(parseRetryAfterMs({ "retry-after": "0.25" })).toBe(250);
    expect(parseRetryAfterMs({ "retry-after": "86400" })).toBe(86_400_000); // not capped here
  });

  it("reads an HTTP-date retry-after relative to the injected now", () => {
    const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT");
    const headers = { "retry-after": "Wed, 21 Oct 2026 07:28:30 GMT" };
    expect(parseRetryAfterMs(headers, undefined, now)).toBe(30_000);
    expect(parseRetryAfterMs(headers, undefined, now + 60_000)).toBe(0); // already passed
    expect(parseRetryAfterMs(headers)).toBeUndefined(); // no clock, no guess
  });

  it("skips negative and garbage values and falls through to the next source", () => {
    expect(parseRetryAfterMs({ "retry-after-ms": "-5", "retry-after": "2" })).toBe(2_000);
    expect(parseRetryAfterMs({ "retry-after-ms": "NaN" })).toBeUndefined();
    expect(parseRetryAfterMs({ "retry-after": "-1" })).toBeUndefined();
    expect(parseRetryAfterMs({ "retry-after": "" })).toBeUndefined();
  });

  const azureMessage =
    "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.";

  it("reads Azure's body text when the headers say nothing", () => {
    expect(parseRetryAfterMs({}, { error: { code: "429", message: azureMessage } })).toBe(6_000);
    expect(parseRetryAfterMs(undefined, { code: "429", message: azureMessage })).toBe(6_000); // APIError.error
    expect(
      parseRetryAfterMs(new Headers(), "Rate limit is exceeded. Try again later. retry after 1 second"),
    ).toBe(1_000);
    expect(parseRetryAfterMs({}, { message: `429 ${azureMessage}` })).toBe(6_000); // APIError itself
  });

  it("reads openai.com's 'try again in' text", () => {
    const body = {
      error: { message: "Rate limit reached for gpt-4o on tokens per min. Please try again in 1.5s." },
    };
    expect(parseRetryAfterMs({}, body)).toBe(1_500);
    expect(parseRetryAfterMs({}, { error: { message: "Please try again in 120ms. Visit …" } })).toBe(120);
  });

  it("prefers headers over the body", () => {
    expect(parseRetryAfterMs({ "retry-after": "2" }, { error: { message: azureMessage } })).toBe(2_000);
  });

  it("returns undefined when nothing says how long", () => {
    expect(parseRetryAfterMs({}, { error: { message: "Too many requests" } })).toBeUndefined();
    expect(parseRetryAfterMs({}, null)).toBeUndefined();
    expect(parseRetryAfterMs({}, 42)).toBeUndefined();
  });
});

describe("toBudgetReport", () => {
  it("reads Azure's request headers as per window: limit 8 per 10 s is 48 per minute", () => {
    // Headers of a real Azure response for a 48-RPM / 8,000-TPM deployment.
    const info = parseRateLimitHeaders({
      "x-ratelimit-limit-requests": "8",
      "x-ratelimit-remaining-requests": "7",
      "x-ratelimit-limit-tokens": "8000",
      "x-ratelimit-remaining-tokens": "1014",
    });
    expect(toBudgetReport(info, "azure", 10)).toEqual({
      requests: { limit: 48, remaining: 7, spent: 1 },
      tokens: { limit: 8_000, remaining: 1_014, spent: 6_986 },
    });
    expect(toBudgetReport(info, "azure", 1).requests.limit).toBe(480);
  });

  it("reads openai.com's request headers as per minute", () => {
    const info = parseRateLimitHeaders({
      "x-ratelimit-limit-requests": "3500",
      "x-ratelimit-remaining-requests": "3499",
      "x-ratelimit-reset-requests": "17ms",
    });
    expect(toBudgetReport(info, "openai", 10)).toEqual({
      requests: { limit: 3_500, remaining: 3_499, spent: 1, resetMs: 17 },
      tokens: {},
    });
  });

  it("has no deficit without both the limit and the remaining (older Azure sends remaining only)", () => {
    const info = parseRateLimitHeaders({ "x-ratelimit-remaining-requests": "79" });
    expect(toBudgetReport(info, "azure", 10).requests).toEqual({ remaining: 79 });
  });
});

describe("toBudgetReport with impossible counters (issue 14)", () => {
  // Breaks if remaining > limit were flattened to a deficit of 0 (it would read as "nothing spent").
  it("keeps remaining > limit as a negative deficit, for the store to ignore", () => {
    const report = toBudgetReport(
      parseRateLimitHeaders({ "x-ratelimit-limit-requests": "300", "x-ratelimit-remaining-requests": "400" }),
      "openai",
      10,
    );
    expect(report.requests.spent).toBe(-100);
  });
});
