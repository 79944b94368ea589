import { describe, expect, it } from "vitest";
import { matchRoute } from "../../src/sim/routes.js";

describe("matchRoute", () => {
  it("maps openai.com paths", () => {
    expect(matchRoute("openai", "POST", "/v1/chat/completions")).toEqual({
      op: "chat",
      deployment: undefined,
      apiVersion: "",
    });
    expect(matchRoute("openai", "POST", "/v1/embeddings/")).toMatchObject({ op: "embeddings" });
    expect(matchRoute("openai", "GET", "/v1/models")).toEqual({ op: "list-models" });
    expect(matchRoute("openai", "GET", "/v1/models/gpt%2D4o")).toEqual({ op: "get-model", id: "gpt-4o" });
    expect(matchRoute("openai", "GET", "/v1/chat/completions")).toMatchObject({ status: 404 });
    expect(matchRoute("openai", "POST", "/openai/v1/chat/completions")).toMatchObject({ status: 404 });
  });

  it("maps Azure deployment paths and requires api-version there", () => {
    expect(
      matchRoute("azure", "POST", "/openai/deployments/gpt4o-east/chat/completions?api-version=2024-10-21"),
    ).toEqual({
      op: "chat",
      deployment: "gpt4o-east",
      apiVersion: "2024-10-21",
    });
    expect(matchRoute("azure", "POST", "/openai/deployments/emb/embeddings?x=1&api-version=v")).toMatchObject(
      {
        op: "embeddings",
        deployment: "emb",
      },
    );
    const missing = matchRoute("azure", "POST", "/openai/deployments/d/chat/completions");
    expect(missing).toMatchObject({ status: 404 });
    expect(JSON.parse((missing as { body: string }).body)).toEqual({
      error: { code: "404", message: "Resource not found" },
    });
    expect(matchRoute("azure", "POST", "/openai/deployments/d/chat/completions?api-version=")).toMatchObject({
      status: 404,
    });
  });

  it("maps the Azure v1 surface without api-version", () => {
    expect(matchRoute("azure", "POST", "/openai/v1/chat/completions")).toEqual({
      op: "chat",
      deployment: undefined,
      apiVersion: "v1",
    });
    expect(matchRoute("azure", "POST", "/openai/v1/embeddings?api-version=preview")).toMatchObject({
      apiVersion: "preview",
    });
    expect(matchRoute("azure", "GET", "/openai/v1/models")).toEqual({ op: "list-models" });
    expect(matchRoute("azure", "POST", "/v1/chat/completions")).toMatchObject({ status: 404 });
  });
});
