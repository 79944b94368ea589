/** A data URL of a PNG header claiming `width × height` (the pixels are never read). */
export function pngDataUrl(width: number, height: number): string {
  const head = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head, 0);
  head.writeUInt32BE(13, 8);
  head.write("IHDR", 12, "latin1");
  head.writeUInt32BE(width, 16);
  head.writeUInt32BE(height, 20);
  return `data:image/png;base64,${head.toString("base64")}AAAA`;
}

/** A data URL of a GIF header claiming `width × height`. */
export function gifDataUrl(width: number, height: number): string {
  const head = Buffer.alloc(13);
  head.write("GIF89a", 0, "latin1");
  head.writeUInt16LE(width, 6);
  head.writeUInt16LE(height, 8);
  return `data:image/gif;base64,${head.toString("base64")}`;
}
