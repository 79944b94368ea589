import { describe, expect, it } from "vitest";
import { readOptions, readPushed } from "../../src/request/read.js";

describe("readOptions", () => {
  // Breaks if: right options are copied (garbage per request on the hot path).
  it("returns right options as they came, with no problems", () => {
    const options = { id: "x", priority: 1, timeout: 50 };
    const read = readOptions(options);
    expect(read.options).toBe(options);
    expect(read.problems).toEqual([]);
  });

  // Breaks if: one problem hides another, or a throwing getter escapes.
  it("lists every problem, keeps a usable id, and never throws", () => {
    const read = readOptions({ id: "mine", priority: Number.NaN, timeout: -1, signal: {}, affinityKey: 3 });
    expect(read.options).toEqual({ id: "mine" });
    expect(read.problems).toHaveLength(4);
    const hostile = Object.defineProperty({}, "id", {
      get() {
        throw new Error("boom");
      },
      enumerable: true,
    });
    expect(readOptions(hostile).problems[0]).toMatch(/options: could not be read \(Error: boom\)/);
    expect(readOptions(42).problems[0]).toMatch(/options: must be an object/);
  });
});

describe("readPushed", () => {
  // Breaks if: a pushed request is read into something other than one submission or one refusal.
  it("reads a right request into a submission with its options", () => {
    const body = { model: "m", input: "x" };
    const read = readPushed({ id: "r1", kind: "embeddings", body, priority: 2, timeoutMs: 100 });
    expect(read).toEqual({
      ok: true,
      op: "embeddings",
      body,
      options: { id: "r1", priority: 2, timeout: 100, signal: undefined },
    });
  });

  // Breaks if: a wrong kind, a missing id or a streamed body slips through, or the refusal loses its id/model.
  it("refuses what it cannot submit, saying why, with the id and model it could read", () => {
    const wrong = readPushed({ id: "", kind: "images", body: { model: "m" } });
    expect(wrong.ok).toBe(false);
    if (wrong.ok) return;
    expect(wrong.id).toBeUndefined();
    expect(wrong.model).toBe("m");
    expect(wrong.error.code).toBe("REQUEST_INVALID");
    expect(wrong.error.message).toMatch(/id: must be a non-empty string/);
    expect(wrong.error.message).toMatch(/kind: must be/);
    const streamed = readPushed({ id: "s", kind: "chat", body: { model: "m", stream: true } });
    expect(streamed.ok === false && streamed.id === "s" && /body\.stream/.test(streamed.error.message)).toBe(
      true,
    );
    expect(readPushed("nope").ok).toBe(false);
    expect(readPushed(null).ok).toBe(false);
  });
});
