/**
 * Refreshes docs/dashboard.png from the real demo: runs `openai-router demo --web` in process, opens
 * the page in headless Chromium and takes the picture while the demo's outage is on (ptu-east down,
 * its circuit open).
 *
 *   npx tsx test/metrics/web/screenshot.ts docs/dashboard.png
 */
import { runDemo } from "../../../src/cli/demo.js";
import { launchChromium } from "./browser.js";

const path = process.argv[2] ?? "docs/dashboard.png";
let url: string | undefined;
const out = {
  write(text: string) {
    if (text.startsWith("web dashboard:")) url = text.split(" ").pop()?.trim();
    return true;
  },
};
const demo = runDemo({
  strategy: "least-latency",
  durationSec: 40,
  rps: 30,
  seed: 1,
  out,
  live: false,
  web: { port: 0 },
});
while (!url) await new Promise((resolve) => setTimeout(resolve, 100));
const browser = await launchChromium();
const page = await browser.context.newPage();
await page.goto(url);
await new Promise((resolve) => setTimeout(resolve, 23_000)); // ~57% of 40 s: the outage phase
await page.screenshot({ path });
await browser.close();
await demo;
console.log(`wrote ${path}`);
