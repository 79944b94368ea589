import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { TokenBucket } from "../limits/token-bucket.js";
import type { ResolvedGatewayConfig } from "./config.js";
import { keyDigestHex } from "./config.js";
import { GatewayError } from "./errors.js";

/** One caller of the gateway as it runs: who it is, what it may use, what it has left. */
export interface ClientState {
  readonly name: string;
  /** Router queue priority of its requests (lower first). */
  readonly priority: number;
  /** Models it may use; `undefined` = all. */
  readonly models: ReadonlySet<string> | undefined;
  /** Requests in flight at once (`Infinity` when unlimited). */
  readonly concurrency: number;
  /** Requests in flight now (admitted to the router, not yet answered). */
  inflight: number;
  readonly rpm: TokenBucket | undefined;
  readonly tpm: TokenBucket | undefined;
  /** SHA-256 of its key; `undefined` for the anonymous client of an open gateway. */
  readonly digest: Buffer | undefined;
}

/** The name an open gateway (no clients configured) logs for its callers. */
export const ANONYMOUS = "anonymous";

/**
 * The configured clients: authentication by key digest (constant time), model permissions and
 * per-client RPM / TPM buckets (the project's continuously refilled `TokenBucket`). Keys are hashed
 * once at start and never kept, logged or put into a metric; only names leave this module.
 */
export class ClientRegistry {
  /** True when no client is configured: every caller is {@link ANONYMOUS}, unauthenticated. */
  readonly open: boolean;
  readonly clients: readonly ClientState[];
  private readonly anonymous: ClientState;
  private readonly now: () => number;

  constructor(configs: ResolvedGatewayConfig["clients"], now: () => number) {
    this.now = now;
    const at = now();
    this.clients = configs.map((c) => ({
      name: c.name,
      priority: c.priority,
      models: c.models ? new Set(c.models) : undefined,
      concurrency: c.limits?.concurrency ?? Number.POSITIVE_INFINITY,
      inflight: 0,
      rpm:
        c.limits?.rpm !== undefined
          ? new TokenBucket(Math.max(1, c.limits.rpm), c.limits.rpm, at)
          : undefined,
      tpm: c.limits?.tpm !== undefined ? new TokenBucket(c.limits.tpm, c.limits.tpm, at) : undefined,
      digest: Buffer.from(keyDigestHex(c), "hex"),
    }));
    this.open = this.clients.length === 0;
    this.anonymous = {
      name: ANONYMOUS,
      priority: 0,
      models: undefined,
      concurrency: Number.POSITIVE_INFINITY,
      inflight: 0,
      rpm: undefined,
      tpm: undefined,
      digest: undefined,
    };
  }

  /** Every client the gateway answers for: the configured ones, or the anonymous one of an open gateway. */
  get all(): readonly ClientState[] {
    return this.open ? [this.anonymous] : this.clients;
  }

  /**
   * The client presenting `authorization: Bearer <key>` (what OpenAI clients send) or `api-key: <key>`
   * (Azure clients). Every configured digest is compared, with no early exit, in constant time.
   * @throws GatewayError `UNAUTHORIZED` when no client has that key.
   */
  authenticate(headers: IncomingHttpHeaders): ClientState {
    if (this.open) return this.anonymous;
    const key = presentedKey(headers);
    if (key === undefined)
      throw new GatewayError(
        "UNAUTHORIZED",
        "No API key: send `Authorization: Bearer <key>` (or `api-key: <key>`) with a key this gateway knows.",
      );
    const digest = createHash("sha256").update(key, "utf8").digest();
    let found: ClientState | undefined;
    for (const client of this.clients) {
      // Every digest is compared (no early exit): the time taken does not say which client matched.
      if (client.digest && timingSafeEqual(client.digest, digest) && found === undefined) found = client;
    }
    if (!found) throw new GatewayError("UNAUTHORIZED", "Incorrect API key provided for this gateway.");
    return found;
  }

  /**
   * Charges one request of `tokens` to the client's own budgets, both or neither.
   * @throws GatewayError `CLIENT_RATE_LIMITED` with the wait until both budgets have room (the
   * `retry-after` sent), or `CLIENT_BUDGET_TOO_SMALL` when the request exceeds its TPM outright.
   */
  charge(client: ClientState, tokens: () => number): void {
    const { rpm, tpm } = client;
    if (!rpm && !tpm) return;
    const now = this.now();
    const needed = tpm ? tokens() : 0;
    if (tpm && needed > tpm.capacity)
      throw new GatewayError(
        "CLIENT_BUDGET_TOO_SMALL",
        `This request needs ~${needed} tokens (prompt + output cap) but client "${client.name}" may use ${tpm.capacity} per minute: lower max_tokens or the prompt.`,
      );
    let waitMs = 0;
    let which = "";
    if (rpm && rpm.available(now) + 1e-9 < 1) {
      waitMs = rpm.msUntil(1, now);
      which = `${rpm.perMinute} requests`;
    }
    if (tpm && tpm.available(now) + 1e-9 < needed) {
      const ms = tpm.msUntil(needed, now);
      if (ms > waitMs) {
        waitMs = ms;
        which = `${tpm.perMinute} tokens`;
      }
    }
    if (waitMs > 0)
      throw new GatewayError(
        "CLIENT_RATE_LIMITED",
        `Client "${client.name}" is over its own limit of ${which} per minute; retry after ${Math.ceil(waitMs / 1000)} s.`,
        { retryAfterMs: waitMs },
      );
    rpm?.tryTake(1, now);
    tpm?.tryTake(needed, now);
  }
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === "string") {
    const space = auth.indexOf(" ");
    if (space > 0 && auth.slice(0, space).toLowerCase() === "bearer") {
      const key = auth.slice(space + 1).trim();
      if (key.length > 0) return key;
    }
  }
  const apiKey = headers["api-key"];
  if (typeof apiKey === "string" && apiKey.length > 0) return apiKey;
  return undefined;
}
