/**
 * Stable codes of the simulator's own errors (not the HTTP errors it serves).
 *
 * @example
 * ```ts
 * if (e instanceof SimError && e.code === "SIM_UNKNOWN_ENDPOINT") …
 * ```
 */
export type SimErrorCode = "SIM_CONFIG_INVALID" | "SIM_UNKNOWN_ENDPOINT" | "SIM_CLOSED" | "SIM_LISTEN_FAILED";

/**
 * One problem found while validating options.
 *
 * @example
 * ```ts
 * for (const { path, message } of error.issues) console.error(`${path}: ${message}`);
 * ```
 */
export interface SimIssue {
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
export class SimError extends Error {
  override readonly name = "SimError";
  readonly code: SimErrorCode;
  /** Every validation problem (only for `SIM_CONFIG_INVALID`). */
  readonly issues: readonly SimIssue[];

  constructor(
    code: SimErrorCode,
    message: string,
    options: { issues?: readonly SimIssue[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
  }
}
