import { describe, expect, it } from "vitest";
import { AccessLog, type AccessLogEntry } from "../../src/gateway/access-log.js";

const entry = (id: string): AccessLogEntry => ({
  time: "2026-01-01T00:00:00.000Z",
  id,
  client: "web",
  method: "POST",
  path: "/v1/chat/completions",
  model: "gpt-4o",
  stream: false,
  endpoint: "east",
  status: 200,
  latencyMs: 1.5,
  promptTokens: 8,
  completionTokens: 16,
  totalTokens: 24,
  code: null,
});

describe("AccessLog", () => {
  // Breaks if each request costs its own write, or lines are lost or merged.
  it("batches the lines of one event-loop turn into one write, one JSON line each", async () => {
    const writes: string[] = [];
    const log = new AccessLog({ write: (t) => writes.push(t) });
    log.write(entry("a"));
    log.write(entry("b"));
    expect(writes).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    const lines = (writes[0] as string).trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as AccessLogEntry).id)).toEqual(["a", "b"]);
  });

  // Breaks if a burst is buffered without bound until the turn ends.
  it("writes at once past 64 KiB", () => {
    const writes: string[] = [];
    const log = new AccessLog({ write: (t) => writes.push(t) });
    for (let i = 0; i < 400 && writes.length === 0; i++) log.write(entry(`r${i}`.padEnd(200, "x")));
    expect(writes).toHaveLength(1);
    expect((writes[0] as string).length).toBeGreaterThanOrEqual(65_536);
    log.flush();
  });
});
