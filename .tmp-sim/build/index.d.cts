/** Milliseconds since some fixed origin; `Date.now` in production, a counter in tests. */
type Clock = () => number;

/**
 * Injected misbehaviour of one endpoint. Every field is optional; `{}` means healthy.
 * Draws (`errorRate`, `resetBeforeHeaders`) come from a PRNG reseeded from (seed, endpoint name) on
 * every `setFaults`, so the same faults over the same requests fail the same requests.
 */
interface Faults {
    /** Share of requests (0..1) answered with `errorStatus`. 1 fails every request. */
    readonly errorRate?: number | undefined;
    /**
     * Status used by `errorRate` (400–599).
     * @default 500
     */
    readonly errorStatus?: number | undefined;
    /**
     * Every request in the next N ms (from the `setFaults` call) gets 429 with `retry-after-ms`
     * equal to the remaining storm time.
     * @unit milliseconds
     */
    readonly rateLimitStormMs?: number | undefined;
    /** Every request gets 429 `insufficient_quota` (billing), without retry-after. */
    readonly insufficientQuota?: boolean | undefined;
    /** Share of requests (0..1) whose socket is reset before any header is written. */
    readonly resetBeforeHeaders?: number | undefined;
    /** Streamed responses are cut (socket destroyed) after this many content chunks. */
    readonly resetMidStreamAfterChunks?: number | undefined;
    /** Requests are admitted and then never answered, until the client gives up or the fleet closes. */
    readonly hang?: boolean | undefined;
    /** The endpoint resets every connection as soon as it is accepted (open ones too). */
    readonly down?: boolean | undefined;
    /**
     * Multiplies time-to-first-token and per-token time.
     * @default 1
     */
    readonly slowFactor?: number | undefined;
    /**
     * Extra delay before the response headers.
     * @unit milliseconds
     */
    readonly slowStartMs?: number | undefined;
}
/** How fast an endpoint answers. The default is instantaneous, so tests and benchmarks need no timers. */
interface LatencyConfig {
    /**
     * Time to the first content token.
     * @default 0
     * @unit milliseconds
     */
    readonly ttftMs?: number | undefined;
    /**
     * Output speed after the first token; absent means the whole reply is ready at once.
     * @unit tokens per second
     */
    readonly tokensPerSecond?: number | undefined;
    /**
     * ± fraction applied to ttft and per-token time, one seeded draw per request (0.2 → ×0.8…×1.2).
     * @default 0
     */
    readonly jitter?: number | undefined;
}
/** Limits enforced like the services do (see docs/sim.md); each absent one is unlimited. */
interface SimLimits {
    /** Requests per minute (bucket of `max(1, rpm/6)`, refilled continuously). */
    readonly rpm?: number | undefined;
    /** Tokens per minute (bucket of `tpm`; a request is charged prompt + output cap at admission). */
    readonly tpm?: number | undefined;
    /** Requests in flight at once; the next one gets 429 with retry-after 1 s. */
    readonly concurrency?: number | undefined;
}
interface CommonEndpointConfig {
    /** Unique name, used by `fleet.endpoint(name)`, `stats`, `setFaults`. */
    readonly name: string;
    readonly limits?: SimLimits | undefined;
    readonly latency?: LatencyConfig | undefined;
    /** Key the endpoint accepts; a seeded `sk-sim-…` key when absent. */
    readonly apiKey?: string | undefined;
    /**
     * Port to listen on.
     * @default 0 (any free port)
     */
    readonly port?: number | undefined;
    /** Faults active from the start. */
    readonly faults?: Faults | undefined;
}
/** An Azure OpenAI resource: `/openai/deployments/{deployment}/…?api-version=…` and `/openai/v1/…`. */
interface AzureEndpointConfig extends CommonEndpointConfig {
    readonly type: "azure";
    /** Model name → deployment name, e.g. `{ "gpt-4o": "gpt4o-east" }`. */
    readonly deployments: Readonly<Record<string, string>>;
    /**
     * Bearer tokens starting with this prefix are accepted as Entra ID tokens; `null` accepts only
     * the key.
     * @default "sim-entra-"
     */
    readonly acceptBearerPrefix?: string | null | undefined;
}
/** An openai.com-style endpoint: `/v1/chat/completions`, `/v1/embeddings`, `/v1/models`. */
interface OpenAIEndpointConfig extends CommonEndpointConfig {
    readonly type: "openai";
    /** Model names served, e.g. `["gpt-4o", "text-embedding-3-small"]`. */
    readonly models: readonly string[];
}
type SimEndpointConfig = AzureEndpointConfig | OpenAIEndpointConfig;
/** Options of `startFleet`. */
interface StartFleetOptions {
    /**
     * Seed of every random choice (keys, ids, replies, vectors, fault draws, jitter).
     * @default 0
     */
    readonly seed?: number | undefined;
    /**
     * Loopback address to listen on (`127.x.x.x`, `::1` or `localhost`).
     * @default "127.0.0.1"
     */
    readonly host?: string | undefined;
    readonly endpoints: readonly SimEndpointConfig[];
    /**
     * Clock for the rate-limit buckets, storms and `created` timestamps (tests pass a fake one).
     * Latency still uses real timers.
     * @default Date.now
     * @unit milliseconds
     */
    readonly now?: Clock | undefined;
}

/** Counters of one endpoint since start or the last `resetStats`. */
interface EndpointStats {
    /** HTTP requests received (whatever their outcome). */
    readonly requests: number;
    /** Responses by status code, counted when the status line is written. */
    readonly byStatus: Readonly<Record<number, number>>;
    /** Prompt tokens of requests answered 200. */
    readonly promptTokens: number;
    /** Completion tokens actually sent (a stream cut after k chunks counts k). */
    readonly completionTokens: number;
    /** Most requests admitted and in flight at once. */
    readonly peakConcurrency: number;
    /** Requests admitted and not finished now. */
    readonly inflight: number;
    /** Requests that ended without a status line: resets, hangs, clients that gave up first. */
    readonly dropped: number;
}

interface SimEndpointCommon {
    readonly name: string;
    /** `http://127.0.0.1:PORT`, the server's root. */
    readonly url: string;
    readonly apiKey: string;
}
/** An openai.com-style endpoint; pass `baseURL` and `apiKey` to `new OpenAI(…)`. */
interface SimOpenAIEndpoint extends SimEndpointCommon {
    readonly type: "openai";
    /** `${url}/v1`. */
    readonly baseURL: string;
    readonly models: readonly string[];
}
/** An Azure OpenAI resource; pass `endpoint` and `apiKey` to `new AzureOpenAI(…)`. */
interface SimAzureEndpoint extends SimEndpointCommon {
    readonly type: "azure";
    /** Same as `url`: the SDK appends `/openai`. */
    readonly endpoint: string;
    /** Model → deployment name. */
    readonly deployments: Readonly<Record<string, string>>;
}
/** A running endpoint's address and credentials. */
type SimEndpoint = SimOpenAIEndpoint | SimAzureEndpoint;
/** A running simulated fleet. */
interface Fleet {
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
     * Replaces the endpoint's faults (`{}` clears them); takes effect for the next request.
     * @throws SimError `SIM_UNKNOWN_ENDPOINT`, `SIM_CONFIG_INVALID`, `SIM_CLOSED`
     */
    setFaults(name: string, faults: Faults): void;
    /** Closes every server, destroys open sockets and clears every timer. Idempotent. */
    close(): Promise<void>;
}
/**
 * Starts one HTTP server per endpoint on loopback and resolves once all are listening.
 * @throws SimError `SIM_CONFIG_INVALID` (every problem with its path), `SIM_LISTEN_FAILED`
 */
declare function startFleet(options: StartFleetOptions): Promise<Fleet>;

/**
 * Formats a duration the way Go's `time.Duration.String()` does, because that is how openai.com and
 * Azure write `x-ratelimit-reset-*` headers: `0s`, `20ms`, `1.5µs`, `1s`, `1m30.5s`, `6m0s`, `2h0m0s`.
 *
 * The input is milliseconds (fractions allowed, resolved to whole nanoseconds, like Go).
 */
declare function formatGoDuration(ms: number): string;

/**
 * Output tokens charged against the TPM budget when a chat request sets neither
 * `max_completion_tokens` nor `max_tokens`. The services reserve the output cap at admission and
 * refund nothing; the router uses the same constant so its budgets agree with the fleet's.
 */
declare const DEFAULT_OUTPUT_CHARGE = 1000;

/** Stable codes of the simulator's own errors (not the HTTP errors it serves). */
type SimErrorCode = "SIM_CONFIG_INVALID" | "SIM_UNKNOWN_ENDPOINT" | "SIM_CLOSED" | "SIM_LISTEN_FAILED";
/** One problem found while validating options. */
interface SimIssue {
    /** Where, e.g. `endpoints[0].limits.rpm`. */
    readonly path: string;
    readonly message: string;
}
/**
 * Error thrown by the fleet's API. Branch on `code`, not on the message.
 *
 * @example
 * try { await startFleet({ endpoints: [] }); }
 * catch (e) { if (e instanceof SimError && e.code === "SIM_CONFIG_INVALID") console.error(e.issues); }
 */
declare class SimError extends Error {
    readonly name = "SimError";
    readonly code: SimErrorCode;
    /** Every validation problem (only for `SIM_CONFIG_INVALID`). */
    readonly issues: readonly SimIssue[];
    constructor(code: SimErrorCode, message: string, options?: {
        issues?: readonly SimIssue[];
        cause?: unknown;
    });
}

export { type AzureEndpointConfig, DEFAULT_OUTPUT_CHARGE, type EndpointStats, type Faults, type Fleet, type LatencyConfig, type OpenAIEndpointConfig, type SimAzureEndpoint, type SimEndpoint, type SimEndpointConfig, SimError, type SimErrorCode, type SimIssue, type SimLimits, type SimOpenAIEndpoint, type StartFleetOptions, formatGoDuration, startFleet };
