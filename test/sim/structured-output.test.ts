import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { azureClient, openaiClient, user } from "./helpers.js";

const ajv = new Ajv2020({ strict: false });

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({
    seed: 5,
    endpoints: [
      { name: "oai", type: "openai", models: ["gpt-4o"] },
      { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
    ],
  });
});
afterAll(() => fleet.close());

const schema = {
  type: "object",
  properties: {
    title: { type: "string" },
    rating: { type: "integer", minimum: 1, maximum: 5 },
    price: { type: "number" },
    tags: { type: "array", items: { type: "string", enum: ["new", "used", "sale"] } },
    seller: {
      type: "object",
      properties: {
        name: { type: "string" },
        verified: { type: "boolean" },
        note: { anyOf: [{ type: "string" }, { type: "null" }] },
      },
      required: ["name", "verified", "note"],
      additionalProperties: false,
    },
  },
  required: ["title", "rating", "price", "tags", "seller"],
  additionalProperties: false,
} as const;

describe("structured output", () => {
  // Breaks if json_schema replies are words, or JSON that does not satisfy the schema.
  it.each(["oai", "east"])(
    "json_schema (strict) content is JSON valid against the schema (%s)",
    async (name) => {
      const client = name === "oai" ? openaiClient(fleet.endpoint(name)) : azureClient(fleet.endpoint(name));
      const validate = ajv.compile(schema);
      for (let i = 0; i < 10; i++) {
        const r = await client.chat.completions.create({
          model: name === "oai" ? "gpt-4o" : "gpt4o-east",
          messages: user(`describe item ${i}`),
          response_format: { type: "json_schema", json_schema: { name: "item", schema, strict: true } },
        });
        const value: unknown = JSON.parse(r.choices[0]!.message.content!);
        expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
        expect(r.choices[0]!.finish_reason).toBe("stop");
      }
    },
  );

  // Breaks if a streamed json_schema reply does not assemble into the same valid JSON.
  it("streams the same JSON in fragments", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const body = {
      model: "gpt-4o",
      messages: user("describe item 1"),
      response_format: { type: "json_schema" as const, json_schema: { name: "item", schema, strict: true } },
    };
    const plain = await client.chat.completions.create(body);
    let text = "";
    let chunks = 0;
    for await (const c of await client.chat.completions.create({ ...body, stream: true })) {
      const piece = c.choices[0]?.delta.content;
      if (piece) {
        text += piece;
        chunks++;
      }
    }
    expect(text).toBe(plain.choices[0]!.message.content);
    expect(chunks).toBeGreaterThan(5);
  });

  // Breaks if json_object mode returns non-JSON or a non-object.
  it("json_object content parses to an object", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    for (let i = 0; i < 10; i++) {
      const r = await client.chat.completions.create({
        model: "gpt-4o",
        messages: user(`Answer in JSON, please (${i})`),
        response_format: { type: "json_object" },
      });
      const value: unknown = JSON.parse(r.choices[0]!.message.content!);
      expect(typeof value).toBe("object");
      expect(Array.isArray(value)).toBe(false);
    }
  });

  // Breaks if the SDK's parse helper (zod-free: it JSON.parses strict json_schema replies) fails on the content.
  it("client.chat.completions.parse gives the parsed object", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const r = await client.chat.completions.parse({
      model: "gpt-4o",
      messages: user("describe item 2"),
      response_format: { type: "json_schema", json_schema: { name: "item", schema, strict: true } },
    });
    expect(ajv.compile(schema)(r.choices[0]!.message.parsed)).toBe(true);
  });
});

describe("stop sequences", () => {
  // Breaks if `stop` is ignored, cuts after the sequence, or keeps the sequence in the content.
  it("end the reply before the first stop sequence with finish_reason stop", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const full = await client.chat.completions.create({ model: "gpt-4o", messages: user("tell a story") });
    const text = full.choices[0]!.message.content!;
    const words = text.split(" ");
    const stopAt = ` ${words[3]!}`;
    const cut = text.slice(0, text.indexOf(stopAt));
    for (const stop of [stopAt, [" nothing-like-this", stopAt]]) {
      const r = await client.chat.completions.create({
        model: "gpt-4o",
        messages: user("tell a story"),
        stop,
      });
      expect(r.choices[0]!.message.content).toBe(cut);
      expect(r.choices[0]!.finish_reason).toBe("stop");
      expect(r.usage!.completion_tokens).toBeLessThan(full.usage!.completion_tokens);
    }
    let streamed = "";
    let finish: string | null = null;
    for await (const c of await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("tell a story"),
      stop: stopAt,
      stream: true,
    })) {
      streamed += c.choices[0]?.delta.content ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(streamed).toBe(cut);
    expect(finish).toBe("stop");
  });

  // Breaks if a stop sequence inside a token is not honoured mid-token.
  it("cuts inside a token when the sequence starts there", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const text = (await client.chat.completions.create({ model: "gpt-4o", messages: user("mid token") }))
      .choices[0]!.message.content!;
    const at = text.indexOf(" ", 5) + 3; // two letters into a word
    const r = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("mid token"),
      stop: text.slice(at, at + 2),
    });
    expect(text.startsWith(r.choices[0]!.message.content!)).toBe(true);
    expect(r.choices[0]!.message.content!.length).toBeLessThanOrEqual(at);
  });
});

describe("logprobs", () => {
  // Breaks if logprobs are missing, positive, not per token, or top_logprobs has the wrong length.
  it("one entry per token with bytes, logprob <= 0 and top_logprobs of the requested length", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const r = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("lp"),
      logprobs: true,
      top_logprobs: 3,
    });
    const content = r.choices[0]!.logprobs!.content!;
    expect(content.length).toBe(r.usage!.completion_tokens);
    expect(content.map((e) => e.token).join("")).toBe(r.choices[0]!.message.content);
    for (const e of content) {
      expect(e.logprob).toBeLessThanOrEqual(0);
      expect(Buffer.from(e.bytes!).toString("utf8")).toBe(e.token);
      expect(e.top_logprobs).toHaveLength(3);
      const lps = e.top_logprobs.map((t) => t.logprob);
      expect([...lps].sort((a, b) => b - a)).toEqual(lps);
      expect(lps.reduce((sum, lp) => sum + Math.exp(lp), 0)).toBeLessThanOrEqual(1 + 1e-6);
      expect(e.top_logprobs.map((t) => t.token)).toContain(e.token);
    }
    const plain = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("lp"),
      logprobs: true,
    });
    expect(plain.choices[0]!.logprobs!.content![0]!.top_logprobs).toEqual([]);
    const off = await client.chat.completions.create({ model: "gpt-4o", messages: user("lp") });
    expect(off.choices[0]!.logprobs).toBeNull();
  });

  // Breaks if streamed chunks lack their token's logprobs.
  it("streams each token's entry in its chunk", async () => {
    const client = azureClient(fleet.endpoint("east"));
    let entries = 0;
    let tokens = 0;
    for await (const c of await client.chat.completions.create({
      model: "gpt4o-east",
      messages: user("lp"),
      logprobs: true,
      top_logprobs: 2,
      stream: true,
    })) {
      const choice = c.choices[0];
      if (!choice?.delta.content) continue;
      tokens++;
      const [entry] = choice.logprobs!.content!;
      expect(entry!.token).toBe(choice.delta.content);
      expect(entry!.top_logprobs).toHaveLength(2);
      entries++;
    }
    expect(tokens).toBeGreaterThan(0);
    expect(entries).toBe(tokens);
  });
});
