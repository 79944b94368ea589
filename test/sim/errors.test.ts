import OpenAI, {
  APIConnectionError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "../../src/sim/index.js";
import { API_VERSION, asAzure, asOpenAI, azureClient, openaiClient, rejection, user } from "./helpers.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    seed: 9,
    endpoints: [
      { name: "oai", type: "openai", models: ["gpt-4o", "text-embedding-3-small"] },
      {
        name: "east",
        type: "azure",
        deployments: { "gpt-4o": "gpt4o-east", "text-embedding-3-small": "emb-east" },
      },
      { name: "broken", type: "openai", models: ["gpt-4o"] },
    ],
  });
});
afterAll(() => fleet.close());

async function post(url: string, headers: Record<string, string>, body: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as { error: Record<string, unknown> } };
}

describe("authentication", () => {
  it("401 invalid_api_key for a wrong key (openai.com), without echoing it", async () => {
    const oai = asOpenAI(fleet.endpoint("oai"));
    const client = new OpenAI({ apiKey: "sk-wrong-secret", baseURL: oai.baseURL, maxRetries: 0 });
    const e = await rejection(client.chat.completions.create({ model: "gpt-4o", messages: user("x") }));
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e).toMatchObject({ status: 401, code: "invalid_api_key" });
    expect(String((e as Error).message)).not.toContain("sk-wrong-secret");
  });

  it("401 when no key is sent", async () => {
    const oai = asOpenAI(fleet.endpoint("oai"));
    const { status, json } = await post(`${oai.baseURL}/chat/completions`, {}, "{}");
    expect(status).toBe(401);
    expect(json.error.type).toBe("invalid_request_error");
  });

  it("401 with Azure's body for a wrong api-key, and for an unknown bearer token", async () => {
    const east = asAzure(fleet.endpoint("east"));
    const { AzureOpenAI } = await import("openai");
    const wrong = new AzureOpenAI({
      endpoint: east.endpoint,
      apiKey: "nope",
      apiVersion: API_VERSION,
      maxRetries: 0,
    });
    const e = await rejection(wrong.chat.completions.create({ model: "gpt4o-east", messages: user("x") }));
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e).toMatchObject({ code: "401" });
    const bearer = new AzureOpenAI({
      endpoint: east.endpoint,
      azureADTokenProvider: async () => "not-entra",
      apiVersion: API_VERSION,
      maxRetries: 0,
    });
    expect(
      await rejection(bearer.chat.completions.create({ model: "gpt4o-east", messages: user("x") })),
    ).toBeInstanceOf(AuthenticationError);
  });
});

describe("not found", () => {
  it("404 model_not_found for an unknown model (openai.com)", async () => {
    const e = await rejection(
      openaiClient(fleet.endpoint("oai")).chat.completions.create({ model: "gpt-9", messages: user("x") }),
    );
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e).toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("404 DeploymentNotFound for an unknown deployment (Azure, both surfaces)", async () => {
    const e = await rejection(
      azureClient(fleet.endpoint("east")).chat.completions.create({ model: "nope", messages: user("x") }),
    );
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e).toMatchObject({ code: "DeploymentNotFound" });
    expect((e as Error).message).toContain("The API deployment for this resource does not exist.");
    const east = asAzure(fleet.endpoint("east"));
    const v1 = new OpenAI({ apiKey: east.apiKey, baseURL: `${east.endpoint}/openai/v1`, maxRetries: 0 });
    expect(await rejection(v1.embeddings.create({ model: "nope", input: "x" }))).toBeInstanceOf(
      NotFoundError,
    );
  });

  it("404 Resource not found without api-version on the deployments path (as Azure does)", async () => {
    const east = asAzure(fleet.endpoint("east"));
    const { status, json } = await post(
      `${east.endpoint}/openai/deployments/gpt4o-east/chat/completions`,
      { "api-key": east.apiKey },
      JSON.stringify({ messages: user("x") }),
    );
    expect(status).toBe(404);
    expect(json).toEqual({ error: { code: "404", message: "Resource not found" } });
  });

  it("404 for an unknown URL", async () => {
    const oai = asOpenAI(fleet.endpoint("oai"));
    const { status, json } = await post(
      `${oai.url}/v1/completions`,
      { authorization: `Bearer ${oai.apiKey}` },
      "{}",
    );
    expect(status).toBe(404);
    expect(json.error.message).toBe("Invalid URL (POST /v1/completions)");
  });

  it("404 (not a crash) for malformed escapes in the path", async () => {
    const oai = asOpenAI(fleet.endpoint("oai"));
    const res = await fetch(`${oai.baseURL}/models/%zz`, {
      headers: { authorization: `Bearer ${oai.apiKey}` },
    });
    expect(res.status).toBe(404);
    const east = asAzure(fleet.endpoint("east"));
    const { status } = await post(
      `${east.endpoint}/openai/deployments/%zz/chat/completions?api-version=${API_VERSION}`,
      { "api-key": east.apiKey },
      "{}",
    );
    expect(status).toBe(404);
  });
});

describe("bad requests", () => {
  it("400 invalid_request_error for a body that is not JSON", async () => {
    const oai = asOpenAI(fleet.endpoint("oai"));
    const { status, json } = await post(
      `${oai.baseURL}/chat/completions`,
      { authorization: `Bearer ${oai.apiKey}` },
      "{not json",
    );
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ type: "invalid_request_error", param: null });
  });

  it.each([
    ["messages", { model: "gpt-4o" }],
    ["model", { messages: user("x") }],
  ])("400 naming the missing chat parameter %s", async (param, body) => {
    const client = openaiClient(fleet.endpoint("oai"));
    const e = await rejection(client.post("/chat/completions", { body }));
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e).toMatchObject({
      status: 400,
      param,
      code: "missing_required_parameter",
      type: "invalid_request_error",
    });
  });

  it("400 naming the missing embeddings input", async () => {
    const e = await rejection(
      openaiClient(fleet.endpoint("oai")).post("/embeddings", { body: { model: "text-embedding-3-small" } }),
    );
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e).toMatchObject({ param: "input" });
  });

  it.each([
    [{ model: "gpt-4o", messages: [] }, "messages"],
    [{ model: "gpt-4o", messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
    [{ model: "gpt-4o", messages: user("x"), n: "2" }, "n"],
    [{ model: "gpt-4o", messages: user("x"), max_tokens: 0 }, "max_tokens"],
    [{ model: "gpt-4o", messages: user("x"), stream_options: { include_usage: true } }, "stream_options"],
  ])("400 for invalid chat body %j (param %s)", async (body, param) => {
    const e = await rejection(openaiClient(fleet.endpoint("oai")).post("/chat/completions", { body }));
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e).toMatchObject({ param });
  });

  it("refuses to chat with an embedding model and to embed with a chat model", async () => {
    const oai = openaiClient(fleet.endpoint("oai"));
    expect(
      await rejection(oai.chat.completions.create({ model: "text-embedding-3-small", messages: user("x") })),
    ).toBeInstanceOf(NotFoundError);
    expect(await rejection(oai.embeddings.create({ model: "gpt-4o", input: "x" }))).toBeInstanceOf(
      BadRequestError,
    );
    const e = await rejection(
      azureClient(fleet.endpoint("east")).embeddings.create({ model: "gpt4o-east", input: "x" }),
    );
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e).toMatchObject({ code: "OperationNotSupported" });
  });
});

describe("server-side failures", () => {
  it.each([500, 502, 503])("%d → InternalServerError with a proper body", async (status) => {
    fleet.setFaults("broken", { errorRate: 1, errorStatus: status });
    const e = await rejection(
      openaiClient(fleet.endpoint("broken")).chat.completions.create({
        model: "gpt-4o",
        messages: user("x"),
      }),
    );
    expect(e).toBeInstanceOf(InternalServerError);
    expect(e).toMatchObject({ status, type: "server_error" });
  });

  it("429 → RateLimitError carrying retry-after and retry-after-ms", async () => {
    fleet.setFaults("broken", { rateLimitStormMs: 5_000 });
    const e = await rejection(
      openaiClient(fleet.endpoint("broken")).chat.completions.create({
        model: "gpt-4o",
        messages: user("x"),
      }),
    );
    expect(e).toBeInstanceOf(RateLimitError);
    const headers = (e as RateLimitError).headers;
    expect(Number(headers.get("retry-after"))).toBe(5);
    expect(Number(headers.get("retry-after-ms"))).toBeGreaterThan(4_000);
    expect(e).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
  });

  it("a reset socket → APIConnectionError", async () => {
    fleet.setFaults("broken", { resetBeforeHeaders: 1 });
    const e = await rejection(
      openaiClient(fleet.endpoint("broken")).chat.completions.create({
        model: "gpt-4o",
        messages: user("x"),
      }),
    );
    expect(e).toBeInstanceOf(APIConnectionError);
    fleet.setFaults("broken", {});
  });
});
