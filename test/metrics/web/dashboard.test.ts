/// <reference lib="dom" />
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDashboardServer } from "../../../src/index.js";
import { chat, type Rig, rig } from "../../helpers/setup.js";
import { launchChromium } from "./browser.js";

/**
 * The live dashboard in a real browser: a router over the simulated fleet under load, the page
 * served by startDashboardServer, loaded in headless Chromium; the test waits for live data and
 * reads the rendered DOM. Set DASHBOARD_SCREENSHOT=docs/dashboard.png to refresh the docs' picture.
 */

const FLEET = {
  seed: 11,
  endpoints: [
    {
      name: "ptu-east",
      type: "azure" as const,
      deployments: { "gpt-4o": "gpt4o-ptu" },
      latency: { ttftMs: 40, tokensPerSecond: 300, jitter: 0.2 },
    },
    {
      name: "paygo-west",
      type: "azure" as const,
      deployments: { "gpt-4o": "gpt-4o" },
      latency: { ttftMs: 90, tokensPerSecond: 150, jitter: 0.2 },
    },
    {
      name: "openai",
      type: "openai" as const,
      models: ["gpt-4o"],
      latency: { ttftMs: 70, tokensPerSecond: 200, jitter: 0.2 },
    },
  ],
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Keeps ~`concurrency` requests in flight (a stream every fourth) until stopped. */
function load(r: Rig, concurrency: number) {
  let running = true;
  let n = 0;
  const worker = async () => {
    while (running) {
      n += 1;
      if (n % 4 === 0) {
        const stream = await r.router.chat.completions
          .create({ ...chat(`stream ${n}`, 40), stream: true })
          .catch(() => undefined);
        if (stream) for await (const _ of stream) if (!running) break;
      } else {
        await r.router.chat.completions.create(chat(`call ${n}`, 40)).catch(() => undefined);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return async () => {
    running = false;
    await Promise.all(workers);
  };
}

async function setup() {
  const r = await rig(FLEET, {
    strategy: "least-latency",
    metricsIntervalMs: 200,
    extras: {
      "ptu-east": { limits: { rpm: 1_200, tpm: 120_000, concurrency: 6 } },
      "paygo-west": { limits: { rpm: 600, tpm: 60_000, concurrency: 4 } },
      openai: { limits: { rpm: 900, tpm: 90_000, concurrency: 4 } },
    },
  });
  cleanup.push(() => r.close());
  const web = await startDashboardServer(r.router);
  cleanup.push(() => web.close());
  const stop = load(r, 8);
  cleanup.push(stop);
  const browser = await launchChromium();
  cleanup.push(() => browser.close());
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(web.url);
  return { ...r, web, page, errors };
}

const text = (s: string | null) => (s ?? "").trim();

describe("dashboard in Chromium", () => {
  // Breaks if the page did not render every endpoint from the live stream (state, in-flight against
  // its limit, share of traffic, latency, budgets), if its script were blocked (e.g. by its own CSP),
  // or if the totals did not move with the traffic.
  it("shows every endpoint live, updating", async () => {
    const { page, errors, router } = await setup();
    await page.waitForSelector('.live[data-status="live"]', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll("[data-endpoint]").length === 3);
    const names = await page.$$eval("[data-endpoint]", (els) =>
      els.map((e) => e.getAttribute("data-endpoint")),
    );
    expect(names.sort()).toEqual(["openai", "paygo-west", "ptu-east"]);
    expect(text(await page.textContent("#strategy"))).toBe("least-latency · 3 endpoints");

    // Live: the succeeded total grows between two readings.
    const ok = async () => Number(text(await page.textContent('[data-field="kpi-ok"]')).replace(/,/g, ""));
    await page.waitForFunction(
      () => Number(document.querySelector('[data-field="kpi-ok"]')?.textContent) > 5,
    );
    const before = await ok();
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-field="kpi-ok"]')?.textContent?.replace(/,/g, "")) > n,
      before,
      { timeout: 10_000 },
    );

    const east = page.locator('[data-endpoint="ptu-east"]');
    expect(text(await east.locator('[data-field="state"]').textContent())).toBe("healthy");
    expect(text(await east.locator('[data-field="inflight"]').textContent())).toMatch(/^\d+ \/ 6$/);
    expect(text(await east.locator('[data-field="latency"]').textContent())).toMatch(/^\d+ ms|\d+(\.\d)? s$/);
    expect(text(await east.locator('[data-field="rpm"]').textContent())).toMatch(/^[\d,]+ req$/);
    expect(text(await east.locator('[data-field="tpm"]').textContent())).toMatch(/^[\d,]+ tok$/);
    const shares = await page.$$eval('[data-field="share"]', (els) =>
      els.map((e) => Number.parseInt(e.textContent ?? "", 10)),
    );
    expect(shares.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(97);
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(103);
    expect(await page.locator("svg.spark path").first().getAttribute("d")).toMatch(/^M/);
    expect(router.snapshot().totals.succeeded).toBeGreaterThan(before);
    expect(errors).toEqual([]);
  });

  // Breaks if a 429 storm did not show as a cooling endpoint and a cooled-down event in the list.
  it("shows a cooldown and its event when an endpoint throttles", async () => {
    const { page, fleet } = await setup();
    await page.waitForSelector('.live[data-status="live"]', { timeout: 10_000 });
    fleet.setFaults("paygo-west", { rateLimitStormMs: 12_000 });
    const west = page.locator('[data-endpoint="paygo-west"]');
    await page.waitForSelector('[data-endpoint="paygo-west"][data-state="cooling"]', { timeout: 10_000 });
    expect(text(await west.locator('[data-field="state"]').textContent())).toMatch(/^cooling \d+s$/);
    await page.waitForSelector('#events li[data-type="cooled-down"]', { timeout: 10_000 });
    const line = text(await page.locator('#events li[data-type="cooled-down"]').first().textContent());
    expect(line).toContain("paygo-west cools for");
    expect(Number(text(await page.textContent('[data-field="kpi-429"]')))).toBeGreaterThan(0);
    expect(Number(text(await west.locator('[data-field="rateLimited"]').textContent()))).toBeGreaterThan(0);
    const shot = process.env.DASHBOARD_SCREENSHOT ?? join(tmpdir(), "router-dashboard.png");
    // For the docs' picture, let the sparklines fill (60 updates at 200 ms) while west still cools.
    await page.waitForTimeout(process.env.DASHBOARD_SCREENSHOT ? 6_000 : 500);
    await page.screenshot({ path: shot });
  });

  // Breaks if the page overflowed sideways on a phone-sized screen, or if a key reached the page.
  it("fits a narrow screen and never shows a key", async () => {
    const { page, fleet } = await setup();
    await page.waitForSelector('.live[data-status="live"]', { timeout: 10_000 });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => document.querySelectorAll("[data-endpoint]").length === 3);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    const columns = await page.$eval(
      "#endpoints",
      (el) => getComputedStyle(el).gridTemplateColumns.split(" ").length,
    );
    expect(columns).toBe(1);
    const html = await page.content();
    for (const e of fleet.endpoints) expect(html).not.toContain(e.apiKey);
  });
});
