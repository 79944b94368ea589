import { createServer } from "node:net";
import { APIConnectionError } from "openai";
import { describe, expect, it } from "vitest";
import { SimError, startFleet } from "../../src/sim/index.js";
import { asAzure, asOpenAI, openaiClient, rejection, user } from "./helpers.js";

const ENDPOINTS = [
  { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" } },
  { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"] },
] as const;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe("startFleet", () => {
  it("describes each endpoint: url, key, baseURL / endpoint, models / deployments", async () => {
    const fleet = await startFleet({ seed: 1, endpoints: ENDPOINTS });
    try {
      expect(fleet.endpoints.map((e) => e.name)).toEqual(["east", "oai"]);
      const east = asAzure(fleet.endpoint("east"));
      expect(east).toMatchObject({ type: "azure", deployments: { "gpt-4o": "gpt4o-east" } });
      expect(east.endpoint).toBe(east.url);
      const oai = asOpenAI(fleet.endpoint("oai"));
      expect(oai.models).toEqual(["gpt-4o", "text-embedding-3-small"]);
      expect(fleet.endpoint("oai")).toBe(fleet.endpoints[1]);
      expect(Object.isFrozen(oai)).toBe(true);
      expect(east.url).not.toBe(oai.url);
    } finally {
      await fleet.close();
    }
  });

  it("derives keys from the seed, and takes given keys and ports", async () => {
    const port = await freePort();
    const a = await startFleet({ seed: 1, endpoints: ENDPOINTS });
    const b = await startFleet({ seed: 1, endpoints: ENDPOINTS });
    const c = await startFleet({
      seed: 2,
      endpoints: [{ name: "oai", type: "openai", models: ["gpt-4o"], apiKey: "my-key", port }],
    });
    try {
      expect(a.endpoint("oai").apiKey).toBe(b.endpoint("oai").apiKey);
      expect(a.endpoint("oai").apiKey).not.toBe(a.endpoint("east").apiKey);
      expect(c.endpoint("oai")).toMatchObject({ apiKey: "my-key", url: `http://127.0.0.1:${port}` });
      await expect(
        openaiClient(c.endpoint("oai")).chat.completions.create({ model: "gpt-4o", messages: user("k") }),
      ).resolves.toBeTruthy();
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it("fails with SIM_LISTEN_FAILED when a port is taken, leaving nothing open", async () => {
    const a = await startFleet({ endpoints: [{ name: "oai", type: "openai", models: ["m"] }] });
    const port = Number(new URL(a.endpoint("oai").url).port);
    try {
      const e = await rejection(
        startFleet({
          endpoints: [
            { name: "ok", type: "openai", models: ["m"] },
            { name: "clash", type: "openai", models: ["m"], port },
          ],
        }),
      );
      expect(e).toBeInstanceOf(SimError);
      expect(e).toMatchObject({ code: "SIM_LISTEN_FAILED" });
      expect((e as Error).message).toContain('"clash"');
    } finally {
      await a.close();
    }
  });
});

describe("fleet API", () => {
  it("throws SIM_UNKNOWN_ENDPOINT for unknown names", async () => {
    const fleet = await startFleet({ endpoints: ENDPOINTS });
    try {
      for (const call of [() => fleet.endpoint("x"), () => fleet.stats("x"), () => fleet.resetStats("x")]) {
        expect(call).toThrow(SimError);
        expect(call).toThrow(/known: east, oai/);
      }
    } finally {
      await fleet.close();
    }
  });

  it("counts requests, statuses and tokens, and resets them", async () => {
    const fleet = await startFleet({ seed: 4, endpoints: ENDPOINTS });
    try {
      const client = openaiClient(fleet.endpoint("oai"));
      const r1 = await client.chat.completions.create({ model: "gpt-4o", messages: user("one") });
      const r2 = await client.chat.completions.create({
        model: "gpt-4o",
        messages: user("two"),
        stream: true,
      });
      for await (const _ of r2) {
        // drain
      }
      const emb = await client.embeddings.create({ model: "text-embedding-3-small", input: "three" });
      await rejection(client.chat.completions.create({ model: "nope", messages: user("x") }));
      const s = fleet.stats("oai");
      expect(s).toMatchObject({
        requests: 4,
        byStatus: { 200: 3, 404: 1 },
        inflight: 0,
        peakConcurrency: 1,
        dropped: 0,
      });
      expect(s.promptTokens).toBe(r1.usage!.prompt_tokens * 2 + emb.usage.prompt_tokens); // "one" and "two": 1 token each
      expect(s.completionTokens).toBeGreaterThanOrEqual(r1.usage!.completion_tokens + 8);
      expect(fleet.stats("east").requests).toBe(0);
      // A snapshot does not change afterwards.
      await client.chat.completions.create({ model: "gpt-4o", messages: user("four") });
      expect(s.requests).toBe(4);
      fleet.resetStats("oai");
      expect(fleet.stats("oai")).toEqual({
        requests: 0,
        byStatus: {},
        promptTokens: 0,
        completionTokens: 0,
        peakConcurrency: 0,
        inflight: 0,
        dropped: 0,
      });
      fleet.resetStats();
    } finally {
      await fleet.close();
    }
  });

  it("close() is idempotent, refuses further connections and setFaults", async () => {
    const fleet = await startFleet({ endpoints: ENDPOINTS });
    const client = openaiClient(fleet.endpoint("oai"));
    await client.chat.completions.create({ model: "gpt-4o", messages: user("x") });
    await Promise.all([fleet.close(), fleet.close()]);
    await fleet.close();
    expect(
      await rejection(client.chat.completions.create({ model: "gpt-4o", messages: user("x") })),
    ).toBeInstanceOf(APIConnectionError);
    expect(() => fleet.setFaults("oai", {})).toThrow(expect.objectContaining({ code: "SIM_CLOSED" }));
    expect(fleet.stats("oai").requests).toBe(1);
  });
});
