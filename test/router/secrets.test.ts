import { inspect } from "node:util";
import { APIError } from "openai";
import { fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { COMPLETION } from "../../bench/lib/fixtures.js";
import {
  AllEndpointsFailedError,
  type Completion,
  createRouter,
  DeadlineExceededError,
  type OpenAIEndpointConfig,
  type RouterCallOptions,
  type RouterConfig,
  type RouterEvent,
  type Transport,
  UpstreamError,
  type UpstreamResult,
} from "../../src/index.js";
import { startFleet } from "../../src/sim/index.js";
import { mulberry32, randomBase62 } from "../../src/sim/prng.js";
import { chat } from "../helpers/setup.js";
import { stubRigs } from "../helpers/stub-router.js";
import { FastForward } from "../helpers/virtual-time.js";

/**
 * Keys and tokens never reach the caller, even when an upstream echoes them back in an error: not in
 * the router's error, its causes, their bodies, `inspect` of the chain, outcomes or events.
 */

const MODEL = "gpt-4o";
const keyRng = mulberry32(2024);
/** Realistic-looking keys (long, random), one per endpoint. */
const KEYS: Record<string, string> = {
  a: `sk-proj-${randomBase62(keyRng, 48)}`,
  b: `sk-proj-${randomBase62(keyRng, 48)}`,
};

function endpoint(name: string): OpenAIEndpointConfig {
  return {
    name,
    type: "openai",
    apiKey: KEYS[name] as string,
    baseURL: `http://${name}.test.invalid/v1`,
    models: [MODEL],
  };
}

/** The SDK's own error for `status`, whose body echoes the key it was sent (as a careless proxy might). */
function echoing(status: number, key: string): APIError {
  return APIError.generate(
    status,
    {
      error: {
        message: `Request rejected for key ${key} (status ${status}); the key ${key} was logged.`,
        type: "invalid_request_error",
        param: null,
        code: status === 401 ? "invalid_api_key" : null,
      },
    },
    undefined,
    new Headers({ "content-type": "application/json", "x-request-id": `req_${status}` }),
  );
}

const rigs = stubRigs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await rigs.closeAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A router whose transport throws `echoing(status)` for every call, on a virtual clock. */
function setup(status: number, config: Partial<RouterConfig> = {}) {
  const calls: string[] = [];
  const transport: Transport = async (call) => {
    calls.push(call.common.endpoint);
    throw echoing(status, KEYS[call.common.endpoint] as string);
  };
  const rig = rigs.create(() => ({ calls, transport }), {
    endpoints: [endpoint("a"), endpoint("b")],
    ...config,
  });
  /** Runs one chat request to its outcome; the error it failed with. */
  const run = async (options: RouterCallOptions = {}) => {
    const result = await rig.request(options);
    return result.ok ? undefined : result.error;
  };
  return { ...rig, run };
}

/** Every place a caller (or its logger) could see an error, as text. */
function everywhere(error: unknown, outcomes: readonly Completion[], events: readonly RouterEvent[]) {
  const cause = (error as Error).cause as (Error & { error?: { message?: unknown } }) | undefined;
  return {
    message: (error as Error).message,
    stack: String((error as Error).stack),
    causeMessage: String(cause?.message),
    causeStack: String(cause?.stack),
    causeBody: JSON.stringify(cause?.error),
    causeBodyMessage: String(cause?.error?.message),
    inspected: inspect(error, { depth: 10 }),
    outcomes: JSON.stringify(
      outcomes.map((c) => (c.ok ? c : { ...c, error: { ...c.error, message: c.error.message } })),
    ),
    outcomeCause: inspect(
      outcomes.map((c) => (c.ok ? undefined : c.error.cause)),
      { depth: 10 },
    ),
    events: JSON.stringify(events),
  };
}

function headerText(headers: Headers): string {
  const lines: string[] = [];
  headers.forEach((value, name) => {
    lines.push(`${name}: ${value}`);
  });
  return lines.join("\n");
}

function expectNoKeys(texts: Record<string, string>): void {
  for (const [where, text] of Object.entries(texts))
    for (const key of Object.values(KEYS)) expect(text, `${where} shows a key`).not.toContain(key);
}

describe("keys echoed by an upstream", () => {
  // Breaks if the router passed the SDK's error on unscrubbed: its message and its body's message
  // (and so inspect(error)) would show the key the upstream echoed.
  it("UPSTREAM_ERROR (400): no key in the error, its cause, the cause's body, inspect, outcomes or events", async () => {
    const { run, outcomes, events, calls } = setup(400);
    const error = await run();
    // A 400 is final: one call, on whichever lane the strategy chose.
    expect(calls).toHaveLength(1);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: "UPSTREAM_ERROR", status: 400, endpoint: calls[0] });
    const texts = everywhere(error, outcomes, events);
    expectNoKeys(texts);
    // The message is still there, with the key cut out.
    expect(texts.causeMessage).toContain("Request rejected for key [redacted]");
    expect(texts.causeBodyMessage).toContain("[redacted]");
    expect(texts.message).toContain("[redacted]");
    expect(outcomes).toHaveLength(1);
  });

  // Breaks if the cause of ALL_ENDPOINTS_FAILED (the last 401) were not scrubbed like the others.
  it("ALL_ENDPOINTS_FAILED (401 on every lane): no key anywhere", async () => {
    const { run, outcomes, events, calls } = setup(401, { strategy: "round-robin" });
    const error = await run();
    expect([...calls].sort()).toEqual(["a", "b"]);
    expect(error).toBeInstanceOf(AllEndpointsFailedError);
    expect(error).toMatchObject({ code: "ALL_ENDPOINTS_FAILED", status: 401 });
    expect((error as Error).cause).toBeInstanceOf(APIError);
    const texts = everywhere(error, outcomes, events);
    expectNoKeys(texts);
    expect(texts.causeMessage).toContain("[redacted]");
    expect(texts.causeBodyMessage).toContain("[redacted]");
  });

  // Breaks if a deadline's cause (the last failed attempt) kept the key: it is printed by inspect.
  it("DEADLINE_EXCEEDED with the last 500 as cause: no key anywhere", async () => {
    const { run, outcomes, events, calls, clock } = setup(500, {
      endpoints: [endpoint("a")],
      retry: { baseDelayMs: 5_000 },
      rng: () => 0.9,
    });
    const t0 = clock.now();
    const error = await run({ timeout: 1_000 });
    expect(clock.now()).toBe(t0 + 1_000);
    expect(calls).toEqual(["a"]);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).cause).toBeInstanceOf(APIError);
    const texts = everywhere(error, outcomes, events);
    expectNoKeys(texts);
    expect(texts.causeMessage).toContain("[redacted]");
    expect(texts.inspected).toContain("[redacted]");
  });

  // Breaks if the router's toString/toJSON/inspect hook were dropped: its config (with the keys) would show.
  it("String(router), inspect(router) and JSON.stringify(router) show no key", () => {
    const { router } = setup(400);
    const texts = {
      string: String(router),
      inspected: inspect(router, { depth: 10 }),
      json: JSON.stringify(router),
      snapshot: JSON.stringify(router.snapshot()),
    };
    expectNoKeys(texts);
    expect(texts.string).toContain("a");
    expect(JSON.parse(texts.json)).toMatchObject({ endpoints: ["a", "b"] });
  });
});

describe("keys echoed in the headers of an answer", () => {
  // Breaks if withResponse()/asResponse() handed on the upstream's headers unredacted: a proxy that
  // echoes the request's key in a response header would show it to whoever logs the Response.
  it("withResponse() and asResponse() carry no key, and keep the headers that carry none", async () => {
    const transport: Transport = async (call) => {
      const key = KEYS[call.common.endpoint] as string;
      const headers = new Headers({ "x-request-id": "req_echo", "x-debug-auth": `Bearer ${key}` });
      return { kind: "chat", data: COMPLETION, headers } as UpstreamResult;
    };
    const { router } = rigs.create(() => ({ transport }), { endpoints: [endpoint("a"), endpoint("b")] });
    const { response, request_id } = await router.chat.completions.create(chat("hi")).withResponse();
    expect(request_id).toBe("req_echo");
    expect(response.headers.get("x-debug-auth")).toBe("Bearer [redacted]");
    const again = await router.chat.completions.create(chat("hi")).asResponse();
    const texts = {
      headers: headerText(again.headers),
      first: headerText(response.headers),
    };
    expectNoKeys(texts);
  });
});

describe("Entra ID tokens echoed by an upstream", () => {
  // Breaks if tokens from azureADTokenProvider were not remembered as secrets: the SDK sends them as
  // `Authorization: Bearer …`, the upstream echoes one, and the router would pass it on untouched.
  it("redacts a bearer token from azureADTokenProvider end to end (SDK, HTTP, sim fleet)", async () => {
    const clock = new FastForward();
    const fleet = await startFleet({
      seed: 51,
      now: clock.now,
      endpoints: [
        {
          name: "east",
          type: "azure",
          deployments: { [MODEL]: "gpt4o-east" },
          acceptBearerPrefix: "entra-token-",
        },
      ],
    });
    const east = fleet.endpoint("east");
    // A fresh token per call, as a provider that refreshes would hand out.
    const tokenRng = mulberry32(77);
    const issued: string[] = [];
    const azureADTokenProvider = async () => {
      const token = `entra-token-${randomBase62(tokenRng, 64)}`;
      issued.push(token);
      return token;
    };
    const seenOnWire: string[] = [];
    // Forwards to the fleet, except a request whose prompt says "echo": a 400 quoting its bearer token.
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get("authorization") ?? "";
      const token = auth.replace(/^Bearer /i, "");
      seenOnWire.push(token);
      if (typeof init?.body === "string" && init.body.includes("echo")) {
        const body = JSON.stringify({
          error: {
            message: `The token ${token} is not valid for this deployment (sent: ${auth}).`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_token",
          },
        });
        return new Response(body, {
          status: 400,
          headers: { "content-type": "application/json", "x-request-id": "req_echo" },
        });
      }
      return undiciFetch(input as string, init as Parameters<typeof undiciFetch>[1]);
    }) as unknown as typeof globalThis.fetch;
    const router = createRouter({
      scheduler: clock.scheduler,
      fetch,
      endpoints: [
        {
          name: "east",
          type: "azure",
          endpoint: east.url,
          deployments: { [MODEL]: "gpt4o-east" },
          azureADTokenProvider,
        },
      ],
    });
    cleanups.push(async () => {
      await router.close();
      await fleet.close();
    });
    const events: RouterEvent[] = [];
    const outcomes: Completion[] = [];
    router.events$.subscribe((e) => events.push(e));
    router.completions$.subscribe((c) => outcomes.push(c));

    // The fleet accepts the provider's token: the SDK really sent it as a bearer token.
    const ok = await router.chat.completions.create(chat("hello"));
    expect(ok.object).toBe("chat.completion");
    expect(fleet.stats("east").byStatus[200]).toBe(1);

    const error = await router.chat.completions.create(chat("echo my token")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: "UPSTREAM_ERROR", status: 400, endpoint: "east" });
    expect(issued.length).toBeGreaterThanOrEqual(2);
    const echoed = seenOnWire.at(-1) as string;
    expect(echoed).toMatch(/^entra-token-[0-9A-Za-z]{64}$/);
    expect(issued).toContain(echoed);

    const cause = (error as Error).cause as Error & { error?: { message?: string } };
    const texts = {
      message: (error as Error).message,
      causeMessage: cause.message,
      causeBody: JSON.stringify(cause.error),
      inspected: inspect(error, { depth: 10 }),
      outcomes: JSON.stringify(outcomes.map((c) => (c.ok ? c.id : { ...c.error, message: c.error.message }))),
      events: JSON.stringify(events),
      string: String(router),
      inspectRouter: inspect(router, { depth: 10 }),
      json: JSON.stringify(router),
    };
    for (const [where, text] of Object.entries(texts))
      for (const token of issued) expect(text, `${where} shows a token`).not.toContain(token);
    expect(cause.message).toContain("The token [redacted] is not valid");
    expect(cause.error?.message).toContain("sent: Bearer [redacted]");
  });
});
