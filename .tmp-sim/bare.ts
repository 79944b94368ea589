import http from "node:http";
const body = JSON.stringify({ ok: true });
const s = http.createServer((req, res) => { const c: Buffer[] = []; req.on("data", (d) => c.push(d)); req.on("end", () => { res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }); res.end(body); }); });
await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
const url = `http://127.0.0.1:${(s.address() as any).port}/`;
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  for (let i = 0; i < 200; i++) { const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: 1 }) }); await r.text(); }
  console.log("bare fetch seq ms/req", (performance.now() - t) / 200);
}
s.close(); s.closeAllConnections();
