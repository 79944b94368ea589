import { systemClock } from "./clock.js";
import {
  DEFAULT_BEARER_PREFIX,
  type Faults,
  parseFaults,
  parseFleetOptions,
  type SimEndpointConfig,
  type StartFleetOptions,
} from "./options.js";
import { deriveSeed, mulberry32, randomBase62 } from "./prng.js";
import { SimServer } from "./server.js";
import { SimError } from "./sim-error.js";
import type { EndpointStats } from "./stats.js";
import { TokenCounter } from "./tokens.js";

interface SimEndpointCommon {
  readonly name: string;
  /** `http://127.0.0.1:PORT`, the server's root. */
  readonly url: string;
  readonly apiKey: string;
}

/**
 * An openai.com-style endpoint; pass `baseURL` and `apiKey` to `new OpenAI(…)`.
 *
 * @example
 * ```ts
 * const e = fleet.endpoint("oai");
 * if (e.type === "openai") new OpenAI({ baseURL: e.baseURL, apiKey: e.apiKey });
 * ```
 */
export interface SimOpenAIEndpoint extends SimEndpointCommon {
  readonly type: "openai";
  /** `${url}/v1`. */
  readonly baseURL: string;
  readonly models: readonly string[];
}

/**
 * An Azure OpenAI resource; pass `endpoint` and `apiKey` to `new AzureOpenAI(…)`.
 *
 * @example
 * ```ts
 * const e = fleet.endpoint("east");
 * if (e.type === "azure") new AzureOpenAI({ endpoint: e.endpoint, apiKey: e.apiKey, apiVersion: "2024-10-21" });
 * ```
 */
export interface SimAzureEndpoint extends SimEndpointCommon {
  readonly type: "azure";
  /** Same as `url`: the SDK appends `/openai`. */
  readonly endpoint: string;
  /** Model → deployment name. */
  readonly deployments: Readonly<Record<string, string>>;
}

/**
 * A running endpoint's address and credentials, discriminated by `type`.
 *
 * @example
 * ```ts
 * const e = fleet.endpoint("east");
 * const client = e.type === "azure"
 *   ? new AzureOpenAI({ endpoint: e.endpoint, apiKey: e.apiKey, apiVersion: "2024-10-21" })
 *   : new OpenAI({ baseURL: e.baseURL, apiKey: e.apiKey });
 * ```
 */
export type SimEndpoint = SimOpenAIEndpoint | SimAzureEndpoint;

/**
 * A running simulated fleet.
 *
 * @example
 * ```ts
 * fleet.setFaults("east", { rateLimitStormMs: 2_000 }); // every request 429s for 2 s
 * fleet.stats("east").byStatus[429];                     // how many were refused
 * await fleet.setFaults("east", { down: true });          // connections refused
 * await fleet.setFaults("east", {});                      // listening again on the same port
 * await fleet.close();
 * ```
 */
export interface Fleet {
  /** Every endpoint, in the order configured. */
  readonly endpoints: readonly SimEndpoint[];
  /**
   * The endpoint with this name.
   * @throws SimError `SIM_UNKNOWN_ENDPOINT`
   */
  endpoint(name: string): SimEndpoint;
  /**
   * A copy of the endpoint's counters.
   * @throws SimError `SIM_UNKNOWN_ENDPOINT`
   */
  stats(name: string): EndpointStats;
  /** Zeroes the counters of one endpoint, or of all when no name is given. */
  resetStats(name?: string): void;
  /**
   * Replaces the endpoint's faults (`{}` clears them). Every fault but `down` applies to the next
   * request as soon as this returns, so the promise need not be awaited. `down` closes the listener
   * (connections are refused, open ones reset) and clearing it listens again on the same port: that
   * takes a few event-loop turns, and the promise resolves once the listener is in the new state.
   * @example
   * ```ts
   * await fleet.setFaults("east", { down: true });
   * await fleet.setFaults("east", {}); // the same URL answers again from here on
   * ```
   * @throws SimError `SIM_UNKNOWN_ENDPOINT`, `SIM_CONFIG_INVALID`, `SIM_CLOSED` (thrown at once);
   * `SIM_LISTEN_FAILED` (the promise rejects) when the port cannot be bound again after `down`,
   * in which case the endpoint stays down until the next `setFaults`.
   */
  setFaults(name: string, faults: Faults): Promise<void>;
  /** Closes every server, destroys open sockets and clears every timer. Idempotent. */
  close(): Promise<void>;
}

/** A seeded key that looks like a real one, so logs that mask keys behave as they would in production. */
function generatedKey(seed: number, name: string): string {
  return `sk-sim-${randomBase62(mulberry32(deriveSeed(seed, name, "api-key")), 32)}`;
}

/** `undefined` means the default prefix; `null` turns Entra-style tokens off. */
function bearerPrefixOf(prefix: string | null | undefined): string | null {
  return prefix === undefined ? DEFAULT_BEARER_PREFIX : prefix;
}

function describe(config: SimEndpointConfig, url: string, apiKey: string): SimEndpoint {
  if (config.type === "openai") {
    return Object.freeze({
      name: config.name,
      type: "openai",
      url,
      apiKey,
      baseURL: `${url}/v1`,
      models: Object.freeze([...config.models]),
    });
  }
  return Object.freeze({
    name: config.name,
    type: "azure",
    url,
    apiKey,
    endpoint: url,
    deployments: Object.freeze({ ...config.deployments }),
  });
}

class RunningFleet implements Fleet {
  readonly endpoints: readonly SimEndpoint[];
  readonly #servers: ReadonlyMap<string, SimServer>;
  readonly #byName: ReadonlyMap<string, SimEndpoint>;
  #closed: Promise<void> | undefined;

  constructor(servers: ReadonlyMap<string, SimServer>, endpoints: readonly SimEndpoint[]) {
    this.#servers = servers;
    this.endpoints = Object.freeze([...endpoints]);
    this.#byName = new Map(endpoints.map((e) => [e.name, e]));
  }

  endpoint(name: string): SimEndpoint {
    const e = this.#byName.get(name);
    if (e === undefined) throw this.#unknown(name);
    return e;
  }

  stats(name: string): EndpointStats {
    return this.#server(name).stats.snapshot();
  }

  resetStats(name?: string): void {
    if (name === undefined) for (const s of this.#servers.values()) s.stats.reset();
    else this.#server(name).stats.reset();
  }

  setFaults(name: string, faults: Faults): Promise<void> {
    const server = this.#server(name);
    if (this.#closed !== undefined) throw new SimError("SIM_CLOSED", "The sim fleet is closed.");
    return server.setFaults(parseFaults(faults));
  }

  close(): Promise<void> {
    this.#closed ??= Promise.all([...this.#servers.values()].map((s) => s.close())).then(() => undefined);
    return this.#closed;
  }

  #server(name: string): SimServer {
    const s = this.#servers.get(name);
    if (s === undefined) throw this.#unknown(name);
    return s;
  }

  #unknown(name: string): SimError {
    const known = [...this.#servers.keys()].join(", ");
    return new SimError("SIM_UNKNOWN_ENDPOINT", `Unknown sim endpoint "${name}" (known: ${known}).`);
  }
}

/**
 * Starts a simulated fleet: one HTTP server per endpoint on loopback, each with its own key,
 * limits, latency and faults, and resolves once all are listening. Everything random follows `seed`.
 *
 * @example
 * ```ts
 * import OpenAI from "openai";
 * import { startFleet } from "openai-router/sim";
 *
 * const fleet = await startFleet({
 *   seed: 1,
 *   endpoints: [
 *     { name: "east", type: "azure", deployments: { "gpt-4o": "gpt4o-east" }, limits: { rpm: 600, tpm: 100_000 } },
 *     { name: "oai", type: "openai", models: ["gpt-4o"], latency: { ttftMs: 300, tokensPerSecond: 60 } },
 *   ],
 * });
 * const oai = fleet.endpoint("oai");
 * if (oai.type === "openai") {
 *   const client = new OpenAI({ apiKey: oai.apiKey, baseURL: oai.baseURL, maxRetries: 0 });
 *   await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
 * }
 * await fleet.close();
 * ```
 * @throws SimError `SIM_CONFIG_INVALID` (every problem with its path), `SIM_LISTEN_FAILED`
 */
export async function startFleet(options: StartFleetOptions): Promise<Fleet> {
  const { seed, host, endpoints, now = systemClock } = parseFleetOptions(options);
  const tokens = new TokenCounter();
  const servers = new Map<string, SimServer>();
  const keys = new Map<string, string>();
  for (const e of endpoints) {
    const apiKey = e.apiKey ?? generatedKey(seed, e.name);
    keys.set(e.name, apiKey);
    const catalog =
      e.type === "openai"
        ? new Map(e.models.map((m) => [m, m]))
        : new Map(Object.entries(e.deployments).map(([model, deployment]) => [deployment, model]));
    servers.set(
      e.name,
      new SimServer({
        name: e.name,
        flavor: e.type,
        seed,
        host,
        port: e.port ?? 0,
        apiKey,
        catalog,
        bearerPrefix: e.type === "azure" ? bearerPrefixOf(e.acceptBearerPrefix) : null,
        limits: e.limits ?? {},
        latency: e.latency,
        faults: e.faults ?? {},
        now,
        tokens,
      }),
    );
  }
  const results = await Promise.allSettled([...servers.values()].map((s) => s.listen()));
  const failed = results.findIndex((r) => r.status === "rejected");
  if (failed !== -1) {
    await Promise.all([...servers.values()].map((s) => s.close()));
    const reason = (results[failed] as PromiseRejectedResult).reason;
    const name = endpoints[failed]?.name ?? "?";
    throw new SimError("SIM_LISTEN_FAILED", `Sim endpoint "${name}" could not listen: ${String(reason)}`, {
      cause: reason,
    });
  }
  const described = endpoints.map((e) => describe(e, servers.get(e.name)!.url, keys.get(e.name)!));
  return new RunningFleet(servers, described);
}
