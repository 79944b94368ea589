/**
 * Token estimates for image parts, by OpenAI's published tile rule. Only the size a `data:` URL
 * states in its header is read: a remote image's size would cost a download.
 */

/** A low-detail image, and the base cost of a high-detail one. */
export const IMAGE_BASE_TOKENS = 85;
/** Each 512 px tile of a high-detail image. */
export const IMAGE_TILE_TOKENS = 170;

/**
 * Tokens of a high-detail image of `width × height` px, by OpenAI's published rule for gpt-4o:
 * fit within 2048 × 2048, then scale down so the shorter side is at most 768 px, then
 * 85 + 170 per 512 px tile. (gpt-4o-mini and o-series price image tokens differently.)
 */
export function highDetailImageTokens(width: number, height: number): number {
  let w = width;
  let h = height;
  if (w > 2048 || h > 2048) {
    const scale = 2048 / Math.max(w, h);
    w = Math.floor(w * scale);
    h = Math.floor(h * scale);
  }
  if (Math.min(w, h) > 768) {
    const scale = 768 / Math.min(w, h);
    w = Math.floor(w * scale);
    h = Math.floor(h * scale);
  }
  return IMAGE_BASE_TOKENS + IMAGE_TILE_TOKENS * Math.ceil(w / 512) * Math.ceil(h / 512);
}

/** An image of unknown size is assumed to be 1024 × 1024 at high detail: 85 + 170 × 4 = 765. */
export const UNKNOWN_IMAGE_TOKENS = highDetailImageTokens(1024, 1024);

/**
 * Width and height of a PNG or GIF `data:` URL, read from the first 24 decoded bytes (the PNG IHDR
 * chunk, the GIF logical screen); `undefined` for other formats or remote URLs, whose size would
 * cost a download or a real image parser.
 */
export function dataUrlImageSize(url: string): { width: number; height: number } | undefined {
  if (!url.startsWith("data:")) return undefined;
  // Only the head is searched: a 10 MB data URL without the marker is not scanned to its end.
  const comma = url.slice(0, 128).indexOf("base64,");
  if (comma < 0 || comma > 100) return undefined;
  const head = Buffer.from(url.slice(comma + 7, comma + 7 + 32), "base64");
  if (
    head.length >= 24 &&
    head.readUInt32BE(0) === 0x89504e47 &&
    head.toString("latin1", 12, 16) === "IHDR"
  ) {
    return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
  }
  if (head.length >= 10 && head.toString("latin1", 0, 4) === "GIF8") {
    return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
  }
  return undefined;
}

/**
 * Tokens of an image part: `detail: "low"` → 85; `high` or `auto` → the tile rule on the size read
 * from a PNG/GIF data URL, or 765 (1024 × 1024 high detail) when the size is unknown. `auto`
 * counts as high, the dearer case, since the service decides.
 */
export function imageTokens(imageUrl: { url: string; detail?: "auto" | "low" | "high" }): number {
  if (imageUrl.detail === "low") return IMAGE_BASE_TOKENS;
  const size = dataUrlImageSize(imageUrl.url);
  return size === undefined ? UNKNOWN_IMAGE_TOKENS : highDetailImageTokens(size.width, size.height);
}
