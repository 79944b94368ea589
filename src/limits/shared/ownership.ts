import type { RedisPort } from "./redis-port.js";

/** What an owner is recorded for: a Responses API response id, or a conversation id. */
export type OwnershipKind = "response" | "conversation";

/**
 * Which endpoint owns a response or a conversation, for a while: a follow-up (`retrieve`, `cancel`,
 * `previous_response_id`, a conversation's next turn) must go to the endpoint that holds the state. A
 * shared implementation lets the follow-up arrive at any router replica. Times are this process's.
 */
export interface OwnershipStore {
  /** Records `owner` (an endpoint name) for `id`, for `ttlMs`. */
  set(kind: OwnershipKind, id: string, owner: string, ttlMs: number): Promise<void>;
  /** The owner of `id`, or undefined when none is known (never recorded, expired or deleted). */
  get(kind: OwnershipKind, id: string): Promise<string | undefined>;
  /** Forgets `id` (the response was deleted). */
  delete(kind: OwnershipKind, id: string): Promise<void>;
}

/**
 * Owners in this process's memory, bounded: the oldest entry goes first when `maxEntries` is reached.
 * @example
 * const owners = new InMemoryOwnershipStore({ now: () => Date.now() });
 */
export class InMemoryOwnershipStore implements OwnershipStore {
  private readonly entries = new Map<string, { owner: string; expiresAt: number }>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(options: { readonly now?: () => number; readonly maxEntries?: number } = {}) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  async set(kind: OwnershipKind, id: string, owner: string, ttlMs: number): Promise<void> {
    this.put(`${kind}:${id}`, owner, this.now() + ttlMs);
  }

  async get(kind: OwnershipKind, id: string): Promise<string | undefined> {
    return this.read(`${kind}:${id}`);
  }

  async delete(kind: OwnershipKind, id: string): Promise<void> {
    this.entries.delete(`${kind}:${id}`);
  }

  /** Synchronous read (the shared store's cache of its own writes). */
  read(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.owner;
  }

  /** Synchronous write. */
  put(key: string, owner: string, expiresAt: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { owner, expiresAt });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

/** Options of {@link RedisOwnershipStore}. */
export interface RedisOwnershipStoreOptions {
  readonly port: RedisPort;
  /** @default "openai-router" */
  readonly keyPrefix?: string;
  /** This process's clock, for the local cache. @default Date.now */
  readonly now?: () => number;
  /** Entries kept in the local cache. @default 100000 */
  readonly maxCachedEntries?: number;
}

/**
 * Owners in Redis (`SET … PX ttl`), so every replica finds them, with a local cache of what this
 * process wrote or read: a follow-up at the replica that created the response costs no round trip,
 * and while Redis is unreachable the owners this replica knows still answer. A write that fails is kept
 * locally and the error is thrown, so the caller can report it.
 * @example
 * const owners = new RedisOwnershipStore({ port, keyPrefix: "my-app" });
 * await owners.set("response", "resp_123", "east", 30 * 24 * 3_600_000);
 */
export class RedisOwnershipStore implements OwnershipStore {
  private readonly cache: InMemoryOwnershipStore;
  private readonly port: RedisPort;
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(options: RedisOwnershipStoreOptions) {
    this.port = options.port;
    this.prefix = options.keyPrefix ?? "openai-router";
    this.now = options.now ?? Date.now;
    this.cache = new InMemoryOwnershipStore({
      now: this.now,
      maxEntries: options.maxCachedEntries ?? 100_000,
    });
  }

  /** @throws SharedStoreError when Redis did not take it (the local cache has it anyway). */
  async set(kind: OwnershipKind, id: string, owner: string, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    this.cache.put(`${kind}:${id}`, owner, this.now() + ttl);
    await this.port.command(["SET", this.key(kind, id), owner, "PX", String(ttl)]);
  }

  /** Falls back to the local cache when Redis does not answer. */
  async get(kind: OwnershipKind, id: string): Promise<string | undefined> {
    const local = this.cache.read(`${kind}:${id}`);
    if (local !== undefined) return local;
    try {
      const [owner, ttl] = await Promise.all([
        this.port.command(["GET", this.key(kind, id)]),
        this.port.command(["PTTL", this.key(kind, id)]),
      ]);
      if (typeof owner !== "string") return undefined;
      const left = Number(ttl);
      if (left > 0) this.cache.put(`${kind}:${id}`, owner, this.now() + left);
      return owner;
    } catch {
      return undefined;
    }
  }

  /** @throws SharedStoreError when Redis did not take it (the local entry is gone anyway). */
  async delete(kind: OwnershipKind, id: string): Promise<void> {
    this.cache.forget(`${kind}:${id}`);
    await this.port.command(["DEL", this.key(kind, id)]);
  }

  private key(kind: OwnershipKind, id: string): string {
    return `${this.prefix}:owner:${kind}:{${id.replace(/[{}]/g, "_")}}`;
  }
}
