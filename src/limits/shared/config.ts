import { z } from "zod";

const positive = z.number().finite().positive();

/**
 * The `redis` key of the router config: many router processes spend one quota through Redis (see
 * docs/limits-and-quotas.md, "Many processes"). Validated with the rest of the config.
 */
export const redisConfigSchema = z
  .strictObject({
    /** `redis://[:password@]host:port[/db]` or `rediss://…`; optional when a client is passed in the dependencies. */
    url: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, "must be a redis:// or rediss:// URL")
      .optional(),
    /** Prefix of every key and of the channel; replicas sharing a quota use the same one. */
    keyPrefix: z.string().min(1, "must be a non-empty string").default("openai-router"),
    /** While Redis is unreachable: `local-share` spends `limit / replicas`, `pause` admits nothing new. */
    whenUnavailable: z.enum(["local-share", "pause"]).default("local-share"),
    connectTimeoutMs: positive.default(1_000),
    commandTimeoutMs: positive.default(250),
    /** A leased slice may be spent for this long; what is left then goes back. */
    leaseTtlMs: positive.default(3_000),
    /** A lease covers this much of the process's recent rate on a lane. */
    leaseTargetMs: positive.default(2_000),
    heartbeatMs: positive.default(1_000),
  })
  .superRefine((r, ctx) => {
    if (r.leaseTargetMs >= r.leaseTtlMs)
      ctx.addIssue({ code: "custom", path: ["leaseTargetMs"], message: "must be less than leaseTtlMs" });
  });

/** The `redis` config as the user writes it. */
export type RedisConfig = z.input<typeof redisConfigSchema>;
/** The `redis` config after defaults. */
export type ResolvedRedisConfig = z.output<typeof redisConfigSchema>;
