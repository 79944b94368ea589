import type { OwnershipStore } from "../limits/shared/ownership.js";
import { ExpiringMap } from "./expiring-map.js";

/** What the router remembers of a stored response (or conversation): where it lives and how big it is. */
export interface Owner {
  /** The endpoint that holds it: the only one that can continue, retrieve or delete it. */
  readonly endpoint: string;
  /** The model it was created with (follow-ups use the same). */
  readonly model: string;
  /**
   * Tokens of the stored conversation up to and including this response (its input + output): what a
   * follow-up adds to its own input, invisible in the follow-up's body.
   */
  readonly contextTokens: number;
}

/** Options of {@link Affinity}. */
export interface AffinityOptions {
  /** Prefer the endpoint that last served a request's cache key (prompt caching pays there). @default true */
  readonly soft: boolean;
  /** How long a cache key keeps its endpoint. @default 600_000 (the services keep a prefix 5–10 min) @unit milliseconds */
  readonly ttlMs: number;
  /** Cache keys remembered at most. @default 100_000 */
  readonly maxKeys: number;
  /** How long the owner of a stored response is remembered. @default 86_400_000 @unit milliseconds */
  readonly ownerTtlMs: number;
  /** Stored responses (and conversations) remembered at most. @default 100_000 */
  readonly maxOwners: number;
}

export const DEFAULT_AFFINITY: AffinityOptions = {
  soft: true,
  ttlMs: 600_000,
  maxKeys: 100_000,
  ownerTtlMs: 86_400_000,
  maxOwners: 100_000,
};

/**
 * Where requests should go because of what came before: hard affinity (a stored response or a
 * conversation lives on one endpoint: follow-ups must go there) and soft affinity (a cache key last
 * served by an endpoint whose prompt cache holds its prefix). Bounded and expiring; time comes from
 * the caller. The owner map is the part a shared store can share between processes.
 */
export class Affinity {
  private readonly owners: ExpiringMap<Owner>;
  private readonly keys: ExpiringMap<string> | undefined;
  private readonly ownerTtlMs: number;

  /**
   * @param shared where other router processes find the owners this one learns (Redis), if anywhere;
   *   it is written behind the local map (never awaited on the request's path) and read only for ids
   *   the local map does not know.
   */
  constructor(
    options: AffinityOptions = DEFAULT_AFFINITY,
    private readonly shared?: OwnershipStore,
  ) {
    this.owners = new ExpiringMap(options.maxOwners, options.ownerTtlMs);
    this.keys = options.soft ? new ExpiringMap(options.maxKeys, options.ttlMs) : undefined;
    this.ownerTtlMs = options.ownerTtlMs;
  }

  /** Whether owners are shared with other processes (then any id may be looked up there). */
  get sharesOwners(): boolean {
    return this.shared !== undefined;
  }

  /**
   * The owner endpoint another process recorded for `id`, if the shared store knows it (never throws:
   * a store that does not answer knows nothing).
   */
  async sharedOwner(id: string): Promise<string | undefined> {
    if (!this.shared) return undefined;
    try {
      return await this.shared.get(kindOf(id), id);
    } catch {
      return undefined;
    }
  }

  /** The owner of a response or conversation id, if known. */
  ownerOf(id: string, now: number): Owner | undefined {
    return this.owners.get(id, now);
  }

  own(id: string, owner: Owner, now: number): void {
    this.owners.set(id, owner, now);
    this.shared?.set(kindOf(id), id, owner.endpoint, this.ownerTtlMs).catch(() => undefined);
  }

  disown(id: string): void {
    this.owners.delete(id);
    this.shared?.delete(kindOf(id), id).catch(() => undefined);
  }

  /** The endpoint that last served this cache key, if soft affinity is on and it is fresh. */
  preferred(key: string | undefined, now: number): string | undefined {
    return key === undefined ? undefined : this.keys?.get(key, now);
  }

  served(key: string | undefined, endpoint: string, now: number): void {
    if (key !== undefined) this.keys?.set(key, endpoint, now);
  }

  get ownersKnown(): number {
    return this.owners.size;
  }
}

/**
 * The soft-affinity key of a request: an explicit per-call key, else `prompt_cache_key` (what the
 * services route their caches by), else the end user (`safety_identifier`, `user`).
 */
export function affinityKeyOf(
  body: Record<string, unknown>,
  explicit: string | undefined,
): string | undefined {
  if (explicit !== undefined) return explicit;
  for (const field of ["prompt_cache_key", "safety_identifier", "user"] as const) {
    const v = body[field];
    if (typeof v === "string" && v.length > 0) return `${field}:${v}`;
  }
  return undefined;
}

/** Conversations are their own namespace; responses and their items share one. */
function kindOf(id: string): "response" | "conversation" {
  return id.startsWith("conv_") ? "conversation" : "response";
}
