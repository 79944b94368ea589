/**
 * Azure OpenAI with Microsoft Entra ID instead of keys: `azureADTokenProvider` takes the function that
 * `getBearerTokenProvider` from @azure/identity returns. In production the credential is
 * `new DefaultAzureCredential()`; this example uses a local credential so it runs on the simulated
 * fleet (which accepts bearer tokens starting with "sim-entra-"):  npx tsx examples/azure-entra-id.ts
 */
import { type AccessToken, getBearerTokenProvider, type TokenCredential } from "@azure/identity";
import { createRouter } from "openai-router";
import { startFleet } from "openai-router/sim";

/** Stands in for DefaultAzureCredential: issues a short-lived token for the requested scope. */
class LocalCredential implements TokenCredential {
  issued = 0;
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.issued += 1;
    const scope = Array.isArray(scopes) ? scopes.join(" ") : scopes;
    return { token: `sim-entra-${this.issued}-${scope.length}`, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

const fleet = await startFleet({
  seed: 3,
  endpoints: [
    { name: "sweden", type: "azure", deployments: { "gpt-4o": "gpt4o-swc" } },
    { name: "france", type: "azure", deployments: { "gpt-4o": "gpt4o-frc" } },
  ],
});

const credential = new LocalCredential();
const azureADTokenProvider = getBearerTokenProvider(
  credential,
  "https://cognitiveservices.azure.com/.default",
);

const router = createRouter({
  strategy: "round-robin",
  endpoints: fleet.endpoints.map((e) => ({
    name: e.name,
    type: "azure" as const,
    endpoint: e.url,
    azureADTokenProvider,
    apiVersion: "2024-10-21",
    deployments: e.type === "azure" ? { ...e.deployments } : {},
  })),
});

for (let i = 0; i < 4; i++) {
  const res = await router.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user", content: `Entra request ${i}` }],
    max_tokens: 8,
  });
  console.log(`request ${i}:`, res.choices[0]?.message.content);
}
console.log("tokens issued by the credential:", credential.issued, "(cached by getBearerTokenProvider)");
console.log(
  "requests per endpoint:",
  fleet.endpoints.map((e) => `${e.name}=${fleet.stats(e.name).requests}`).join(" "),
);

await router.close();
await fleet.close();
