import http from "node:http";
import { fork } from "node:child_process";
if (process.argv[2] === "serve") {
  const body = JSON.stringify({ ok: true });
  const s = http.createServer((req, res) => { const c: Buffer[] = []; req.on("data", (d) => c.push(d)); req.on("end", () => { res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }); res.end(body); }); });
  s.listen(0, "127.0.0.1", () => process.send!((s.address() as any).port));
} else {
  const child = fork(new URL(import.meta.url).pathname, ["serve"]);
  const port = await new Promise((r) => child.once("message", r));
  const url = `http://127.0.0.1:${port}/`;
  for (const C of [1, 8, 64]) {
    let n = 0; const t = performance.now(); const end = t + 2000;
    await Promise.all(Array.from({ length: C }, async () => { while (performance.now() < end) { const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: 1 }) }); await r.text(); n++; } }));
    console.log(`C=${C} fetch rps`, Math.round(n / ((performance.now() - t) / 1000)));
  }
  for (const C of [1, 8, 64]) {
    const agent = new http.Agent({ keepAlive: true });
    let n = 0; const t = performance.now(); const end = t + 2000;
    await Promise.all(Array.from({ length: C }, async () => { while (performance.now() < end) { await new Promise<void>((res, rej) => { const rq = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (r) => { r.resume(); r.on("end", () => res()); }); rq.on("error", rej); rq.end(JSON.stringify({ a: 1 })); }); n++; } }));
    console.log(`C=${C} http rps`, Math.round(n / ((performance.now() - t) / 1000)));
  }
  child.kill();
}
