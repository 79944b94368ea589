/**
 * What replicas tell each other on the store's channel. The scripts publish these (see scripts.ts:
 * `cool` after a 429, `limits` after headers taught new ones); this is their one reader.
 */
export type PeerMessage =
  | {
      readonly t: "cool";
      readonly lane: string;
      /** How long the lane cools from now. */
      readonly ms: number;
      readonly drain: Drain;
      /** The budgets' shares after the 429 shrank them, when it did. */
      readonly sr: number | undefined;
      readonly st: number | undefined;
    }
  | {
      readonly t: "limits";
      readonly lane: string;
      readonly rpm: number | undefined;
      readonly tpm: number | undefined;
    };

const DRAINS = ["requests", "tokens", "both", "none"] as const;
/** Which budget a 429 emptied (as the store's `cool` takes it). */
type Drain = (typeof DRAINS)[number];
const isDrain = (value: unknown): value is Drain => (DRAINS as readonly unknown[]).includes(value);

const numberOr = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

/**
 * Reads a message from the channel; undefined for one this replica sent (`self`), one it cannot read
 * (a newer replica's, or garbage), or one of an unknown type. Never throws: a peer cannot break the store.
 */
export function readPeerMessage(message: string, self: string): PeerMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof m !== "object" || m === null) return undefined;
  const { t, lane, from, ms, drain, sr, st, rpm, tpm } = m as Record<string, unknown>;
  if (from === self || typeof lane !== "string") return undefined;
  if (t === "cool" && typeof ms === "number")
    return {
      t,
      lane,
      ms,
      drain: isDrain(drain) ? drain : "none",
      sr: numberOr(sr),
      st: numberOr(st),
    };
  if (t === "limits") return { t, lane, rpm: numberOr(rpm), tpm: numberOr(tpm) };
  return undefined;
}
