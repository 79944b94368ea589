import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import type { EmbeddingCreateParams } from "openai/resources/embeddings";
import { createTokenEstimator, type TokenEstimator } from "../limits/token-estimate.js";
import type { ClientRegistry, ClientState } from "./clients.js";
import { GatewayError } from "./errors.js";
import { approximateCost, responseNotFound } from "./request-facts.js";
import type { ResponseOwners } from "./response-owners.js";

/**
 * What an authenticated client may do: which models it may use, whose stored responses it may read or
 * continue, and what a request costs against its token budget. Each check returns the refusal (or
 * throws the budget's), so the gateway answers it as any other.
 */
export class ClientPolicy {
  private readonly estimator: TokenEstimator;

  constructor(
    private readonly registry: ClientRegistry,
    private readonly owners: ResponseOwners,
    private readonly defaultOutputTokens: number,
  ) {
    this.estimator = createTokenEstimator({ defaultOutputTokens });
  }

  /** A refusal when the client may not use `model` (no model named: nothing to refuse). */
  model(client: ClientState, model: string | undefined): GatewayError | undefined {
    if (client.models === undefined || model === undefined || client.models.has(model)) return undefined;
    return new GatewayError(
      "MODEL_NOT_ALLOWED",
      `Client "${client.name}" may not use the model \`${model}\`.`,
    );
  }

  /** Another client's stored response is refused as the service refuses an unknown id. */
  response(client: ClientState, id: string | undefined): GatewayError | undefined {
    if (id === undefined || this.registry.open || this.owners.allows(id, client.name)) return undefined;
    return responseNotFound(id);
  }

  /** Charges the request to the client's budgets; throws the client's 429 when they are spent. */
  charge(client: ClientState, path: string, body: unknown, text: string): void {
    this.registry.charge(client, () => this.tokensOf(path, body, text));
  }

  private tokensOf(path: string, body: unknown, text: string): number {
    try {
      if (path.endsWith("/chat/completions"))
        return this.estimator.estimateChatTokens(body as ChatCompletionCreateParams);
      if (path.endsWith("/embeddings"))
        return this.estimator.estimateEmbeddingTokens(body as EmbeddingCreateParams);
    } catch {
      // A malformed body: the router refuses it with its own message; charge by size meanwhile.
    }
    return approximateCost(body, text.length, this.defaultOutputTokens, path);
  }
}
