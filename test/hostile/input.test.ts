import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { CreateEmbeddingResponse } from "openai/resources/embeddings";
import { firstValueFrom, from, lastValueFrom, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPLETION } from "../../bench/lib/fixtures.js";
import {
  type Completion,
  ConfigError,
  createRouter,
  type Router,
  RouterError,
  type Transport,
} from "../../src/index.js";
import {
  anyRequest,
  CHAT_MODEL,
  EMBEDDING_MODEL,
  inputCount,
  malformedChatBody,
  malformedConfig,
  malformedEmbeddingsBody,
  type TaggedRequest,
  validChatBody,
  validConfig,
  validEmbeddingsBody,
} from "../helpers/arbitraries.js";
import { stubEndpoint } from "../helpers/stub-router.js";

/**
 * Hostile input, property-based: whatever a caller passes (any body, any request object, any config),
 * through every input path (promise API, streams, `router.requests`, `route()`, `router.stream()`,
 * `router.fetch`, `createRouter`), nothing is thrown synchronously, every request gets exactly one
 * typed outcome, a malformed body is REQUEST_INVALID listing its problems with their paths (never a
 * raw TypeError, never NO_ENDPOINT_FOR_MODEL for a served model), and a well-formed one is served.
 * A transport answering at once stands in for the endpoints (no HTTP).
 */

const RUNS = 150;
const CHAT_BODY = { model: CHAT_MODEL, messages: [{ role: "user" as const, content: "hi" }] };
let router: Router;
let calls = 0;
const outcomes = new Map<string, Completion[]>();
const all: Completion[] = [];

function chunk(delta: ChatCompletionChunk.Choice.Delta, finish: "stop" | null = null): ChatCompletionChunk {
  return {
    id: "chatcmpl-prop",
    object: "chat.completion.chunk",
    created: 1,
    model: CHAT_MODEL,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

const transport: Transport = async (call) => {
  calls += 1;
  if (call.kind === "embeddings") {
    const n = inputCount(call.body.input);
    const data: CreateEmbeddingResponse = {
      object: "list",
      model: EMBEDDING_MODEL,
      data: Array.from({ length: n }, (_, index) => ({ object: "embedding", index, embedding: [0.5] })),
      usage: { prompt_tokens: n, total_tokens: n },
    };
    return { kind: "embeddings", data, headers: undefined };
  }
  if (call.kind === "stream") {
    const controller = new AbortController();
    const chunks = [chunk({ role: "assistant", content: "" }), chunk({ content: "hi" }), chunk({}, "stop")];
    const data = Object.assign(
      (async function* () {
        yield* chunks;
      })(),
      { controller },
    );
    return { kind: "stream", data, headers: undefined };
  }
  return { kind: "chat", data: COMPLETION, headers: undefined };
};

beforeAll(() => {
  router = createRouter(
    {
      endpoints: [
        stubEndpoint("a", { models: [CHAT_MODEL, EMBEDDING_MODEL] }),
        stubEndpoint("b", { models: [CHAT_MODEL, EMBEDDING_MODEL] }),
      ],
      fallbacks: { [CHAT_MODEL]: [EMBEDDING_MODEL] },
      fetch: () => Promise.reject(new Error("no HTTP in these tests")),
    },
    { transport },
  );
  router.completions$.subscribe((c) => {
    all.push(c);
    const list = outcomes.get(c.id) ?? [];
    list.push(c);
    outcomes.set(c.id, list);
  });
});
afterAll(() => router.close());

/** Lets promise chains and the router's microtasks run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Calls `f`, failing the property if it throws synchronously; returns what it returned. */
function noThrow<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw new Error(`threw synchronously: ${String(error)}`);
  }
}

/** The error a promise rejected with, or a failure if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("resolved, expected a rejection");
}

function expectInvalid(error: unknown): void {
  expect(error).toBeInstanceOf(RouterError);
  expect((error as RouterError).code, (error as Error).message).toBe("REQUEST_INVALID");
  const problems = (error as { problems?: unknown }).problems;
  expect(Array.isArray(problems) && problems.length > 0, "lists its problems").toBe(true);
  for (const p of problems as unknown[]) expect(typeof p).toBe("string");
}

describe("the promise API", () => {
  // Breaks if a malformed chat body threw a raw TypeError (synchronously or as the rejection), reached
  // the transport, or produced anything but REQUEST_INVALID with its problems listed, exactly once.
  it("chat.completions.create: any malformed body → REQUEST_INVALID, one outcome, no call", async () => {
    await fc.assert(
      fc.asyncProperty(malformedChatBody(), async (body) => {
        const before = all.length;
        const callsBefore = calls;
        const promise = noThrow(() => router.chat.completions.create(body as never));
        expectInvalid(await rejection(promise));
        expect(all.length - before).toBe(1);
        expect(calls).toBe(callsBefore);
      }),
      { numRuns: RUNS },
    );
  });

  // Breaks if a malformed body with `stream: true` escaped the validation on the stream path.
  it("chat.completions.create({ stream: true }): the same on the stream path", async () => {
    await fc.assert(
      fc.asyncProperty(malformedChatBody(), async (body) => {
        // Keeps the body's own getters (some throw): copies descriptors, not values; a body whose
        // `stream` getter throws keeps it (it is then not a stream, and still malformed).
        const streamed =
          typeof body === "object" && body !== null && !Array.isArray(body)
            ? Object.defineProperties(
                {},
                { stream: { value: true, enumerable: true }, ...Object.getOwnPropertyDescriptors(body) },
              )
            : body;
        const before = all.length;
        const promise = noThrow(() => router.chat.completions.create(streamed as never));
        expectInvalid(await rejection(promise));
        expect(all.length - before).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  // Breaks if validation rejected bodies the services accept (a false REQUEST_INVALID).
  it("well-formed chat bodies are served, streamed or not", async () => {
    await fc.assert(
      fc.asyncProperty(validChatBody(), fc.boolean(), async (body, stream) => {
        if (!stream) {
          const response = await router.chat.completions.create(body as never);
          expect(response.object).toBe("chat.completion");
          return;
        }
        const s = await router.chat.completions.create({ ...(body as typeof CHAT_BODY), stream: true });
        let text = "";
        for await (const c of s) text += c.choices[0]?.delta?.content ?? "";
        expect(text).toBe("hi");
      }),
      { numRuns: RUNS },
    );
  });

  // Breaks if a malformed embeddings body threw, or was sent.
  it("embeddings.create: any malformed body → REQUEST_INVALID; well-formed ones get one vector per input", async () => {
    await fc.assert(
      fc.asyncProperty(malformedEmbeddingsBody(), async (body) => {
        const callsBefore = calls;
        expectInvalid(await rejection(noThrow(() => router.embeddings.create(body as never))));
        expect(calls).toBe(callsBefore);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(validEmbeddingsBody(), async (body) => {
        const response = await router.embeddings.create(body as never);
        expect(response.data).toHaveLength(inputCount(body.input));
      }),
      { numRuns: RUNS },
    );
  });

  // Breaks if per-call options of the wrong type (a non-object, a fake signal, a numeric id) threw.
  it("malformed per-call options → REQUEST_INVALID", async () => {
    const body = { model: CHAT_MODEL, messages: [{ role: "user" as const, content: "hi" }] };
    for (const options of [
      null,
      5,
      "fast",
      { signal: {} },
      { signal: "x" },
      { id: 5 },
      { id: "" },
      { priority: "1" },
      { timeout: -1 },
    ])
      expectInvalid(await rejection(noThrow(() => router.chat.completions.create(body, options as never))));
  });
});

describe("the reactive API", () => {
  /** Pushes each request; checks that nothing throws and each gets exactly one outcome. */
  async function push(requests: readonly TaggedRequest[]): Promise<Completion[]> {
    const before = all.length;
    for (const { request } of requests) noThrow(() => router.requests.next(request as never));
    for (let i = 0; i < 20 && all.length - before < requests.length; i++) await flush();
    const got = all.slice(before);
    expect(got).toHaveLength(requests.length);
    return got;
  }

  // Breaks if requests.next threw synchronously (a non-object request, a missing id, an unknown kind,
  // a throwing getter…), raised an uncaught exception later, or lost an outcome.
  it("requests.next: anything at all → no throw, exactly one outcome each, REQUEST_INVALID when malformed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyRequest(), { minLength: 1, maxLength: 6 }), async (requests) => {
        const got = await push(requests);
        // Outcomes of invalid requests come at once, in order; valid ones after their call.
        const invalid = requests.filter((r) => !r.valid).length;
        expect(got.filter((c) => !c.ok && c.error.code === "REQUEST_INVALID")).toHaveLength(invalid);
        expect(got.filter((c) => c.ok)).toHaveLength(requests.length - invalid);
        for (const c of got) if (!c.ok) expect(c.error.code).not.toBe("NO_ENDPOINT_FOR_MODEL");
      }),
      { numRuns: RUNS },
    );
  });

  // Breaks if route() lost or duplicated an outcome for a malformed request, or never completed.
  it("route(): N requests in, N outcomes out, then complete", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyRequest(), { minLength: 0, maxLength: 6 }), async (requests) => {
        const got = await lastValueFrom(
          from(requests.map((r) => r.request as never)).pipe(router.route(), toArray()),
        );
        expect(got).toHaveLength(requests.length);
        const invalid = requests.filter((r) => !r.valid).length;
        expect(got.filter((c) => !c.ok && c.error.code === "REQUEST_INVALID")).toHaveLength(invalid);
      }),
      { numRuns: RUNS },
    );
  });

  // Breaks if router.stream() threw while building its request, or errored with anything but REQUEST_INVALID.
  it("router.stream(): any malformed body → the observable errors with REQUEST_INVALID", async () => {
    await fc.assert(
      fc.asyncProperty(malformedChatBody(), async (body) => {
        const observable = noThrow(() => router.stream(body as never));
        expectInvalid(await rejection(firstValueFrom(observable)));
      }),
      { numRuns: RUNS },
    );
  });

  // Breaks if an invalid request's outcome carried the caller's junk as its id instead of a string.
  it("an outcome's id is always a string, generated when the request had none", async () => {
    const [a, b] = await push([
      { request: { kind: "chat", body: {} }, valid: false },
      { request: { id: { not: "a string" }, kind: "chat", body: {} }, valid: false },
    ]);
    expect(typeof a?.id).toBe("string");
    expect(typeof b?.id).toBe("string");
    const error = a && !a.ok ? (a.error as { problems?: string[] }) : undefined;
    const problems = (error?.problems ?? []).join("\n");
    expect(problems).toMatch(/^id: /m);
  });
});

describe("router.fetch", () => {
  // Breaks if a malformed JSON body sent through router.fetch got anything but a 400 invalid_request.
  it("any malformed chat body (as JSON) → 400 invalid_request", async () => {
    await fc.assert(
      fc.asyncProperty(malformedChatBody().filter(survivesJson), async (body) => {
        const response = await router.fetch("http://router.invalid/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(400);
        const payload = (await response.json()) as { error: { code: string } };
        expect(payload.error.code).toBe("invalid_request");
      }),
      { numRuns: RUNS },
    );
  });
});

/** True when `value` is plain JSON: what goes over HTTP is then exactly what was generated. */
function survivesJson(value: unknown): boolean {
  try {
    const text = JSON.stringify(value);
    return text !== undefined && isDeepStrictEqual(JSON.parse(text), value);
  } catch {
    return false;
  }
}

describe("bodies naming a served model are never NO_ENDPOINT_FOR_MODEL", () => {
  // Breaks if model names that are keys of Object.prototype reached the fallback table as if it
  // were a Map (`fallbacks["constructor"]` is a function: spreading it threw a TypeError).
  it.each(["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"])(
    "model %j: NO_ENDPOINT_FOR_MODEL (it is not served), not a TypeError",
    async (model) => {
      const error = await rejection(
        router.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }),
      );
      expect((error as RouterError).code).toBe("NO_ENDPOINT_FOR_MODEL");
    },
  );

  // Breaks if a problem were reported without its path into the body.
  it("problems name their paths", async () => {
    const error = await rejection(
      router.chat.completions.create({
        model: CHAT_MODEL,
        messages: [
          { role: "user", content: "ok" },
          { role: "user", content: 5 },
          { role: "user", content: [{ type: "text", text: 7 }] },
        ],
        max_tokens: -1,
      } as never),
    );
    expectInvalid(error);
    const problems = (error as { problems: string[] }).problems;
    expect(problems.some((p) => p.startsWith("messages.1.content:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("messages.2.content.0.text:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("max_tokens:"))).toBe(true);
    expect((error as Error).message).toContain("messages.1.content");
  });
});

describe("createRouter", () => {
  // Breaks if a malformed config threw anything but ConfigError (a TypeError from a getter, a zod error).
  it("any malformed config → ConfigError with its issues; well-formed ones build a router", async () => {
    fc.assert(
      fc.property(malformedConfig(), (config) => {
        let thrown: unknown;
        try {
          createRouter(config as never);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(ConfigError);
        expect((thrown as ConfigError).issues.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
    const routers: Router[] = [];
    fc.assert(
      fc.property(validConfig(), (config) => {
        routers.push(createRouter({ ...config, fetch: () => Promise.reject(new Error("no HTTP")) }));
      }),
      { numRuns: 40 },
    );
    await Promise.all(routers.map((r) => r.close()));
  });
});
