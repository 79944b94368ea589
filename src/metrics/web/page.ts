import { DASHBOARD_SCRIPT } from "./page-script.js";
import { DASHBOARD_CSS } from "./page-style.js";

const kpi = (label: string, field: string) =>
  `<div class="kpi"><div class="label">${label}</div><div class="value" data-field="${field}">–</div></div>`;

/**
 * The dashboard page: one self-contained HTML document (inline CSS and script, no framework, no CDN,
 * nothing fetched but its own event stream). It is the same for every router, so it is built once.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>openai-router · live</title>
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<header>
  <h1>openai-router <span>live</span></h1>
  <span class="live" data-status="connecting"><span class="dot"></span><span class="text">connecting</span></span>
  <span class="meta"><span id="strategy"></span> · <span id="updated">waiting for data</span></span>
</header>
<section class="kpis" aria-label="totals">
  ${kpi("requests / s", "kpi-rps")}${kpi("in flight", "kpi-inflight")}${kpi("queued", "kpi-queue")}
  ${kpi("attempts ok", "kpi-ok")}${kpi("attempts failed", "kpi-failed")}${kpi("429s absorbed", "kpi-429")}
</section>
<h2>Endpoints</h2>
<section class="grid" id="endpoints" aria-label="endpoints"></section>
<h2>Recent events</h2>
<section class="events" id="events" aria-label="recent events"><ol></ol><div class="empty">No events yet: cooldowns, circuit changes, retries and learned limits appear here.</div></section>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
