import fs from "node:fs";
for (const f of fs.readdirSync(".tmp-sim/prof")) {
  const p = JSON.parse(fs.readFileSync(".tmp-sim/prof/" + f));
  const self = new Map(); const byId = new Map(p.nodes.map(n => [n.id, n]));
  const dt = {}; p.samples.forEach((s, i) => { dt[s] = (dt[s] || 0) + (p.timeDeltas[i] || 0); });
  let total = 0;
  for (const n of p.nodes) { const t = dt[n.id] || 0; total += t; const k = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) || 0) + t); }
  console.log(f, "total ms", Math.round(total / 1000));
  [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).forEach(([k, v]) => console.log((v / total * 100).toFixed(1).padStart(5), k));
}
