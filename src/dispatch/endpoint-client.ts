import { AzureOpenAI, OpenAI } from "openai";
import type { ResolvedConfig, ResolvedEndpoint } from "../config.js";

/**
 * The SDK clients a lane calls its endpoint with: `client` for chat and embeddings, `responsesClient`
 * for the Responses API (on Azure, the v1 API at `/openai/v1`, which has no api-version; elsewhere the
 * same client). Both `maxRetries: 0` (the router retries) and `logLevel: "off"`.
 */
export function createEndpointClients(
  endpoint: ResolvedEndpoint,
  config: ResolvedConfig,
  fetchImpl: typeof fetch,
  onToken: ((token: string) => void) | undefined,
): { readonly client: OpenAI; readonly responsesClient: OpenAI } {
  const client = createClient(endpoint, config, fetchImpl, onToken);
  const responsesClient =
    endpoint.type === "azure" ? createAzureV1Client(endpoint, config, fetchImpl, onToken) : client;
  return { client, responsesClient };
}

/** The same provider, telling `onToken` each token it returns. */
function watchTokens(
  provider: () => Promise<string>,
  onToken: ((token: string) => void) | undefined,
): () => Promise<string> {
  if (!onToken) return provider;
  return async () => {
    const token = await provider();
    onToken(token);
    return token;
  };
}

/**
 * An OpenAI client on Azure's v1 API (`/openai/v1/…`, no api-version): a key goes in `api-key`, an Entra
 * ID token as a bearer token.
 */
function createAzureV1Client(
  endpoint: Extract<ResolvedEndpoint, { type: "azure" }>,
  config: ResolvedConfig,
  fetchImpl: typeof fetch,
  onToken: ((token: string) => void) | undefined,
): OpenAI {
  const base = endpoint.endpoint.replace(/\/+$/, "");
  const provider = endpoint.azureADTokenProvider;
  return new OpenAI({
    maxRetries: 0,
    timeout: config.attemptTimeoutMs,
    // The SDK logs what it cannot parse (a hostile body, which may echo a key) to the console; the
    // router reports every failure as a typed error instead.
    logLevel: "off" as const,
    fetch: fetchImpl,
    baseURL: `${base}/openai/v1`,
    apiKey: provider ? watchTokens(provider, onToken) : (endpoint.apiKey ?? ""),
    defaultHeaders: { ...endpoint.headers, ...(provider ? {} : { "api-key": endpoint.apiKey ?? "" }) },
  });
}

function createClient(
  endpoint: ResolvedEndpoint,
  config: ResolvedConfig,
  fetchImpl: typeof fetch,
  onToken: ((token: string) => void) | undefined,
): OpenAI {
  const shared = {
    maxRetries: 0,
    timeout: config.attemptTimeoutMs,
    // The SDK logs what it cannot parse (a hostile body, which may echo a key) to the console; the
    // router reports every failure as a typed error instead.
    logLevel: "off" as const,
    fetch: fetchImpl,
    ...(endpoint.headers ? { defaultHeaders: endpoint.headers } : {}),
  };
  if (endpoint.type === "azure") {
    return new AzureOpenAI({
      ...shared,
      endpoint: endpoint.endpoint,
      apiVersion: endpoint.apiVersion,
      ...(endpoint.azureADTokenProvider
        ? { azureADTokenProvider: watchTokens(endpoint.azureADTokenProvider, onToken) }
        : { apiKey: endpoint.apiKey ?? "" }),
    });
  }
  return new OpenAI({
    ...shared,
    apiKey: endpoint.apiKey,
    ...(endpoint.baseURL ? { baseURL: endpoint.baseURL } : {}),
    ...(endpoint.organization ? { organization: endpoint.organization } : {}),
    ...(endpoint.project ? { project: endpoint.project } : {}),
  });
}
