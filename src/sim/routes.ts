import { type Flavor, type Operation, resourceNotFound, unknownUrl, type WireError } from "./errors.js";

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
  | { readonly op: "get-model"; readonly id: string };

const OPENAI_OPS: Readonly<Record<string, Operation>> = {
  "/v1/chat/completions": "chat",
  "/v1/embeddings": "embeddings",
};

const AZURE_V1_OPS: Readonly<Record<string, Operation>> = {
  "/openai/v1/chat/completions": "chat",
  "/openai/v1/embeddings": "embeddings",
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
