import type { WireError } from "../errors.js";

/**
 * The Azure OpenAI data-plane inference API versions that exist: the folders of
 * Azure/azure-rest-api-specs `specification/cognitiveservices/data-plane/AzureOpenAI/inference/`
 * (`stable/` and `preview/`), as listed on learn.microsoft.com "Azure OpenAI API version
 * lifecycle". The classic `/openai/deployments/…` surface requires one of them.
 */
export const AZURE_API_VERSIONS: ReadonlySet<string> = new Set([
  "2022-12-01",
  "2023-05-15",
  "2024-02-01",
  "2024-06-01",
  "2024-10-21",
  "2022-03-01-preview",
  "2022-06-01-preview",
  "2023-03-15-preview",
  "2023-06-01-preview",
  "2023-07-01-preview",
  "2023-08-01-preview",
  "2023-09-01-preview",
  "2023-10-01-preview",
  "2023-12-01-preview",
  "2024-02-15-preview",
  "2024-03-01-preview",
  "2024-04-01-preview",
  "2024-05-01-preview",
  "2024-07-01-preview",
  "2024-08-01-preview",
  "2024-09-01-preview",
  "2024-10-01-preview",
  "2024-12-01-preview",
  "2025-01-01-preview",
  "2025-02-01-preview",
  "2025-03-01-preview",
  "2025-04-01-preview",
]);

/**
 * The v1 surface (`/openai/v1/…`) takes no api-version, or `v1` / `preview` / `latest`. The sim also
 * lets a dated version through there (clients built for the classic surface send one); only names
 * that exist nowhere are refused.
 */
export const AZURE_V1_API_VERSIONS: ReadonlySet<string> = new Set(["v1", "preview", "latest"]);

/**
 * What Azure answers for an api-version it does not know: 400
 * `{"error":{"code":"BadRequest","message":"API version not supported"}}` (quoted in public bug
 * reports, e.g. hotovo/aider-desk#460).
 */
export function apiVersionNotSupported(): WireError {
  return {
    status: 400,
    body: JSON.stringify({ error: { code: "BadRequest", message: "API version not supported" } }),
  };
}

/** Undefined when `apiVersion` exists for that surface; the 400 otherwise. */
export function checkAzureApiVersion(apiVersion: string, v1: boolean): WireError | undefined {
  const known = AZURE_API_VERSIONS.has(apiVersion) || (v1 && AZURE_V1_API_VERSIONS.has(apiVersion));
  return known ? undefined : apiVersionNotSupported();
}
