import { type Flavor, type Operation, resourceNotFound, unknownUrl, type WireError } from "./errors.js";
import type { ResponseAction } from "./responses/api.js";

/** A request the endpoint understands. */
export type Route =
  | {
      readonly op: Operation;
      /** Azure deployments path: the deployment named by the URL; otherwise the body's `model` decides. */
      readonly deployment: string | undefined;
      /** Azure: the `api-version` query value, or "v1" on the v1 surface. */
      readonly apiVersion: string;
    }
  | { readonly op: "list-models" }
  | { readonly op: "get-model"; readonly id: string }
  | ResponseStateRoute;

/** `GET|DELETE /responses/{id}`, `POST /responses/{id}/cancel`, `GET /responses/{id}/input_items`. */
export interface ResponseStateRoute {
  readonly op: "response-state";
  readonly action: ResponseAction;
  readonly id: string;
  readonly query: URLSearchParams;
}

/** Matches a Responses state path below `/v1/responses/` (openai) or `/openai/v1/responses/` (Azure). */
function matchResponseState(method: string, rest: string, query: string): ResponseStateRoute | undefined {
  const parts = rest.split("/");
  const id = parts[0] === undefined ? undefined : decodeSegment(parts[0]);
  if (id === undefined || id === "" || parts.length > 2) return undefined;
  let action: ResponseAction | undefined;
  if (parts.length === 1) action = method === "GET" ? "retrieve" : method === "DELETE" ? "delete" : undefined;
  else if (parts[1] === "cancel" && method === "POST") action = "cancel";
  else if (parts[1] === "input_items" && method === "GET") action = "input-items";
  return action === undefined
    ? undefined
    : { op: "response-state", action, id, query: new URLSearchParams(query) };
}

const OPENAI_OPS: Readonly<Record<string, Operation>> = {
  "/v1/chat/completions": "chat",
  "/v1/embeddings": "embeddings",
  "/v1/responses": "responses",
};

const AZURE_V1_OPS: Readonly<Record<string, Operation>> = {
  "/openai/v1/chat/completions": "chat",
  "/openai/v1/embeddings": "embeddings",
  "/openai/v1/responses": "responses",
};

const AZURE_DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;

function stripTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** A malformed escape (`%zz`) is an unknown path, not a crash. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function apiVersionOf(query: string): string | undefined {
  if (query === "") return undefined;
  const v = new URLSearchParams(query).get("api-version");
  return v === null || v === "" ? undefined : v;
}

/** Maps method + URL to a route, or to the 404 the real service would give. */
export function matchRoute(flavor: Flavor, method: string, url: string): Route | WireError {
  const q = url.indexOf("?");
  const path = stripTrailingSlash(q === -1 ? url : url.slice(0, q));
  const query = q === -1 ? "" : url.slice(q + 1);

  if (flavor === "openai") {
    if (path.startsWith("/v1/responses/")) {
      const state = matchResponseState(method, path.slice(14), query);
      if (state !== undefined) return state;
    }
    if (method === "POST") {
      const op = OPENAI_OPS[path];
      if (op !== undefined) return { op, deployment: undefined, apiVersion: "" };
    } else if (method === "GET") {
      if (path === "/v1/models") return { op: "list-models" };
      if (path.startsWith("/v1/models/")) {
        const id = decodeSegment(path.slice(11));
        if (id !== undefined) return { op: "get-model", id };
      }
    }
    return unknownUrl(flavor, method, path);
  }

  if (path.startsWith("/openai/v1/responses/")) {
    const state = matchResponseState(method, path.slice(21), query);
    if (state !== undefined) return state;
  }
  if (method === "POST") {
    const v1 = AZURE_V1_OPS[path];
    if (v1 !== undefined) return { op: v1, deployment: undefined, apiVersion: apiVersionOf(query) ?? "v1" };
    const m = AZURE_DEPLOYMENT_PATH.exec(path);
    const deployment = m === null ? undefined : decodeSegment(m[1]!);
    if (m !== null && deployment !== undefined) {
      // Azure answers a missing api-version with a bare 404, not a 400 naming the parameter.
      const apiVersion = apiVersionOf(query);
      if (apiVersion === undefined) return resourceNotFound();
      return { op: m[2] === "embeddings" ? "embeddings" : "chat", deployment, apiVersion };
    }
  } else if (method === "GET") {
    if (path === "/openai/v1/models") return { op: "list-models" };
    // The classic surface (`AzureOpenAI#models.list()`) needs an api-version like every classic path.
    if (path === "/openai/models" && apiVersionOf(query) !== undefined) return { op: "list-models" };
  }
  return resourceNotFound();
}
