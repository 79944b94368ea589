import type { Histogram } from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";
import type { RouterMetrics } from "../../../src/index.js";
import { closeAll, setup, workload, written } from "./rig.js";
import { points } from "./sdk.js";

/** GenAI and router metrics with the real SDK after a known workload against the sim (see rig.ts). */

afterEach(closeAll);

describe("metrics", () => {
  // Breaks if the v1.41 GenAI instruments were missing, had other units, did not count the workload's
  // requests, or lacked the histogram boundaries the conventions give.
  it("records GenAI duration, token usage and time to first chunk (v1.41 names by default)", async () => {
    const { router, fleet, sdk } = await setup();
    await workload(router, fleet);
    const m = await sdk.collect();
    const duration = m.get("gen_ai.client.operation.duration");
    expect(duration?.descriptor.unit).toBe("s");
    const chat = points<Histogram>(duration, { "gen_ai.operation.name": "chat" });
    expect(chat.reduce((n, p) => n + p.value.count, 0)).toBe(5);
    expect(points<Histogram>(duration, { "gen_ai.operation.name": "embeddings" })[0]?.value.count).toBe(1);
    const failed = points<Histogram>(duration, { "error.type": "NO_ENDPOINT_FOR_MODEL" });
    expect(failed.map((p) => p.value.count)).toEqual([1]);
    expect(chat[0]?.value.buckets.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);

    const usage = m.get("gen_ai.client.token.usage");
    expect(usage?.descriptor.unit).toBe("{token}");
    const input = points<Histogram>(usage, { "gen_ai.token.type": "input" });
    const output = points<Histogram>(usage, { "gen_ai.token.type": "output" });
    expect(input.reduce((n, p) => n + p.value.count, 0)).toBe(5); // 4 chats + 1 embeddings
    expect(output.reduce((n, p) => n + p.value.count, 0)).toBe(4);
    expect(input[0]?.value.buckets.boundaries.at(-1)).toBe(67108864);
    const snap = router.snapshot();
    const promptTotal = snap.endpoints.reduce((n, e) => n + e.promptTokens, 0);
    expect(input.reduce((n, p) => n + (p.value.sum ?? 0), 0)).toBe(promptTotal);

    const ttfc = m.get("gen_ai.client.operation.time_to_first_chunk");
    expect(ttfc?.descriptor.unit).toBe("s");
    expect(points<Histogram>(ttfc).map((p) => p.value.count)).toEqual([1]);
    expect(m.has("gen_ai.client.inference.duration")).toBe(false);
  });

  // Breaks if the router's own gauges did not read the live snapshot at collection time: east is
  // cooling after its 429 and has no budgets configured (no series), oai is healthy with budgets.
  it("observes queue, in-flight, cooldown, state, circuits, 429s, attempts and retries", async () => {
    const { router, fleet, sdk } = await setup();
    await workload(router, fleet);
    // The snapshot the collection read (budgets refill in real time, so compare with that one).
    const read: RouterMetrics[] = [];
    const snapshot = router.snapshot.bind(router);
    router.snapshot = () => {
      const s = snapshot();
      read.push(s);
      return s;
    };
    const m = await sdk.collect();
    expect(read).toHaveLength(1);
    const oai = read[0]?.endpoints.find((e) => e.name === "oai");
    expect(points(m.get("openai_router.queue.depth"))[0]?.value).toBe(0);
    expect(
      points(m.get("openai_router.endpoint.inflight"), { "openai_router.endpoint": "oai" })[0]?.value,
    ).toBe(0);
    const cooldown = points<number>(m.get("openai_router.endpoint.cooldown"), {
      "openai_router.endpoint": "east",
    });
    expect(cooldown[0]?.value).toBeGreaterThan(0);
    expect(m.get("openai_router.endpoint.cooldown")?.descriptor.unit).toBe("s");
    const states = points<number>(m.get("openai_router.endpoint.state"), {
      "openai_router.endpoint": "east",
    });
    expect(states.find((p) => p.value === 1)?.attributes["openai_router.endpoint.state"]).toBe("cooling");
    expect(states).toHaveLength(5);
    const circuits = points<number>(m.get("openai_router.endpoint.circuit"), {
      "openai_router.endpoint": "oai",
    });
    expect(circuits.map((p) => [p.attributes["openai_router.circuit.scope"], p.value])).toEqual(
      expect.arrayContaining([
        ["endpoint", 0],
        ["streams", 0],
      ]),
    );
    expect(
      points(m.get("openai_router.endpoint.rate_limited"), { "openai_router.endpoint": "east" })[0]?.value,
    ).toBe(fleet.stats("east").byStatus[429]);
    const attempts = points<number>(m.get("openai_router.endpoint.attempts"), {
      "openai_router.endpoint": "east",
    });
    expect(attempts.find((p) => p.attributes["openai_router.status"] === "503")?.value).toBe(1);
    const retries = points<number>(m.get("openai_router.retries"));
    expect(retries.find((p) => p.attributes["error.type"] === "503")?.value).toBe(1);
    expect(retries.find((p) => p.attributes["error.type"] === "429")?.value).toBeGreaterThanOrEqual(1);
    expect(retries.every((p) => p.attributes["openai_router.endpoint"] === "east")).toBe(true);
    const wait = points<Histogram>(m.get("openai_router.queue.wait"));
    expect(wait.reduce((n, p) => n + p.value.count, 0)).toBe(5);
    // Budgets: only oai has limits configured; unlimited budgets have no series.
    const tpm = points<number>(m.get("openai_router.endpoint.tpm.remaining"));
    expect(tpm.map((p) => p.attributes["openai_router.endpoint"])).toEqual(["oai"]);
    expect(tpm[0]?.value).toBe(oai?.tpm.remaining);
    expect(points<number>(m.get("openai_router.endpoint.rpm.remaining"))[0]?.value).toBe(oai?.rpm.remaining);
  });

  // Breaks if the opt-in did not switch to the renamed instruments (inference duration, per-kind token
  // counters, embeddings apart) or still emitted the v1.41 ones.
  it("emits the latest names under the gen_ai_latest_experimental opt-in", async () => {
    const { router, fleet, sdk } = await setup("latest");
    await workload(router, fleet);
    const m = await sdk.collect();
    expect(m.has("gen_ai.client.operation.duration")).toBe(false);
    expect(m.has("gen_ai.client.token.usage")).toBe(false);
    const inference = points<Histogram>(m.get("gen_ai.client.inference.duration"));
    expect(inference.reduce((n, p) => n + p.value.count, 0)).toBe(5);
    expect(points<Histogram>(m.get("gen_ai.client.embeddings.duration"))[0]?.value.count).toBe(1);
    expect(points<Histogram>(m.get("gen_ai.client.inference.time_to_first_chunk"))[0]?.value.count).toBe(1);
    const input = points<number>(m.get("gen_ai.client.inference.usage.input_tokens"));
    expect(m.get("gen_ai.client.inference.usage.input_tokens")?.descriptor.unit).toBe("{token}");
    expect(input.every((p) => p.attributes["gen_ai.token.modality"] === "unknown")).toBe(true);
    const chatPrompt = router.snapshot().endpoints.reduce((n, e) => n + e.promptTokens, 0);
    const embeddingsIn = points<Histogram>(m.get("gen_ai.client.embeddings.operation.input_tokens"));
    const embeddingsTokens = embeddingsIn.reduce((n, p) => n + (p.value.sum ?? 0), 0);
    expect(embeddingsTokens).toBeGreaterThan(0);
    expect(input.reduce((n, p) => n + p.value, 0)).toBe(chatPrompt - embeddingsTokens);
    expect(
      points<Histogram>(m.get("gen_ai.client.inference.operation.output_tokens")).length,
    ).toBeGreaterThan(0);
  });

  // Breaks if a Responses call were not an inference ("chat" with its usage tokens), or if reading a
  // stored response were reported as inference (it is fetch_response, without tokens, and under the
  // latest conventions on gen_ai.client.operation.duration, not the inference histogram).
  it("reports Responses create as chat and reading a stored response as fetch_response", async () => {
    const { router, sdk } = await setup("latest");
    const created = await router.responses.create({ model: "gpt-4o", input: "hello", max_output_tokens: 16 });
    await router.responses.retrieve(created.id);
    await written();
    const spans = sdk.finished().filter((s) => s.parentSpanContext === undefined);
    const create = spans.find((s) => s.name === "chat gpt-4o");
    expect(create?.attributes["gen_ai.usage.input_tokens"]).toBe(created.usage?.input_tokens);
    expect(create?.attributes["gen_ai.usage.output_tokens"]).toBe(created.usage?.output_tokens);
    const fetched = spans.find((s) => s.attributes["gen_ai.operation.name"] === "fetch_response");
    expect(fetched).toBeDefined();
    expect(fetched?.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    const m = await sdk.collect();
    expect(points<Histogram>(m.get("gen_ai.client.inference.duration"))[0]?.value.count).toBe(1);
    const other = points<Histogram>(m.get("gen_ai.client.operation.duration"), {
      "gen_ai.operation.name": "fetch_response",
    });
    expect(other[0]?.value.count).toBe(1);
    const input = points<number>(m.get("gen_ai.client.inference.usage.input_tokens"));
    expect(input.reduce((n, p) => n + p.value, 0)).toBe(created.usage?.input_tokens);
  });

  // Breaks if a key reached a metric attribute.
  it("never puts a key in a metric attribute", async () => {
    const { router, fleet, sdk } = await setup();
    await workload(router, fleet);
    const m = await sdk.collect();
    const text = JSON.stringify([...m.values()].map((x) => x.dataPoints.map((p) => p.attributes)));
    expect(text).toContain("east");
    for (const e of fleet.endpoints) expect(text).not.toContain(e.apiKey);
  });
});
