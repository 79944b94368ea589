import { describe, expect, it } from "vitest";
import type { Job } from "../../src/dispatch/job.js";
import { ModelQueues, type WaitLine } from "../../src/dispatch/model-queues.js";

/** Builds jobs with increasing `seq`, as the router does. */
function jobs() {
  let seq = 0;
  return (id: string, model: string, priority = 0, enqueuedAt = 0, kind: Job["kind"] = "chat"): Job => ({
    id,
    kind,
    body: { model, messages: [{ role: "user", content: id }] },
    op: kind === "embeddings" ? "embeddings" : "chat",
    pin: undefined,
    prefer: undefined,
    model,
    requestedModel: model,
    tokens: 10,
    deadline: Number.POSITIVE_INFINITY,
    timeoutMs: 600_000,
    signal: undefined,
    attempts: [],
    avoid: undefined,
    fallbacks: [],
    state: "queued",
    queuedAt: enqueuedAt,
    priority,
    seq: seq++,
    enqueuedAt,
  });
}

/** Line name in test output: the model, with " (streams)" for a stream line. */
const nameOf = (line: WaitLine) => `${line.model}${line.streams ? " (streams)" : ""}`;

/** Shifts everything from every line, the way the dispatcher does, and returns the ids per line. */
function drainAll(queues: ModelQueues, now = 0): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of [...queues.ranked(now)]) {
    const ids: string[] = [];
    for (let job = line.queue.shift(now); job; job = line.queue.shift(now)) {
      queues.shifted();
      ids.push(job.id);
    }
    out[nameOf(line)] = ids;
  }
  return out;
}

describe("ModelQueues", () => {
  it("is empty at first", () => {
    const queues = new ModelQueues(10_000);
    expect(queues.size).toBe(0);
    expect(queues.ranked(0)).toEqual([]);
    expect(queues.sizesByPriority()).toEqual({});
    expect(queues.sizesByModel()).toEqual({});
  });

  it("keeps one queue per model and counts the total", () => {
    const make = jobs();
    const queues = new ModelQueues(10_000);
    queues.push(make("a1", "gpt-4o"));
    queues.push(make("b1", "gpt-4o-mini"));
    queues.push(make("a2", "gpt-4o"));
    expect(queues.size).toBe(3);
    expect(queues.sizesByModel()).toEqual({ "gpt-4o": 2, "gpt-4o-mini": 1 });
    const waiting = queues.ranked(0);
    expect(waiting.map(nameOf)).toEqual(["gpt-4o", "gpt-4o-mini"]);
    expect(waiting[0]!.queue.size).toBe(2);
    expect(waiting[1]!.queue.size).toBe(1);
  });

  it("orders strictly within a model (priority, then FIFO) and independently across models", () => {
    const make = jobs();
    const queues = new ModelQueues(10_000);
    queues.push(make("a-low", "a", 5));
    queues.push(make("b-1", "b", 1));
    queues.push(make("a-high", "a", 0));
    queues.push(make("a-high-2", "a", 0));
    queues.push(make("b-0", "b", 0));
    expect(drainAll(queues)).toEqual({ a: ["a-high", "a-high-2", "a-low"], b: ["b-0", "b-1"] });
    expect(queues.size).toBe(0);
  });

  it("a blocked head of one model does not hide another model's head", () => {
    const make = jobs();
    const queues = new ModelQueues(10_000);
    queues.push(make("a-blocked", "a", 0));
    queues.push(make("b-ready", "b", 9));
    const heads = queues.ranked(0).map((line) => [line.model, line.queue.peek(0)?.id]);
    expect(heads).toEqual([
      ["a", "a-blocked"],
      ["b", "b-ready"],
    ]);
  });

  it("ranks lines by their heads: effective priority (with aging), then arrival", () => {
    const make = jobs();
    const queues = new ModelQueues(1_000);
    queues.push(make("a-late", "a", 0, 500));
    queues.push(make("b-early", "b", 0, 0)); // pushed later, but waited longer: aged further
    queues.push(make("c-urgent", "c", -1, 900));
    queues.push(make("d-old-low", "d", 2, -5_000)); // aged: 2 - 6 = -4 at t = 1000
    expect(queues.ranked(1_000).map((l) => l.queue.peek(1_000)?.id)).toEqual([
      "d-old-low", // 2 - 6 = -4
      "c-urgent", // -1 - 0.1
      "b-early", // 0 - 1
      "a-late", // 0 - 0.5
    ]);
  });

  it("streams wait in a line of their own, so a blocked stream does not hold up plain calls", () => {
    const make = jobs();
    const queues = new ModelQueues(10_000);
    const stream = make("s1", "a", 0, 0, "stream");
    queues.push(stream);
    queues.push(make("c1", "a"));
    queues.push(make("s2", "a", 0, 0, "stream"));
    expect(queues.lineOf(stream)?.streams).toBe(true);
    expect(queues.sizesByModel()).toEqual({ a: 3 });
    expect(drainAll(queues)).toEqual({ "a (streams)": ["s1", "s2"], a: ["c1"] });
  });

  it("passes agingMs to each model's queue", () => {
    const make = jobs();
    const queues = new ModelQueues(1_000);
    queues.push(make("old-low", "a", 2, 0));
    queues.push(make("new-high", "a", 0, 5_000));
    expect(queues.ranked(5_000)[0]?.queue.peek(5_000)?.id).toBe("old-low");
  });

  it("ranked() skips lines whose queue is empty", () => {
    const make = jobs();
    const queues = new ModelQueues(10_000);
    const a = make("a1", "a");
    queues.push(a);
    queues.push(make("b1", "b"));
    queues.remove(a);
    expect(queues.ranked(0).map(nameOf)).toEqual(["b"]);
    expect(queues.sizesByModel()).toEqual({ b: 1 });
  });

  describe("remove", () => {
    it("removes a waiting job from its model's queue and keeps the total exact", () => {
      const make = jobs();
      const queues = new ModelQueues(10_000);
      const a1 = make("a1", "a");
      const a2 = make("a2", "a");
      const b1 = make("b1", "b");
      for (const job of [a1, a2, b1]) queues.push(job);
      expect(queues.remove(a1)).toBe(true);
      expect(queues.size).toBe(2);
      expect(queues.remove(a1)).toBe(false);
      expect(queues.size).toBe(2);
      expect(drainAll(queues)).toEqual({ a: ["a2"], b: ["b1"] });
      expect(queues.size).toBe(0);
    });

    it("returns false for a job of an unknown model, or one never pushed, or already shifted", () => {
      const make = jobs();
      const queues = new ModelQueues(10_000);
      expect(queues.remove(make("x", "unknown"))).toBe(false);
      const a = make("a", "a");
      queues.push(a);
      expect(queues.remove(make("other", "a"))).toBe(false);
      drainAll(queues);
      expect(queues.remove(a)).toBe(false);
      expect(queues.size).toBe(0);
    });

    it("a job removed and then pushed for a fallback model waits in that model's queue", () => {
      const make = jobs();
      const queues = new ModelQueues(10_000);
      const job = make("j", "a");
      queues.push(job);
      expect(queues.remove(job)).toBe(true);
      job.model = "b";
      queues.push(job);
      expect(queues.sizesByModel()).toEqual({ b: 1 });
      expect(drainAll(queues)).toEqual({ b: ["j"] });
    });

    it("a job removed and then pushed back to the same model is served", () => {
      const make = jobs();
      const queues = new ModelQueues(10_000);
      const job = make("j", "a");
      queues.push(job);
      queues.push(make("k", "a"));
      expect(queues.remove(job)).toBe(true);
      queues.push(job);
      expect(queues.size).toBe(2);
      expect(drainAll(queues)).toEqual({ a: ["j", "k"] }); // back at its arrival place
      expect(queues.size).toBe(0);
    });
  });

  it("sizesByPriority sums over all models", () => {
    const make = jobs();
    const queues = new ModelQueues(10_000);
    queues.push(make("a0", "a", 0));
    queues.push(make("a1", "a", 1));
    queues.push(make("b0", "b", 0));
    queues.push(make("b0'", "b", 0));
    const c = make("c2", "c", 2);
    queues.push(c);
    expect(queues.sizesByPriority()).toEqual({ "0": 3, "1": 1, "2": 1 });
    queues.remove(c);
    expect(queues.sizesByPriority()).toEqual({ "0": 3, "1": 1 });
  });

  it("shifted() keeps the total in step with shifts done through a line's queue", () => {
    const make = jobs();
    const queues = new ModelQueues(10_000);
    for (let i = 0; i < 5; i++) queues.push(make(`a${i}`, "a"));
    for (let i = 0; i < 3; i++) queues.push(make(`b${i}`, "b"));
    const qa = queues.ranked(0)[0]!.queue;
    qa.shift(0);
    queues.shifted();
    qa.shift(0);
    queues.shifted();
    expect(queues.size).toBe(6);
    expect(queues.sizesByModel()).toEqual({ a: 3, b: 3 });
    const total = Object.values(queues.sizesByModel()).reduce((x, y) => x + y, 0);
    expect(total).toBe(queues.size);
  });
});
