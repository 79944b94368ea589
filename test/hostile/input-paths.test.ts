import { isDeepStrictEqual } from "node:util";
import { firstValueFrom, from, lastValueFrom, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Completion, createRouter, type Router, RouterError, type Transport } from "../../src/index.js";
import { stubEndpoint } from "../helpers/stub-router.js";

/**
 * One malformed value per checked field, through every input path, each answered REQUEST_INVALID with
 * a problem at that field's path. The property suite (input.test.ts) proves "some REQUEST_INVALID"
 * for any malformed body; this table proves each check itself: without it, a later safety net (an
 * estimator that throws, caught at intake) still answers REQUEST_INVALID for most values, so a dropped
 * check would go unseen there, and a value the estimator swallows (`messages: "hello"`) would be sent.
 * The transport fails the test if anything reaches it.
 */

let calls = 0;
const transport: Transport = async () => {
  calls += 1;
  throw new Error("a malformed request reached the transport");
};
let router: Router;
const outcomes: Completion[] = [];
beforeAll(() => {
  router = createRouter(
    {
      endpoints: [stubEndpoint("a", { models: ["gpt-4o", "text-embedding-3-small"] })],
      fetch: () => Promise.reject(new Error("no HTTP in these tests")),
    },
    { transport },
  );
  router.completions$.subscribe((c) => outcomes.push(c));
});
afterAll(() => router.close());

const USER = [{ role: "user", content: "hi" }];
const chat = (fields: Record<string, unknown>) => ({ model: "gpt-4o", messages: USER, ...fields });

/** [the path that must be named, a chat body wrong there] */
const CHAT_CASES: readonly [string, Record<string, unknown>][] = [
  ["model", { messages: USER }],
  ["model", chat({ model: 5 })],
  ["messages", { model: "gpt-4o" }],
  ["messages", chat({ messages: "hello" })],
  ["messages", chat({ messages: 5 })],
  ["messages", chat({ messages: { 0: USER[0] } })],
  ["messages", chat({ messages: [] })],
  ["messages.0", chat({ messages: [5] })],
  ["messages.0.role", chat({ messages: [{ role: 5, content: "x" }] })],
  ["messages.0.content", chat({ messages: [{ role: "user", content: 5 }] })],
  ["messages.0.content.0.text", chat({ messages: [{ role: "user", content: [{ type: "text", text: 7 }] }] })],
  ["max_tokens", chat({ max_tokens: 1.5 })],
  ["max_completion_tokens", chat({ max_completion_tokens: -3 })],
  ["n", chat({ n: 0 })],
  ["temperature", chat({ temperature: "hot" })],
  ["temperature", chat({ temperature: Number.NaN })],
  ["stop", chat({ stop: 5 })],
  ["tools", chat({ tools: "search" })],
  ["response_format", chat({ response_format: 5 })],
  ["stream_options", chat({ stream_options: 5 })],
  ["metadata.n", chat({ metadata: { n: 10n } })],
];

/** [path, an embeddings body wrong there] */
const EMBEDDINGS_CASES: readonly [string, Record<string, unknown>][] = [
  ["input", { model: "text-embedding-3-small" }],
  ["input", { model: "text-embedding-3-small", input: 5 }],
  ["input", { model: "text-embedding-3-small", input: [] }],
  ["input.1", { model: "text-embedding-3-small", input: ["a", 1] }],
  ["model", { input: "a" }],
];

/** [path, a Responses body wrong there] */
const RESPONSES_CASES: readonly [string, Record<string, unknown>][] = [
  ["input", { model: "gpt-4o", input: 5 }],
  ["input.0", { model: "gpt-4o", input: [5] }],
  ["max_output_tokens", { model: "gpt-4o", input: "hi", max_output_tokens: 0 }],
  ["model", { input: "hi" }],
];

function expectProblemAt(error: unknown, path: string): void {
  expect(error).toBeInstanceOf(RouterError);
  expect((error as RouterError).code).toBe("REQUEST_INVALID");
  const problems = (error as { problems?: readonly string[] }).problems ?? [];
  expect(
    problems.some((p) => p.startsWith(`${path}:`)),
    `${path} not among ${JSON.stringify(problems)}`,
  ).toBe(true);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("resolved, expected REQUEST_INVALID");
    },
    (error: unknown) => error,
  );
}

describe.each(CHAT_CASES)("chat, wrong at %s", (path, body) => {
  it("chat.completions.create, plain and streamed, and router.stream()", async () => {
    const before = calls;
    expectProblemAt(await rejection(router.chat.completions.create(body as never)), path);
    expectProblemAt(
      await rejection(router.chat.completions.create({ ...body, stream: true } as never)),
      path,
    );
    expectProblemAt(await rejection(firstValueFrom(router.stream(body as never))), path);
    expect(calls).toBe(before);
  });

  it("router.requests.next and route(): one REQUEST_INVALID outcome each, nothing thrown", async () => {
    const before = outcomes.length;
    expect(() => router.requests.next({ id: `next-${path}`, kind: "chat", body } as never)).not.toThrow();
    const pushed = outcomes.slice(before);
    expect(pushed).toHaveLength(1);
    expectProblemAt(pushed[0]?.ok === false ? pushed[0].error : undefined, path);
    const routed = await lastValueFrom(
      from([{ id: `route-${path}`, kind: "chat" as const, body } as never]).pipe(router.route(), toArray()),
    );
    expect(routed).toHaveLength(1);
    expectProblemAt(routed[0]?.ok === false ? routed[0].error : undefined, path);
  });
});

describe.each(EMBEDDINGS_CASES)("embeddings, wrong at %s", (path, body) => {
  it("embeddings.create and requests.next", async () => {
    expectProblemAt(await rejection(router.embeddings.create(body as never)), path);
    const before = outcomes.length;
    router.requests.next({ id: `emb-${path}`, kind: "embeddings", body } as never);
    const pushed = outcomes.slice(before);
    expect(pushed).toHaveLength(1);
    expectProblemAt(pushed[0]?.ok === false ? pushed[0].error : undefined, path);
  });
});

describe.each(RESPONSES_CASES)("responses, wrong at %s", (path, body) => {
  it("responses.create, plain and streamed, and requests.next", async () => {
    expectProblemAt(await rejection(router.responses.create(body as never)), path);
    expectProblemAt(await rejection(router.responses.create({ ...body, stream: true } as never)), path);
    const before = outcomes.length;
    router.requests.next({ id: `resp-${path}`, kind: "responses", body } as never);
    const pushed = outcomes.slice(before);
    expect(pushed).toHaveLength(1);
    expectProblemAt(pushed[0]?.ok === false ? pushed[0].error : undefined, path);
  });
});

describe("router.fetch names the path too", () => {
  // Breaks if a body sent as JSON lost its check on the fetch path (a 200, or another 4xx).
  it.each(CHAT_CASES.filter(([, body]) => survivesJson(body)))(
    "chat, wrong at %s: 400 invalid_request naming it",
    async (path, body) => {
      const response = await router.fetch("http://router.invalid/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      const payload = (await response.json()) as { error: { code: string; message: string } };
      expect(payload.error.code).toBe("invalid_request");
      expect(payload.error.message).toContain(`${path}:`);
    },
  );
});

/** True when JSON carries `value` as it is (no bigint, no NaN): the fetch path then sees the same body. */
function survivesJson(value: unknown): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(JSON.stringify(value)), value);
  } catch {
    return false;
  }
}
