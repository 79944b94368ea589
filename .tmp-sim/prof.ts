import http from "node:http";
import { fork } from "node:child_process";
import { startFleet } from "../src/sim/index.js";
if (process.argv[2] === "serve") {
  const bare = process.argv[3] === "bare";
  let url: string, key = "";
  let fleet: any;
  if (bare) {
    const body = JSON.stringify({ ok: true });
    const s = http.createServer((req, res) => { const c: Buffer[] = []; req.on("data", (d) => c.push(d)); req.on("end", () => { res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }); res.end(body); }); });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(s.address() as any).port}/v1`;
  } else {
    fleet = await startFleet({ seed: 1, endpoints: [{ name: "b", type: "openai", models: ["gpt-4o"] }] });
    const e = fleet.endpoint("b"); url = e.baseURL; key = e.apiKey;
  }
  process.on("message", (m) => { if (m === "cpu") { const u = process.cpuUsage(); process.send!(u.user + u.system); } else process.exit(0); });
  process.send!({ url, key });
} else {
  for (const mode of ["bare", "sim", "simstream"]) {
    const child = fork(new URL(import.meta.url).pathname, ["serve", mode === "bare" ? "bare" : "sim"], { execArgv: [...process.execArgv, ...(process.env.PROF && mode !== "bare" ? ["--cpu-prof", "--cpu-prof-dir=/work/main/.tmp-sim/prof"] : [])] });
    const e: any = await new Promise((r) => child.once("message", r));
    const cpu = () => new Promise<number>((r) => { child.once("message", (m) => r(m as number)); child.send("cpu"); });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Summarise the benefits of a single central queue." }], stream: mode === "simstream" });
    const C = 32;
    const go = async (ms: number) => { let n = 0; const end = performance.now() + ms; await Promise.all(Array.from({ length: C }, async () => { while (performance.now() < end) { await new Promise<void>((res, rej) => { const rq = http.request(e.url + "/chat/completions", { method: "POST", agent, headers: { "content-type": "application/json", authorization: "Bearer " + e.key } }, (r) => { r.resume(); r.on("end", () => res()); }); rq.on("error", rej); rq.end(body); }); n++; } })); return n; };
    await go(500);
    const c0 = await cpu(); const t0 = performance.now();
    const n = await go(3000);
    const wall = performance.now() - t0; const c1 = await cpu();
    console.log(mode, "rps", Math.round(n / wall * 1000), "sim cpu µs/req", Math.round((c1 - c0) / n), "sim cpu share", ((c1 - c0) / 1000 / wall).toFixed(2));
    child.send("stop");
    await new Promise((r) => child.once("exit", r));
  }
}
