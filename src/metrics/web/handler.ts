import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { filter, type Subscription } from "rxjs";
import type { RouterEventType } from "../../events.js";
import type { Router } from "../../router.js";
import { DASHBOARD_HTML } from "./page.js";
import { DASHBOARD_SCRIPT } from "./page-script.js";
import { DASHBOARD_CSS } from "./page-style.js";

/** A plain node:http request handler (what `http.createServer` takes, and what a gateway mounts). */
export type NodeRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Options of {@link createDashboardHandler}. */
export interface DashboardHandlerOptions {
  /**
   * Event types left out of the page's stream.
   * @default ["dispatched", "failed-over"] (one per attempt, and one per retry that `retried` already
   * shows: too many to read; traffic shows in the cards)
   */
  readonly omitEvents?: readonly RouterEventType[] | undefined;
  /** How often an idle event stream sends a keep-alive comment. @default 15000 @unit milliseconds */
  readonly keepAliveMs?: number | undefined;
}

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
/** Only the page's own inline style and script run, and it may only talk to its own origin. */
const CSP = [
  "default-src 'none'",
  `script-src ${sha256(DASHBOARD_SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_CSS)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Serves the live dashboard of a router: `GET <mount>` is the page, `GET <mount>/events` its
 * server-sent events (`hello` once, `metrics` with each `metrics$` snapshot, `router-event` for
 * `events$` but dispatches and failovers, `closed` when the router closes). Mount it wherever you like (the gateway uses
 * `/dashboard`); the page finds its stream relative to its own path. Nothing it sends carries a key.
 * @example
 * http.createServer(createDashboardHandler(router)).listen(8080, "127.0.0.1");
 */
export function createDashboardHandler(
  router: Router,
  options: DashboardHandlerOptions = {},
): NodeRequestHandler {
  const omit = new Set<string>(options.omitEvents ?? ["dispatched", "failed-over"]);
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("Method not allowed\n");
      return;
    }
    const path = new URL(req.url ?? "/", "http://dashboard.invalid").pathname.replace(/\/+$/, "");
    if (path.endsWith("/events")) {
      streamEvents(router, req, res, omit, keepAliveMs);
      return;
    }
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
    res.end(req.method === "HEAD" ? undefined : DASHBOARD_HTML);
  };
}

function streamEvents(
  router: Router,
  req: IncomingMessage,
  res: ServerResponse,
  omit: ReadonlySet<string>,
  keepAliveMs: number,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.write("retry: 2000\n\n");
  send("hello", router.toJSON());
  const subscriptions: Subscription[] = [];
  let done = false;
  const stop = () => {
    if (done) return;
    done = true;
    clearInterval(ping);
    for (const s of subscriptions) s.unsubscribe();
  };
  const ping = setInterval(() => res.write(": keep-alive\n\n"), keepAliveMs);
  ping.unref();
  req.on("close", stop);
  subscriptions.push(
    router.events$.pipe(filter((e) => !omit.has(e.type))).subscribe((e) => send("router-event", e)),
    router.metrics$.subscribe({
      // A slow reader skips snapshots (the next one supersedes them) instead of buffering them all.
      next: (snapshot) => {
        if (!res.writableNeedDrain) send("metrics", snapshot);
      },
      complete: () => {
        send("closed", {});
        stop();
        res.end();
      },
    }),
  );
}
