import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium, which CI installs (`.ci/run`). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Headless Chromium with a fresh profile, networking to anything but the page kept quiet. Throws
 * (the test fails, it is never skipped) when Chromium is not installed.
 */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is required for the dashboard's browser check: ${CHROMIUM} not found (apt-get install chromium)`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), "router-dashboard-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
