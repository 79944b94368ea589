/**
 * How long a lane cools for what an endpoint asked: its retry-after clamped both ways. Never below
 * `minMs`, which protects an endpoint that says "0" (or a thousandth of a millisecond, or a date in the
 * past) from being called again at once by every request waiting for it; never above `maxMs` (Azure
 * may ask for a day). A value that could not be read (`undefined`: absent, negative, garbage) gets
 * `defaultMs`. A floor above the cap yields to the cap.
 * @example
 * clampRetryAfter(0, { minMs: 500, maxMs: 60_000, defaultMs: 1_000 });          // 500
 * clampRetryAfter(86_400_000, { minMs: 500, maxMs: 60_000, defaultMs: 1_000 }); // 60_000
 * clampRetryAfter(undefined, { minMs: 500, maxMs: 60_000, defaultMs: 1_000 });  // 1_000
 */
export function clampRetryAfter(
  askedMs: number | undefined,
  options: { readonly minMs: number; readonly maxMs: number; readonly defaultMs: number },
): number {
  const { minMs, maxMs, defaultMs } = options;
  const asked = askedMs === undefined || Number.isNaN(askedMs) ? defaultMs : askedMs;
  return Math.min(maxMs, Math.max(Math.min(minMs, maxMs), asked));
}

/** The cooldown when an endpoint named no (readable) retry-after. @unit milliseconds */
export const DEFAULT_COOLDOWN_MS = 1_000;
