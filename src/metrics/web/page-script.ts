/**
 * The dashboard's browser script (plain ES2020, no framework): reads the server-sent events next to
 * the page (`…/events`) and redraws. Text goes in with `textContent` only, so an endpoint or model
 * name can never inject markup. Kept free of template literals (it lives inside one).
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  "use strict";
  var base = location.pathname.replace(/\/+$/, "");
  var source = new EventSource(base + "/events");
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var cards = new Map();
  var history = new Map();
  var HISTORY = 60;
  var events = [];
  var MAX_EVENTS = 60;
  var last = null;

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) el.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) { el.append(c); });
    return el;
  }
  function fmtInt(n) { return n == null ? "–" : Math.round(n).toLocaleString("en-US"); }
  function fmtMs(ms) {
    if (ms == null) return "–";
    return ms >= 1000 ? (ms / 1000).toFixed(ms >= 10000 ? 0 : 1) + " s" : Math.round(ms) + " ms";
  }
  function fmtRate(n) { return n >= 100 ? Math.round(n).toString() : n.toFixed(1); }
  function pct(n) { return Math.max(0, Math.min(100, n)); }
  function setStatus(s) { $(".live").setAttribute("data-status", s); $(".live .text").textContent = s; }

  function stat(label, field) {
    return h("div", { class: "stat" }, [h("div", { class: "label" }, [label]), h("div", { class: "value", "data-field": field }, ["–"])]);
  }
  function barRow(label, field, kind) {
    return h("div", { class: "bar-row" }, [
      h("span", { class: "label" }, [label]),
      h("div", { class: "bar " + kind, "data-bar": field }, [h("i")]),
      h("span", { class: "num", "data-field": field }, ["–"]),
    ]);
  }
  function card(e) {
    var el = h("article", { class: "card", "data-endpoint": e.name, "data-state": e.state }, [
      h("div", { class: "card-head" }, [
        h("span", { class: "name", title: e.name }, [e.name]),
        h("span", { class: "type" }, [e.type === "azure" ? "Azure" : "OpenAI"]),
        h("span", { class: "pill", "data-field": "state", "data-state": e.state }, [e.state]),
      ]),
      h("div", { class: "stats" }, [
        stat("in flight", "inflight"), stat("latency", "latency"), stat("TTFT", "ttft"),
        stat("req/s", "rps"), stat("429s", "rateLimited"), stat("ok / failed", "outcomes"),
      ]),
      barRow("share", "share", "share"),
      barRow("RPM left", "rpm", "budget"),
      barRow("TPM left", "tpm", "budget"),
      h("div", {}, []),
      h("div", { class: "foot" }, [h("span", { "data-field": "models" }, [e.models.join(", ")]), h("span", { "data-field": "note" }, ["req/s, last 12 s"])]),
    ]);
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 100 30");
    svg.setAttribute("preserveAspectRatio", "none");
    var area = document.createElementNS(svg.namespaceURI, "path");
    area.setAttribute("class", "area");
    var line = document.createElementNS(svg.namespaceURI, "path");
    svg.append(area, line);
    el.insertBefore(svg, el.querySelector(".foot"));
    return el;
  }
  function set(el, field, text) { var f = el.querySelector('[data-field="' + field + '"]'); if (f && f.textContent !== text) f.textContent = text; }
  function bar(el, field, percent, tone) {
    var b = el.querySelector('[data-bar="' + field + '"]');
    b.firstChild.style.width = pct(percent).toFixed(1) + "%";
    b.classList.toggle("low", tone === "low");
    b.classList.toggle("empty", tone === "empty");
  }
  function budget(el, field, bud, unit) {
    if (bud.remaining == null || !bud.capacity) { set(el, field, "unlimited"); bar(el, field, 100); return; }
    var share = (100 * bud.remaining) / bud.capacity;
    set(el, field, fmtInt(bud.remaining) + unit);
    bar(el, field, share, share < 5 ? "empty" : share < 25 ? "low" : "");
  }
  function spark(el, values) {
    var max = Math.max(1, Math.max.apply(null, values));
    var step = 100 / (HISTORY - 1);
    var offset = HISTORY - values.length;
    var pts = values.map(function (v, i) { return [(offset + i) * step, 29 - (27 * v) / max]; });
    if (pts.length < 2) return;
    var d = pts.map(function (p, i) { return (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1); }).join(" ");
    var paths = el.querySelectorAll("svg.spark path");
    paths[1].setAttribute("d", d);
    paths[0].setAttribute("d", d + " L " + pts[pts.length - 1][0].toFixed(1) + " 30 L " + pts[0][0].toFixed(1) + " 30 Z");
  }

  function render(s) {
    last = s;
    var grid = $("#endpoints");
    var totalRps = 0, totalAttempts = 0, rateLimited = 0;
    s.endpoints.forEach(function (e) { totalRps += e.requestsPerSecond; totalAttempts += e.attempts; rateLimited += e.rateLimited; });
    s.endpoints.forEach(function (e) {
      var el = cards.get(e.name);
      if (!el) { el = card(e); cards.set(e.name, el); grid.append(el); }
      el.setAttribute("data-state", e.state);
      var pill = el.querySelector(".pill");
      pill.setAttribute("data-state", e.state);
      var cooling = e.coolingUntil > s.at ? " " + Math.ceil((e.coolingUntil - s.at) / 1000) + "s" : "";
      set(el, "state", e.state + cooling);
      set(el, "inflight", fmtInt(e.inflight) + (e.concurrency != null ? " / " + e.concurrency : ""));
      set(el, "latency", fmtMs(e.latencyMs));
      set(el, "ttft", fmtMs(e.ttftMs));
      set(el, "rps", fmtRate(e.requestsPerSecond));
      set(el, "rateLimited", fmtInt(e.rateLimited));
      set(el, "outcomes", fmtInt(e.succeeded) + " / " + fmtInt(e.failed));
      var share = totalRps > 0 ? (100 * e.requestsPerSecond) / totalRps : totalAttempts > 0 ? (100 * e.attempts) / totalAttempts : 0;
      set(el, "share", Math.round(share) + "%");
      bar(el, "share", share);
      budget(el, "rpm", e.rpm, " req");
      budget(el, "tpm", e.tpm, " tok");
      var note = e.streamCircuit !== "closed" ? "stream circuit " + e.streamCircuit : e.disabledModels.length ? "off: " + e.disabledModels.join(", ") : "req/s trend";
      set(el, "note", note);
      var hist = history.get(e.name) || [];
      hist.push(e.requestsPerSecond);
      if (hist.length > HISTORY) hist.shift();
      history.set(e.name, hist);
      spark(el, hist);
    });
    set(document, "kpi-rps", fmtRate(totalRps));
    set(document, "kpi-inflight", fmtInt(s.totals.inflight));
    set(document, "kpi-queue", fmtInt(s.queue.depth));
    set(document, "kpi-ok", fmtInt(s.totals.succeeded));
    set(document, "kpi-failed", fmtInt(s.totals.failed));
    set(document, "kpi-429", fmtInt(rateLimited));
    $('[data-field="kpi-429"]').classList.toggle("warn", rateLimited > 0);
    $("#updated").textContent = "updated " + new Date(s.at).toLocaleTimeString();
  }

  var TONES = {
    "cooled-down": "warn", "circuit-opened": "bad", "circuit-half-opened": "warn", recovered: "ok",
    "endpoint-disabled": "bad", "model-disabled": "bad", "limits-learned": "info", "fallback-used": "info",
    "failed-over": "warn", retried: "warn", rejected: "bad",
  };
  function describe(e) {
    switch (e.type) {
      case "cooled-down": return e.endpoint + " cools for " + fmtMs(e.until - e.at) + (e.capped ? " (retry-after capped)" : "");
      case "circuit-opened": return e.endpoint + " " + e.scope + " circuit open (" + e.reason + ")";
      case "circuit-half-opened": return e.endpoint + " " + e.scope + " circuit half-open: probing";
      case "recovered": return e.endpoint + " serves again (" + e.scope + ")";
      case "endpoint-disabled": return e.endpoint + " disabled (" + e.reason + (e.status ? " " + e.status : "") + ")";
      case "model-disabled": return e.model + " off on " + e.endpoint + (e.status ? " (" + e.status + ")" : "");
      case "limits-learned": return e.endpoint + " limits: " + (e.rpm != null ? fmtInt(e.rpm) + " RPM " : "") + (e.tpm != null ? fmtInt(e.tpm) + " TPM" : "");
      case "fallback-used": return e.from + " → " + e.to;
      case "failed-over": return e.model + " away from " + e.from + " (" + e.reason + ")";
      case "retried": return e.model + " on " + e.endpoint + ": " + e.reason + (e.status ? " " + e.status : "") + ", attempt " + e.attempt;
      case "rejected": return "request refused: " + e.code;
      default: return e.type;
    }
  }
  function addEvent(e) {
    events.unshift(e);
    if (events.length > MAX_EVENTS) events.pop();
    var list = $("#events ol");
    var empty = $("#events .empty");
    if (empty) empty.remove();
    var text = describe(e);
    // The same event again (a burst of retries): one line with a count, so the rest stays visible.
    var top = list.firstElementChild;
    if (top && top.getAttribute("data-type") === e.type && top.querySelector(".text").textContent === text) {
      var n = Number(top.getAttribute("data-count") || "1") + 1;
      top.setAttribute("data-count", String(n));
      top.querySelector("time").textContent = new Date(e.at).toLocaleTimeString();
      var count = top.querySelector(".count") || top.querySelector(".kind").appendChild(h("span", { class: "count" }));
      count.textContent = "×" + n;
      return;
    }
    var li = h("li", { "data-type": e.type }, [
      h("time", {}, [new Date(e.at).toLocaleTimeString()]),
      h("span", { class: "kind", "data-tone": TONES[e.type] || "info" }, [e.type]),
      h("span", { class: "text" }, [text]),
    ]);
    list.prepend(li);
    while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  }

  source.addEventListener("hello", function (m) {
    var info = JSON.parse(m.data);
    $("#strategy").textContent = info.strategy + " · " + info.endpoints.length + " endpoints";
  });
  source.addEventListener("metrics", function (m) { setStatus("live"); render(JSON.parse(m.data)); });
  source.addEventListener("router-event", function (m) { addEvent(JSON.parse(m.data)); });
  source.addEventListener("closed", function () { setStatus("closed"); source.close(); });
  source.onerror = function () { if (source.readyState !== 2) setStatus("reconnecting"); };
  window.__dashboard = { last: function () { return last; }, events: function () { return events.slice(); } };
})();
`;
