import { describe, expect, it } from "vitest";
import { runDemo } from "../../../src/cli/demo.js";

/** `openai-router demo --web`: the demo serves its dashboard while it runs, on loopback, then stops. */

describe("demo --web", () => {
  // Breaks if the demo did not serve the page and its live stream on 127.0.0.1 while running, or if
  // the server outlived the demo.
  it("serves the dashboard on 127.0.0.1 while the demo runs, and closes it after", async () => {
    let url: string | undefined;
    const out = {
      write(text: string) {
        const m = /^web dashboard: (\S+)/.exec(text);
        if (m) url = m[1];
        return true;
      },
    };
    const demo = runDemo({
      strategy: "least-busy",
      durationSec: 2,
      rps: 10,
      seed: 3,
      out,
      live: false,
      web: { port: 0 },
    });
    while (!url) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("openai-router");
    const events = await fetch(`${url}events`);
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("event: metrics")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"ptu-east"');
    await reader.cancel();
    await demo;
    await expect(fetch(url)).rejects.toThrow();
  }, 30_000);
});
