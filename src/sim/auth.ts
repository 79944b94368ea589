import type { IncomingHttpHeaders } from "node:http";
import type { Flavor } from "./errors.js";

export interface AuthConfig {
  readonly flavor: Flavor;
  readonly apiKey: string;
  /** Azure only: bearer tokens with this prefix pass as Entra ID tokens; null disables. */
  readonly bearerPrefix: string | null;
}

export type AuthResult = "ok" | "missing" | "invalid";

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  if (h === undefined || !/^bearer /i.test(h)) return undefined;
  return h.slice(7).trim();
}

/**
 * openai.com takes `Authorization: Bearer KEY`. Azure takes `api-key: KEY` (which wins when
 * present, as on the service) or a bearer token equal to the key or carrying the Entra prefix.
 */
export function checkAuth(config: AuthConfig, headers: IncomingHttpHeaders): AuthResult {
  if (config.flavor === "azure") {
    const key = single(headers["api-key"]);
    if (key !== undefined) return key === config.apiKey ? "ok" : "invalid";
  }
  const token = bearer(headers);
  if (token === undefined) return "missing";
  if (token === config.apiKey) return "ok";
  if (config.flavor === "azure" && config.bearerPrefix !== null && token.startsWith(config.bearerPrefix))
    return "ok";
  return "invalid";
}
