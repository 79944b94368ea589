import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createDashboardHandler } from "../../../src/index.js";
import { chat, type Rig, rig } from "../../helpers/setup.js";

/**
 * The dashboard's node:http handler mounted under /dashboard, as the gateway will mount it, over a
 * router and the simulated fleet; its event stream read with fetch over real HTTP.
 */

const FLEET = {
  endpoints: [
    { name: "east", type: "azure" as const, deployments: { "gpt-4o": "gpt4o-east" }, latency: { ttftMs: 1 } },
    { name: "oai", type: "openai" as const, models: ["gpt-4o"], latency: { ttftMs: 1 } },
  ],
};

const open: { rig?: Rig; server?: Server } = {};
afterEach(async () => {
  open.server?.closeAllConnections();
  await new Promise((resolve) => (open.server ? open.server.close(resolve) : resolve(undefined)));
  await open.rig?.close();
  open.rig = undefined;
  open.server = undefined;
});

async function setup() {
  const r = await rig(FLEET, {
    strategy: "priority",
    extras: { east: { priority: 0 }, oai: { priority: 1 } },
    metricsIntervalMs: 50,
  });
  open.rig = r;
  const dashboard = createDashboardHandler(r.router);
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/dashboard")) return dashboard(req, res);
    res.writeHead(404).end();
  });
  open.server = server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { ...r, base };
}

interface Frame {
  readonly event: string;
  readonly data: unknown;
}

/** Reads server-sent events until `until` returns true or the stream ends. */
async function readEvents(url: string, until: (frames: Frame[]) => boolean, onOpen?: () => void) {
  const res = await fetch(url);
  const frames: Frame[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let raw = "";
  onOpen?.();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    raw += text;
    buffer += text;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) frames.push({ event, data: JSON.parse(data) });
      end = buffer.indexOf("\n\n");
    }
    if (until(frames)) {
      await reader.cancel();
      break;
    }
  }
  return { res, frames, raw, ended: buffer === "" };
}

describe("createDashboardHandler", () => {
  // Breaks if the page were not served under its mount path as one self-contained HTML document with
  // a CSP that allows nothing but its own inline code and its own origin.
  it("serves the page under any mount path, self-contained and locked down", async () => {
    const { base } = await setup();
    for (const path of ["/dashboard", "/dashboard/"]) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).toContain("connect-src 'self'");
      const html = await res.text();
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/); // nothing loaded from anywhere
      // The one URL in it is the SVG namespace, an identifier that is never fetched.
      expect(html.replaceAll("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:\/\/|url\(|@import/);
    }
    const head = await fetch(`${base}/dashboard`, { method: "HEAD" });
    expect(head.status).toBe(200);
    const post = await fetch(`${base}/dashboard`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  // Breaks if the stream did not start with hello and the live snapshot, carried dispatched or
  // failed-over events (too many to read), missed a cooldown or a retry, or leaked a key.
  it("streams hello, live snapshots and router events (not dispatches)", async () => {
    const { base, router, fleet } = await setup();
    const { res, frames, raw } = await readEvents(
      `${base}/dashboard/events`,
      (f) => f.some((x) => x.event === "router-event" && (x.data as { type: string }).type === "cooled-down"),
      () => {
        void (async () => {
          await router.chat.completions.create(chat());
          fleet.setFaults("east", { rateLimitStormMs: 30_000 });
          await router.chat.completions.create(chat());
        })();
      },
    );
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(frames[0]).toEqual({ event: "hello", data: { strategy: "priority", endpoints: ["east", "oai"] } });
    const metrics = frames.filter((f) => f.event === "metrics");
    expect(metrics.length).toBeGreaterThan(0);
    const first = metrics[0]?.data as { endpoints: { name: string }[] } | undefined;
    expect(first?.endpoints.map((e) => e.name)).toEqual(["east", "oai"]);
    const types = frames
      .filter((f) => f.event === "router-event")
      .map((f) => (f.data as { type: string }).type);
    expect(types).toContain("cooled-down");
    expect(types).toContain("retried");
    expect(types).not.toContain("dispatched");
    expect(types).not.toContain("failed-over");
    for (const e of fleet.endpoints) expect(raw).not.toContain(e.apiKey);
  });

  // Breaks if closing the router left the page's stream open (it would hang the browser tab and the
  // server's close).
  it("ends the stream with `closed` when the router closes", async () => {
    const { base, router } = await setup();
    const { frames, ended } = await readEvents(
      `${base}/dashboard/events`,
      () => false,
      () => {
        setTimeout(() => void router.close(), 120);
      },
    );
    expect(frames.at(-1)?.event).toBe("closed");
    expect(ended).toBe(true);
  });
});
