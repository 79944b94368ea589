import { describe, expect, it } from "vitest";
import {
  embeddingsInputCount,
  embeddingsResponseProblem,
  validateEmbeddingsBody,
} from "../../src/operations/embeddings.js";

describe("validateEmbeddingsBody", () => {
  // Breaks if any of the four input shapes the service accepts were refused.
  it("accepts a string, strings, token ids and token-id arrays", () => {
    for (const input of ["a", ["a", "b"], [1, 2, 3], [[1], [2, 3]]])
      expect(
        validateEmbeddingsBody({ model: "e", input, dimensions: 256, encoding_format: "float" }),
      ).toEqual([]);
  });

  // Breaks if mixed or malformed inputs (what the token estimate reads) got through.
  it("lists every problem with its path", () => {
    expect(validateEmbeddingsBody({ model: "e", input: ["a", 1] })).toEqual([
      "input.1: must be a string, like the items before it",
    ]);
    expect(validateEmbeddingsBody({ model: "e", input: [1, -1, 2.5] })).toEqual([
      "input.1: must be a token id (an integer ≥ 0)",
      "input.2: must be a token id (an integer ≥ 0)",
    ]);
    expect(validateEmbeddingsBody({ model: "e", input: [[1], []] })).toEqual([
      "input.1: must be a non-empty array of token ids, like the items before it",
    ]);
    expect(validateEmbeddingsBody({ model: "e", input: [] })).toEqual(["input: must not be empty"]);
    expect(validateEmbeddingsBody({ model: "e", input: { text: "a" } })).toEqual([
      "input: must be a string, an array of strings, an array of token ids, or an array of token-id arrays",
    ]);
    expect(validateEmbeddingsBody({ input: "a", encoding_format: "hex", dimensions: 0 })).toEqual([
      'encoding_format: must be "float" or "base64"',
      "dimensions: must be a positive integer",
      "model: is required (a non-empty string)",
    ]);
  });
});

describe("embeddings answers", () => {
  it("embeddingsInputCount", () => {
    expect(embeddingsInputCount("a")).toBe(1);
    expect(embeddingsInputCount(["a", "b"])).toBe(2);
    expect(embeddingsInputCount([1, 2])).toBe(1);
    expect(embeddingsInputCount([[1], [2]])).toBe(2);
  });

  // Breaks if an answer with fewer vectors than inputs, or of someone else's shape, passed.
  it("embeddingsResponseProblem", () => {
    const ok = { object: "list", data: [{ embedding: [0.1] }, { embedding: "AAAA" }] };
    expect(embeddingsResponseProblem(ok, 2)).toBeUndefined();
    expect(embeddingsResponseProblem(ok, 3)).toBe("2 vector(s) for 3 input(s)");
    expect(embeddingsResponseProblem({ data: "x" }, 1)).toBe("no `data` array");
    expect(embeddingsResponseProblem({ data: [{}] }, 1)).toBe("an entry without an `embedding`");
    expect(embeddingsResponseProblem("<html>", 1)).toBe("not a JSON object (a string of 6 characters)");
  });
});
