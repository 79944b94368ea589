import fc from "fast-check";
import type { RouterConfig } from "../../src/index.js";

/**
 * fast-check generators for what callers hand the router: request bodies (well-formed and malformed,
 * for chat and embeddings), whole reactive-API requests, and router configs. Malformed values are a
 * valid value with one (or more) mutations applied, so each one is wrong in a known way and otherwise
 * realistic; every mutation is one a caller (or a bug in a caller) can produce.
 */

export const CHAT_MODEL = "gpt-4o";
export const EMBEDDING_MODEL = "text-embedding-3-small";

type Json = Record<string, unknown>;
type Mutation = (body: Json) => unknown;

/** Values that are not JSON: what JSON.stringify throws on, drops, or turns into `null`. */
export const nonJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.bigInt(),
    fc.constant(Number.NaN),
    fc.constant(Number.POSITIVE_INFINITY),
    fc.constant(() => "a function"),
    fc.constant(Symbol("s")),
  );

/** Anything that is not a string (for fields that must be one). */
const notString = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
    fc.bigInt(),
  );

/** Anything that is not a positive safe integer (for token counts and `n`). */
const notPositiveInteger = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.integer({ max: 0 }),
    fc.double({ min: 0.01, max: 1e6, noInteger: true, noNaN: true }),
    fc.constant(Number.NaN),
    fc.constant(Number.POSITIVE_INFINITY),
    fc.constant(2 ** 60),
    fc.string().map((s) => `${s}7`),
    fc.boolean(),
    fc.object({ maxDepth: 1 }),
    fc.array(fc.integer({ min: 1 }), { minLength: 1, maxLength: 2 }),
  );

const text = () => fc.string({ maxLength: 40 });

const textPart = () => fc.record({ type: fc.constant("text"), text: text() });
const imagePart = () =>
  fc.record({
    type: fc.constant("image_url"),
    image_url: fc.record(
      { url: fc.webUrl(), detail: fc.constantFrom("low", "high", "auto") },
      { requiredKeys: ["url"] },
    ),
  });

const content = () =>
  fc.oneof(
    { weight: 3, arbitrary: text() },
    { weight: 1, arbitrary: fc.array(fc.oneof(textPart(), imagePart()), { minLength: 1, maxLength: 3 }) },
  );

const message = () =>
  fc.oneof(
    fc.record({ role: fc.constantFrom("system", "developer", "user"), content: content() }),
    fc.record({
      role: fc.constant("user"),
      content: content(),
      name: fc.string({ minLength: 1, maxLength: 8 }),
    }),
    fc.record({ role: fc.constant("assistant"), content: text() }),
    fc.record({
      role: fc.constant("assistant"),
      content: fc.constant(null),
      tool_calls: fc.array(
        fc.record({
          id: fc.string({ minLength: 1, maxLength: 8 }),
          type: fc.constant("function"),
          function: fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }), arguments: fc.json() }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
    fc.record({
      role: fc.constant("tool"),
      content: text(),
      tool_call_id: fc.string({ minLength: 1, maxLength: 8 }),
    }),
  );

const tool = () =>
  fc.record({
    type: fc.constant("function"),
    function: fc.record(
      {
        name: fc.string({ minLength: 1, maxLength: 12 }),
        description: text(),
        parameters: fc.constant({ type: "object", properties: { q: { type: "string" } } }),
      },
      { requiredKeys: ["name"] },
    ),
  });

/** A well-formed chat body for a served model. */
export const validChatBody = (): fc.Arbitrary<Json> =>
  fc.record(
    {
      model: fc.constant(CHAT_MODEL),
      messages: fc.array(message(), { minLength: 1, maxLength: 4 }),
      max_tokens: fc.integer({ min: 1, max: 512 }),
      max_completion_tokens: fc.integer({ min: 1, max: 512 }),
      n: fc.integer({ min: 1, max: 2 }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      stop: fc.oneof(text(), fc.array(text(), { maxLength: 2 })),
      user: text(),
      tools: fc.array(tool(), { minLength: 1, maxLength: 2 }),
      metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), text(), { maxKeys: 2 }),
    },
    { requiredKeys: ["model", "messages"] },
  );

/** Replaces one message (index taken modulo their count). */
const atMessage =
  (index: number, change: (m: Json) => unknown): Mutation =>
  (body) => {
    const messages = [...(body.messages as Json[])];
    const i = index % messages.length;
    messages[i] = change({ ...(messages[i] as Json) }) as Json;
    return { ...body, messages };
  };

/** An object whose `key` throws when read (a getter, or a Proxy's trap, gone wrong). */
const throwingGetter = (target: Json, key: string): Json => {
  const out = { ...target };
  Object.defineProperty(out, key, {
    enumerable: true,
    get() {
      throw new Error(`getter for ${key} exploded`);
    },
  });
  // fast-check prints a counterexample without reading the getter.
  Object.defineProperty(out, fc.toStringMethod, { value: () => `{ …, get ${key}() { throw } }` });
  return out;
};

const chatMutations = (): fc.Arbitrary<Mutation> =>
  fc.oneof(
    // the body itself
    fc
      .oneof(
        fc.constant(null),
        fc.constant(undefined),
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.array(fc.anything(), { maxLength: 2 }),
      )
      .map(
        (v): Mutation =>
          () =>
            v,
      ),
    // model
    fc.constant<Mutation>(({ model: _m, ...rest }) => rest),
    notString().map(
      (v): Mutation =>
        (b) => ({ ...b, model: v }),
    ),
    fc.constant<Mutation>((b) => ({ ...b, model: "" })),
    // messages
    fc.constant<Mutation>(({ messages: _m, ...rest }) => rest),
    fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object({ maxDepth: 1 })).map(
      (v): Mutation =>
        (b) => ({ ...b, messages: v }),
    ),
    fc.constant<Mutation>((b) => ({ ...b, messages: [] })),
    fc
      .tuple(
        fc.nat(),
        fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.array(fc.string(), { maxLength: 2 })),
      )
      .map(([i, v]): Mutation => atMessage(i, () => v)),
    fc.tuple(fc.nat(), notString()).map(([i, v]): Mutation => atMessage(i, (m) => ({ ...m, role: v }))),
    fc.nat().map((i): Mutation => atMessage(i, ({ role: _r, ...m }) => m)),
    fc
      .tuple(fc.nat(), fc.oneof(fc.integer(), fc.boolean(), fc.object({ maxDepth: 1 }), nonJson()))
      .map(([i, v]): Mutation => atMessage(i, (m) => ({ ...m, content: v }))),
    fc
      .tuple(
        fc.nat(),
        fc.oneof(
          fc.constant(null),
          fc.string(),
          fc.integer(),
          fc.constant({ type: 5 }),
          fc.constant({ type: "text", text: 5 }),
          fc.constant({ type: "text" }),
          fc.constant({ type: "image_url", image_url: "http://x" }),
          fc.constant({ type: "image_url", image_url: { url: 7 } }),
        ),
      )
      .map(
        ([i, part]): Mutation =>
          atMessage(i, (m) => ({ ...m, content: [{ type: "text", text: "ok" }, part] })),
      ),
    fc
      .tuple(
        fc.nat(),
        notString().filter((v) => v !== null),
      )
      .map(([i, v]): Mutation => atMessage(i, (m) => ({ ...m, name: v }))),
    fc
      .tuple(
        fc.nat(),
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.constant([null]),
          fc.constant([{ type: "function", function: { name: 5, arguments: "{}" } }]),
          fc.constant([{ type: "function", function: { name: "f", arguments: { a: 1 } } }]),
        ),
      )
      .map(([i, v]): Mutation => atMessage(i, () => ({ role: "assistant", content: null, tool_calls: v }))),
    // numbers the budgets are computed from
    notPositiveInteger().map(
      (v): Mutation =>
        (b) => ({ ...b, max_tokens: v }),
    ),
    notPositiveInteger().map(
      (v): Mutation =>
        (b) => ({ ...b, max_completion_tokens: v }),
    ),
    notPositiveInteger().map(
      (v): Mutation =>
        (b) => ({ ...b, n: v }),
    ),
    // other fields of a known type
    fc.oneof(fc.string(), fc.constant(Number.NaN), fc.object({ maxDepth: 1 })).map(
      (v): Mutation =>
        (b) => ({ ...b, temperature: v }),
    ),
    fc.oneof(fc.integer(), fc.constant([1, 2]), fc.object({ maxDepth: 1 })).map(
      (v): Mutation =>
        (b) => ({ ...b, stop: v }),
    ),
    fc
      .oneof(
        fc.integer(),
        fc.string(),
        fc.constant({ name: "f" }),
        fc.constant([null]),
        fc.constant([{ type: "function" }]),
        fc.constant([{ type: "function", function: { name: 3 } }]),
      )
      .map(
        (v): Mutation =>
          (b) => ({ ...b, tools: v }),
      ),
    fc
      .oneof(
        fc.string(),
        fc.integer(),
        fc.constant({ type: 1 }),
        fc.constant({ type: "json_schema" }),
        fc.constant({ type: "json_schema", json_schema: { name: 4 } }),
      )
      .map(
        (v): Mutation =>
          (b) => ({ ...b, response_format: v }),
      ),
    fc.oneof(fc.string(), fc.integer(), fc.constant({ include_usage: "yes" })).map(
      (v): Mutation =>
        (b) => ({ ...b, stream_options: v }),
    ),
    // what is not JSON, anywhere
    fc
      .tuple(
        fc
          .string({ minLength: 1, maxLength: 8 })
          .filter((k) => !["model", "messages", "__proto__"].includes(k)),
        nonJson(),
      )
      .map(
        ([key, v]): Mutation =>
          (b) => ({ ...b, [`x_${key}`]: v }),
      ),
    nonJson().map(
      (v): Mutation =>
        (b) => ({ ...b, metadata: { deep: { deeper: [v] } } }),
    ),
    fc.constant<Mutation>((b) => {
      const cycle: Json = { type: "object" };
      cycle.self = cycle;
      return { ...b, tools: [{ type: "function", function: { name: "f", parameters: cycle } }] };
    }),
    // fields that throw when read
    fc.constantFrom("model", "messages", "max_tokens", "stream", "tools").map(
      (key): Mutation =>
        (b) =>
          throwingGetter(b, key),
    ),
    fc.nat().map((i): Mutation => atMessage(i, (m) => throwingGetter(m, "content"))),
  );

/** A chat body that is malformed in one known way. */
export const malformedChatBody = (): fc.Arbitrary<unknown> =>
  fc.tuple(validChatBody(), chatMutations()).map(([body, mutate]) => mutate(body));

/** Token ids (what `input` may carry instead of text). */
const tokenIds = () => fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 6 });

/** A well-formed embeddings body, with the number of vectors the answer must have. */
export const validEmbeddingsBody = (): fc.Arbitrary<Json> =>
  fc.record(
    {
      model: fc.constant(EMBEDDING_MODEL),
      input: fc.oneof(
        text(),
        fc.array(text(), { minLength: 1, maxLength: 4 }),
        tokenIds(),
        fc.array(tokenIds(), { minLength: 1, maxLength: 3 }),
      ),
      dimensions: fc.integer({ min: 1, max: 3_072 }),
      encoding_format: fc.constantFrom("float", "base64"),
      user: text(),
    },
    { requiredKeys: ["model", "input"] },
  );

/** How many vectors an embeddings body asks for. */
export function inputCount(input: unknown): number {
  if (!Array.isArray(input)) return 1;
  return typeof input[0] === "number" ? 1 : input.length;
}

const embeddingMutations = (): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc
      .oneof(
        fc.constant(null),
        fc.constant(undefined),
        fc.string(),
        fc.integer(),
        fc.array(fc.anything(), { maxLength: 2 }),
      )
      .map(
        (v): Mutation =>
          () =>
            v,
      ),
    fc.constant<Mutation>(({ model: _m, ...rest }) => rest),
    notString().map(
      (v): Mutation =>
        (b) => ({ ...b, model: v }),
    ),
    fc.constant<Mutation>(({ input: _i, ...rest }) => rest),
    fc
      .oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant([]),
        fc.object({ maxDepth: 1 }),
        fc.constant(["a", 1]),
        fc.constant([[1, 2], "b"]),
        fc.constant([1.5, 2]),
        fc.constant([-1]),
        fc.constant([[]]),
        fc.constant([["a"]]),
        fc.constant([null]),
        nonJson(),
      )
      .map(
        (v): Mutation =>
          (b) => ({ ...b, input: v }),
      ),
    notPositiveInteger().map(
      (v): Mutation =>
        (b) => ({ ...b, dimensions: v }),
    ),
    fc.oneof(fc.constant("hex"), fc.integer()).map(
      (v): Mutation =>
        (b) => ({ ...b, encoding_format: v }),
    ),
    fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), nonJson()).map(
      ([key, v]): Mutation =>
        (b) => ({ ...b, [`x_${key}`]: v }),
    ),
    fc.constantFrom("model", "input").map(
      (key): Mutation =>
        (b) =>
          throwingGetter(b, key),
    ),
  );

/** An embeddings body that is malformed in one known way. */
export const malformedEmbeddingsBody = (): fc.Arbitrary<unknown> =>
  fc.tuple(validEmbeddingsBody(), embeddingMutations()).map(([body, mutate]) => mutate(body));

/** A request for `router.requests` / `route()`, tagged with whether it is well-formed. */
export interface TaggedRequest {
  readonly request: unknown;
  readonly valid: boolean;
}

let seq = 0;
const nextId = () => `prop-${++seq}`;

/** Well-formed reactive requests (chat or embeddings; optional priority and timeout). */
export const validRequest = (): fc.Arbitrary<TaggedRequest> =>
  fc
    .tuple(
      fc.oneof(
        validChatBody().map((body) => ({ kind: "chat", body })),
        validEmbeddingsBody().map((body) => ({ kind: "embeddings", body })),
      ),
      fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }),
      fc.option(fc.integer({ min: 1_000, max: 60_000 }), { nil: undefined }),
    )
    .map(([req, priority, timeoutMs]) => ({
      request: {
        id: nextId(),
        ...req,
        ...(priority === undefined ? {} : { priority }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      },
      valid: true,
    }));

/** Reactive requests that are malformed in one known way, the request itself or its body. */
export const malformedRequest = (): fc.Arbitrary<TaggedRequest> =>
  fc
    .oneof(
      // not a request at all
      fc.anything().filter((v) => typeof v !== "object" || v === null || Array.isArray(v)),
      // a request of a valid shape with one field wrong
      fc
        .tuple(
          validRequest(),
          fc.constantFrom(
            "id-missing",
            "id-number",
            "id-empty",
            "kind",
            "stream-kind",
            "priority",
            "timeout",
            "signal",
            "body-chat",
            "body-embeddings",
            "stream-true",
            "getter-id",
            "getter-kind",
            "getter-body",
          ),
        )
        .chain(([{ request }, what]) => {
          const r = request as Json;
          switch (what) {
            case "id-missing": {
              const { id: _id, ...rest } = r;
              return fc.constant<unknown>(rest);
            }
            case "id-number":
              return fc.constant<unknown>({ ...r, id: 42 });
            case "id-empty":
              return fc.constant<unknown>({ ...r, id: "" });
            case "kind":
              return fc
                .oneof(fc.string(), fc.constant(undefined), fc.integer())
                .filter((k) => k !== "chat" && k !== "embeddings")
                .map((kind) => ({ ...r, kind }));
            case "stream-kind":
              return fc.constant<unknown>({ ...r, kind: "stream" });
            case "priority":
              return fc
                .constantFrom<unknown>(Number.NaN, "high", Number.POSITIVE_INFINITY, {})
                .map((priority) => ({ ...r, priority }));
            case "timeout":
              return fc
                .constantFrom<unknown>(0, -1, Number.NaN, "10s", {})
                .map((timeoutMs) => ({ ...r, timeoutMs }));
            case "signal":
              return fc
                .constantFrom<unknown>({}, "abort", 1, { aborted: false })
                .map((signal) => ({ ...r, signal }));
            case "body-chat":
              return malformedChatBody().map((body) => ({ ...r, id: r.id, kind: "chat", body }));
            case "body-embeddings":
              return malformedEmbeddingsBody().map((body) => ({ ...r, id: r.id, kind: "embeddings", body }));
            case "stream-true":
              return validChatBody().map((body) => ({ ...r, kind: "chat", body: { ...body, stream: true } }));
            case "getter-id":
              return fc.constant<unknown>(throwingGetter(r, "id"));
            case "getter-kind":
              return fc.constant<unknown>(throwingGetter(r, "kind"));
            default:
              return fc.constant<unknown>(throwingGetter(r, "body"));
          }
        }),
    )
    .map((request) => ({ request, valid: false }));

/** A mix of well-formed and malformed requests. */
export const anyRequest = (): fc.Arbitrary<TaggedRequest> =>
  fc.oneof({ weight: 1, arbitrary: validRequest() }, { weight: 2, arbitrary: malformedRequest() });

const endpointName = () => fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);

/** A well-formed router config (no HTTP is ever made: the base URLs do not resolve). */
export const validConfig = (): fc.Arbitrary<RouterConfig> =>
  fc
    .tuple(
      fc.uniqueArray(endpointName(), { minLength: 1, maxLength: 4 }),
      fc.constantFrom("round-robin", "least-busy", "least-latency", "usage-based", "weighted", "priority"),
      fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 600_000 }), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
    )
    .map(([names, strategy, maxSize, timeoutMs, minRetryAfterMs]) => ({
      strategy,
      endpoints: names.map((name, i) =>
        i % 2 === 0
          ? {
              name,
              type: "openai" as const,
              apiKey: `sk-test-${name}-0000`,
              baseURL: `http://${name}.test.invalid/v1`,
              models: [CHAT_MODEL, EMBEDDING_MODEL],
              limits: { rpm: 600, tpm: 100_000, concurrency: 8 },
            }
          : {
              name,
              type: "azure" as const,
              endpoint: `https://${name}.test.invalid`,
              apiKey: `az-test-${name}-0000`,
              deployments: { [CHAT_MODEL]: `${name}-chat` },
              priority: i,
            },
      ),
      ...(maxSize === undefined ? {} : { queue: { maxSize } }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(minRetryAfterMs === undefined ? {} : { minRetryAfterMs }),
    }));

/** A router config that is malformed in one known way (or is not an object at all). */
export const malformedConfig = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.anything().filter((v) => typeof v !== "object" || v === null || Array.isArray(v)),
    fc
      .tuple(
        validConfig(),
        fc.constantFrom(
          "no-endpoints",
          "empty-endpoints",
          "bad-strategy",
          "bad-type",
          "no-key",
          "dup-name",
          "bad-url",
          "neg-timeout",
          "nan-rpm",
          "unknown-key",
          "bad-fallback",
          "getter",
          "endpoint-null",
          "bad-retry-floor",
        ),
      )
      .map(([config, what]) => {
        const c = config as Json;
        const endpoints = c.endpoints as Json[];
        const first = endpoints[0] as Json;
        switch (what) {
          case "no-endpoints": {
            const { endpoints: _e, ...rest } = c;
            return rest;
          }
          case "empty-endpoints":
            return { ...c, endpoints: [] };
          case "bad-strategy":
            return { ...c, strategy: "fastest" };
          case "bad-type":
            return { ...c, endpoints: [{ ...first, type: "anthropic" }, ...endpoints.slice(1)] };
          case "no-key": {
            const { apiKey: _k, ...rest } = first;
            return { ...c, endpoints: [rest, ...endpoints.slice(1)] };
          }
          case "dup-name":
            return { ...c, endpoints: [first, { ...first }] };
          case "bad-url":
            return {
              ...c,
              endpoints: [{ ...first, type: "openai", baseURL: "not a url", models: [CHAT_MODEL] }],
            };
          case "neg-timeout":
            return { ...c, timeoutMs: -1 };
          case "nan-rpm":
            return { ...c, endpoints: [{ ...first, limits: { rpm: Number.NaN } }, ...endpoints.slice(1)] };
          case "unknown-key":
            return { ...c, retires: { maxAttempts: 3 } };
          case "bad-fallback":
            return { ...c, fallbacks: { [CHAT_MODEL]: ["no-such-model"] } };
          case "getter":
            return throwingGetter(c, "endpoints");
          case "endpoint-null":
            return { ...c, endpoints: [null] };
          default:
            return { ...c, minRetryAfterMs: -5 };
        }
      }),
  );
