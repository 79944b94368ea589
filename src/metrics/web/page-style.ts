/** The dashboard's stylesheet: system fonts, tabular numbers, one grid that folds to one column. */
export const DASHBOARD_CSS = `
:root {
  color-scheme: dark;
  --bg: #0d1117; --panel: #161b22; --panel-2: #1c2230; --line: #2a3140; --text: #e6edf3;
  --muted: #8b949e; --faint: #6e7681; --ok: #3fb950; --warn: #d29922; --bad: #f85149;
  --half: #db6d28; --off: #6e7681; --accent: #58a6ff; --radius: 10px;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body {
  font: 14px/1.45 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-variant-numeric: tabular-nums; padding: 20px 24px 28px; max-width: 1600px; margin: 0 auto;
}
header { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-bottom: 16px; }
h1 { font-size: 20px; font-weight: 650; margin: 0; letter-spacing: -0.01em; }
h1 span { color: var(--muted); font-weight: 500; }
h2 { font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.08em; color: var(--muted); margin: 22px 0 10px; }
.live { display: inline-flex; align-items: center; gap: 7px; color: var(--muted); font-size: 13px; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--off); }
.live[data-status="live"] .dot { background: var(--ok); box-shadow: 0 0 0 0 rgba(63,185,80,.6); animation: pulse 2s infinite; }
.live[data-status="reconnecting"] .dot { background: var(--warn); }
@keyframes pulse { 70% { box-shadow: 0 0 0 7px rgba(63,185,80,0); } 100% { box-shadow: 0 0 0 0 rgba(63,185,80,0); } }
.meta { margin-left: auto; color: var(--faint); font-size: 12px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; }
.kpi { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 12px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; }
.kpi .value { font-size: 26px; font-weight: 650; letter-spacing: -0.02em; margin-top: 2px; }
.kpi .value.warn { color: var(--warn); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(290px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 14px 16px 12px; border-top: 3px solid var(--ok); }
.card[data-state="cooling"] { border-top-color: var(--warn); }
.card[data-state="open"] { border-top-color: var(--bad); }
.card[data-state="half-open"] { border-top-color: var(--half); }
.card[data-state="disabled"] { border-top-color: var(--off); }
.card-head { display: flex; align-items: center; gap: 8px; margin-bottom: 10px; }
.name { font-size: 16px; font-weight: 650; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.type { font-size: 11px; color: var(--muted); border: 1px solid var(--line); border-radius: 999px; padding: 1px 7px; }
.pill { margin-left: auto; font-size: 12px; font-weight: 600; border-radius: 999px; padding: 2px 9px; background: rgba(63,185,80,.15); color: var(--ok); white-space: nowrap; }
.pill[data-state="cooling"] { background: rgba(210,153,34,.16); color: var(--warn); }
.pill[data-state="open"] { background: rgba(248,81,73,.16); color: var(--bad); }
.pill[data-state="half-open"] { background: rgba(219,109,40,.16); color: var(--half); }
.pill[data-state="disabled"] { background: rgba(110,118,129,.2); color: var(--muted); }
.stats { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px 10px; margin-bottom: 10px; }
.stat .label { color: var(--muted); font-size: 11px; }
.stat .value { font-size: 17px; font-weight: 600; }
.stat .value small { color: var(--faint); font-size: 12px; font-weight: 500; }
.bar-row { display: grid; grid-template-columns: 74px 1fr 84px; align-items: center; gap: 8px; font-size: 12px; margin-top: 6px; }
.bar-row .label { color: var(--muted); }
.bar-row .num { text-align: right; color: var(--text); }
.bar { height: 7px; background: var(--panel-2); border-radius: 999px; overflow: hidden; }
.bar > i { display: block; height: 100%; width: 0; background: var(--accent); border-radius: 999px; transition: width .4s ease; }
.bar.budget > i { background: var(--ok); }
.bar.budget.low > i { background: var(--warn); }
.bar.budget.empty > i { background: var(--bad); }
.bar.share > i { background: #a371f7; }
svg.spark { width: 100%; height: 34px; display: block; margin-top: 10px; }
svg.spark path { fill: none; stroke: var(--accent); stroke-width: 1.5; }
svg.spark path.area { fill: rgba(88,166,255,.12); stroke: none; }
.foot { display: flex; justify-content: space-between; gap: 8px; color: var(--faint); font-size: 11px; margin-top: 4px; white-space: nowrap; }
.foot span:first-child { overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.events .count { color: var(--muted); font-size: 12px; margin-left: 6px; }
.events { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); max-height: 300px; overflow: auto; }
.events ol { list-style: none; margin: 0; padding: 0; }
.events li { display: grid; grid-template-columns: 96px 150px 1fr; gap: 10px; padding: 7px 14px; border-bottom: 1px solid var(--line); font-size: 13px; }
.events li:last-child { border-bottom: 0; }
.events time { color: var(--faint); }
.events .kind { font-weight: 600; }
.events .kind[data-tone="bad"] { color: var(--bad); }
.events .kind[data-tone="warn"] { color: var(--warn); }
.events .kind[data-tone="ok"] { color: var(--ok); }
.events .kind[data-tone="info"] { color: var(--accent); }
.empty { color: var(--faint); padding: 14px; font-size: 13px; }
@media (max-width: 640px) {
  body { padding: 14px 12px 20px; }
  .kpi .value { font-size: 21px; }
  .events li { grid-template-columns: 70px 1fr; }
  .events li .text { grid-column: 1 / -1; }
  .meta { margin-left: 0; width: 100%; }
}
`;
