import { countTokens } from "gpt-tokenizer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { azureClient, openaiClient } from "./helpers.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    seed: 5,
    endpoints: [
      {
        name: "oai",
        type: "openai",
        models: ["text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"],
      },
      { name: "east", type: "azure", deployments: { "text-embedding-3-small": "emb-east" } },
    ],
  });
});
afterAll(() => fleet.close());

const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe("embeddings", () => {
  it("decodes the SDK's default base64 into the same unit vectors as float", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const b64 = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: ["alpha", "beta gamma"],
    });
    const flt = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: ["alpha", "beta gamma"],
      encoding_format: "float",
    });
    expect(b64).toMatchObject({ object: "list", model: "text-embedding-3-small" });
    expect(b64.data.map((d) => d.index)).toEqual([0, 1]);
    for (const i of [0, 1]) {
      const v = b64.data[i]!.embedding;
      expect(v).toHaveLength(1536);
      expect(norm(v)).toBeCloseTo(1, 5);
      expect(flt.data[i]!.embedding).toEqual(v);
    }
    expect(b64.data[0]!.embedding).not.toEqual(b64.data[1]!.embedding);
    const tokens = countTokens("alpha") + countTokens("beta gamma");
    expect(b64.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
  });

  it("sends base64 text when asked for base64 explicitly", async () => {
    const res = await openaiClient(fleet.endpoint("oai")).embeddings.create({
      model: "text-embedding-3-small",
      input: "x",
      encoding_format: "base64",
    });
    const raw = res.data[0]!.embedding as unknown as string;
    expect(typeof raw).toBe("string");
    expect(Buffer.from(raw, "base64").length).toBe(1536 * 4);
  });

  it("honours dimensions as a renormalised prefix of the full vector", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const full = (await client.embeddings.create({ model: "text-embedding-3-small", input: "prefix" }))
      .data[0]!.embedding;
    const short = (
      await client.embeddings.create({ model: "text-embedding-3-small", input: "prefix", dimensions: 256 })
    ).data[0]!.embedding;
    expect(short).toHaveLength(256);
    expect(norm(short)).toBeCloseTo(1, 5);
    const scale = norm(full.slice(0, 256));
    short.forEach((x, i) => {
      expect(x).toBeCloseTo(full[i]! / scale, 5);
    });
  });

  it("uses 3072 dimensions for -large and rejects dimensions on ada-002", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const large = await client.embeddings.create({ model: "text-embedding-3-large", input: "big" });
    expect(large.data[0]!.embedding).toHaveLength(3072);
    await expect(
      client.embeddings.create({ model: "text-embedding-ada-002", input: "x", dimensions: 8 }),
    ).rejects.toMatchObject({ status: 400, param: "dimensions" });
  });

  it("accepts token arrays (one and many) and counts them as prompt tokens", async () => {
    const client = openaiClient(fleet.endpoint("oai"));
    const one = await client.embeddings.create({ model: "text-embedding-3-small", input: [1, 2, 3, 4] });
    expect(one.data).toHaveLength(1);
    expect(one.usage.prompt_tokens).toBe(4);
    const many = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: [
        [1, 2],
        [3, 4, 5],
      ],
    });
    expect(many.data).toHaveLength(2);
    expect(many.usage.prompt_tokens).toBe(5);
  });

  it("is deterministic per seed and input, and the same on Azure", async () => {
    const a = await openaiClient(fleet.endpoint("oai")).embeddings.create({
      model: "text-embedding-3-small",
      input: "same",
    });
    const b = await azureClient(fleet.endpoint("east")).embeddings.create({
      model: "emb-east",
      input: "same",
    });
    expect(b.data[0]!.embedding).toEqual(a.data[0]!.embedding);
    expect(b.model).toBe("text-embedding-3-small");
  });
});
