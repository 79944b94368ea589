import { describe, expect, it } from "vitest";
import {
  dataUrlImageSize,
  highDetailImageTokens,
  imageTokens,
  UNKNOWN_IMAGE_TOKENS,
} from "../../src/limits/image-tokens.js";
import { gifDataUrl, pngDataUrl } from "../helpers/image-data-urls.js";

describe("image rules", () => {
  it("follows OpenAI's published examples", () => {
    expect(highDetailImageTokens(1024, 1024)).toBe(765);
    expect(highDetailImageTokens(2048, 4096)).toBe(1105); // → 1024×2048 → 768×1536: 6 tiles
    expect(highDetailImageTokens(512, 512)).toBe(255); // never scaled up
    expect(highDetailImageTokens(100, 100)).toBe(255);
    expect(UNKNOWN_IMAGE_TOKENS).toBe(765);
  });

  it("reads PNG and GIF sizes from data URLs and nothing else", () => {
    expect(dataUrlImageSize(pngDataUrl(1920, 1080))).toEqual({ width: 1920, height: 1080 });
    expect(dataUrlImageSize(gifDataUrl(300, 200))).toEqual({ width: 300, height: 200 });
    expect(dataUrlImageSize("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ")).toBeUndefined();
    expect(dataUrlImageSize("https://example.com/a.png")).toBeUndefined();
    expect(dataUrlImageSize("data:text/plain,hello")).toBeUndefined();
    expect(imageTokens({ url: gifDataUrl(300, 200) })).toBe(255);
    expect(imageTokens({ url: pngDataUrl(1920, 1080), detail: "auto" })).toBe(
      highDetailImageTokens(1920, 1080),
    );
  });
});
