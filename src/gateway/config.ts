import { createHash } from "node:crypto";
import { z } from "zod";
import type { ConfigIssue } from "../errors.js";

const positive = z.number().finite().positive();
const positiveInt = z.number().int().positive();

const clientLimitsSchema = z.strictObject({
  /** Requests per minute: a bucket of `rpm` requests refilled continuously at `rpm` per minute. */
  rpm: positive.optional(),
  /** Tokens per minute, charged at admission like the services do: prompt estimate + output cap. */
  tpm: positive.optional(),
  /** Requests of this client in flight at once; more wait in the client's own queue. */
  concurrency: positiveInt.optional(),
});

const clientSchema = z
  .strictObject({
    name: z.string().min(1, "must be a non-empty string"),
    key: z.string().min(16, "must be at least 16 characters (use a random key)").optional(),
    keySha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be the key's SHA-256 as 64 hex digits")
      .optional(),
    models: z.array(z.string().min(1)).min(1, "must list at least one model (or leave it out)").optional(),
    limits: clientLimitsSchema.optional(),
    priority: z.number().int().default(0),
  })
  .superRefine((c, ctx) => {
    if (c.key === undefined && c.keySha256 === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["key"],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the config file's syntax
        message: "set key (e.g. a ${CLIENT_KEY} reference) or keySha256",
      });
    if (c.key !== undefined && c.keySha256 !== undefined)
      ctx.addIssue({ code: "custom", path: ["keySha256"], message: "set either key or keySha256, not both" });
  });

const FAIRNESS_DEFAULTS = { enabled: true, queuedPerModel: 4, quantumTokens: 512, maxQueuedPerClient: 1_000 };

/** The `gateway:` section of a config file (and the options of `createGateway`), validated with zod. */
export const gatewaySchema = z.strictObject({
  /** Who may call, with their keys and budgets. Empty: no authentication, loopback only. */
  clients: z.array(clientSchema).default([]),
  /** Address to listen on (`--host` overrides). @default "127.0.0.1" */
  host: z.string().min(1).default("127.0.0.1"),
  /** Port to listen on (`--port` overrides; 0 picks a free one). @default 8080 */
  port: z.number().int().min(0).max(65_535).default(8080),
  /** How long a SIGTERM / SIGINT waits for requests in flight before ending them. @unit milliseconds */
  drainMs: z.number().finite().nonnegative().default(30_000),
  /** Largest request body accepted; larger gets 413. @unit bytes */
  maxBodyBytes: positiveInt.default(16 * 1024 * 1024),
  /** Output tokens charged to a client's TPM when a request sets no cap (as the router does). */
  defaultOutputTokens: positiveInt.default(1_000),
  /** Waiting requests gain one priority level per this long (the router's `queue.agingMs`). @unit milliseconds */
  agingMs: positive.default(10_000),
  fairness: z
    .strictObject({
      /** Off: requests go to the router's queue at once, first come first served. */
      enabled: z.boolean().default(true),
      /** Requests per model let into the router's queue at once; the rest wait in per-client queues. */
      queuedPerModel: positiveInt.default(4),
      /** Deficit round-robin quantum: tokens (estimated) a client may send per turn. */
      quantumTokens: positiveInt.default(512),
      /** Requests one client may have waiting in the gateway; more get 429. */
      maxQueuedPerClient: positiveInt.default(1_000),
    })
    .default(FAIRNESS_DEFAULTS),
});

/** The `gateway:` section as written. */
export type GatewayConfig = z.input<typeof gatewaySchema>;
/** The `gateway:` section after defaults. */
export type ResolvedGatewayConfig = z.output<typeof gatewaySchema>;
/** One client as written. */
export type GatewayClientConfig = z.input<typeof clientSchema>;

/**
 * Validates a `gateway:` section. Issues carry their path under `gateway.`; values are never echoed,
 * so a key in the wrong place does not leak into a message.
 * @param served the models the router serves, to check each client's `models` against
 */
export function parseGatewayConfig(
  input: unknown,
  served: ReadonlySet<string> | undefined,
): { config: ResolvedGatewayConfig | undefined; issues: ConfigIssue[] } {
  const result = gatewaySchema.safeParse(input ?? {});
  const issues: ConfigIssue[] = result.success
    ? []
    : result.error.issues.map((issue) => ({
        path: ["gateway", ...issue.path.map(String)].join("."),
        message: issue.message,
      }));
  // Cross-field checks run on the raw input too, so one pass reports every problem at once.
  issues.push(...crossIssues(input, served));
  return { config: result.success && issues.length === 0 ? result.data : undefined, issues };
}

function crossIssues(input: unknown, served: ReadonlySet<string> | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const raw = (input as { clients?: unknown } | null | undefined)?.clients;
  if (!Array.isArray(raw)) return issues;
  // Non-objects become {} (not filtered out), so each index stays the one in the file.
  const clients = raw.map((c: unknown) =>
    typeof c === "object" && c !== null
      ? (c as { name?: unknown; key?: unknown; keySha256?: unknown; models?: unknown })
      : {},
  );
  const names = new Map<string, number>();
  const digests = new Map<string, number>();
  clients.forEach((client, i) => {
    const key = typeof client.key === "string" ? client.key : undefined;
    const keySha256 = typeof client.keySha256 === "string" ? client.keySha256 : undefined;
    if (key !== undefined || keySha256 !== undefined) {
      const digest = keyDigestHex({ key, keySha256 });
      const sameKey = digests.get(digest);
      if (sameKey !== undefined)
        issues.push({
          path: `gateway.clients.${i}.${key !== undefined ? "key" : "keySha256"}`,
          message: `the same key as gateway.clients.${sameKey} (each client needs its own)`,
        });
      else digests.set(digest, i);
    }
    if (typeof client.name !== "string") return;
    const first = names.get(client.name);
    if (first !== undefined)
      issues.push({
        path: `gateway.clients.${i}.name`,
        message: `duplicate client name (also gateway.clients.${first}.name)`,
      });
    else names.set(client.name, i);
    if (!Array.isArray(client.models)) return;
    client.models.forEach((model: unknown, j) => {
      if (served && typeof model === "string" && !served.has(model))
        issues.push({ path: `gateway.clients.${i}.models.${j}`, message: "model is served by no endpoint" });
    });
  });
  return issues;
}

/** The SHA-256 (hex, lower case) of a client's key: the only form the gateway keeps. */
export function keyDigestHex(client: {
  readonly key?: string | undefined;
  readonly keySha256?: string | undefined;
}): string {
  if (client.key !== undefined) return createHash("sha256").update(client.key, "utf8").digest("hex");
  return (client.keySha256 ?? "").toLowerCase();
}
