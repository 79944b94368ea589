import OpenAI, { AzureOpenAI } from "openai";
import type { SimAzureEndpoint, SimEndpoint, SimOpenAIEndpoint } from "../../src/sim/index.js";

export const API_VERSION = "2024-10-21";

export function asOpenAI(e: SimEndpoint): SimOpenAIEndpoint {
  if (e.type !== "openai") throw new Error(`${e.name} is not an openai endpoint`);
  return e;
}

export function asAzure(e: SimEndpoint): SimAzureEndpoint {
  if (e.type !== "azure") throw new Error(`${e.name} is not an azure endpoint`);
  return e;
}

export function openaiClient(e: SimEndpoint, options: { timeout?: number } = {}): OpenAI {
  const o = asOpenAI(e);
  return new OpenAI({ apiKey: o.apiKey, baseURL: o.baseURL, maxRetries: 0, ...options });
}

export function azureClient(e: SimEndpoint, options: { timeout?: number } = {}): AzureOpenAI {
  const a = asAzure(e);
  return new AzureOpenAI({
    endpoint: a.endpoint,
    apiKey: a.apiKey,
    apiVersion: API_VERSION,
    maxRetries: 0,
    ...options,
  });
}

export function user(content: string): { role: "user"; content: string }[] {
  return [{ role: "user", content }];
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Resolves the error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}
