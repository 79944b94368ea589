import { describe, expect, it } from "vitest";
import { readPeerMessage } from "../../../src/limits/shared/peer-message.js";

describe("readPeerMessage", () => {
  it("reads a cool message as the cool script publishes it", () => {
    const text = JSON.stringify({
      t: "cool",
      lane: "east",
      from: "b",
      ms: 1500,
      drain: "tokens",
      sr: 0.5,
      st: 0.25,
    });
    expect(readPeerMessage(text, "a")).toEqual({
      t: "cool",
      lane: "east",
      ms: 1500,
      drain: "tokens",
      sr: 0.5,
      st: 0.25,
    });
  });

  it("reads a limits message, keeping only numeric limits", () => {
    const text = JSON.stringify({ t: "limits", lane: "east", from: "b", rpm: 600, tpm: "lots" });
    expect(readPeerMessage(text, "a")).toEqual({ t: "limits", lane: "east", rpm: 600, tpm: undefined });
  });

  it("ignores this replica's own messages", () => {
    expect(
      readPeerMessage(JSON.stringify({ t: "cool", lane: "east", from: "a", ms: 10 }), "a"),
    ).toBeUndefined();
  });

  it("treats an unknown drain as none, so a newer peer's message cannot drain the wrong budget", () => {
    const m = readPeerMessage(
      JSON.stringify({ t: "cool", lane: "east", from: "b", ms: 10, drain: "all" }),
      "a",
    );
    expect(m).toMatchObject({ t: "cool", drain: "none", sr: undefined, st: undefined });
  });

  it.each([
    ["not JSON", "{"],
    ["null", "null"],
    ["a number", "42"],
    ["no lane", JSON.stringify({ t: "cool", from: "b", ms: 10 })],
    ["a cool without ms", JSON.stringify({ t: "cool", lane: "east", from: "b" })],
    ["an unknown type", JSON.stringify({ t: "hello", lane: "east", from: "b" })],
  ])("never throws and reads nothing from %s", (_name, text) => {
    expect(readPeerMessage(text, "a")).toBeUndefined();
  });
});
