import { describe, expect, it } from "vitest";
import { priorityHeader } from "../../src/gateway/exchange.js";

const asking = (value?: string) => ({
  headers: value === undefined ? {} : { "x-openai-router-priority": value },
});

describe("priorityHeader", () => {
  // Breaks if a client can raise its priority above its grant, or cannot lower it.
  it("lets a client lower its priority, never raise it", () => {
    expect(priorityHeader(asking(), 2)).toBe("2");
    expect(priorityHeader(asking("7"), 2)).toBe("7");
    expect(priorityHeader(asking("0"), 2)).toBe("2");
    expect(priorityHeader(asking("-5"), 2)).toBe("2");
    // Not a number: passed on, so the router answers REQUEST_INVALID with its own message.
    expect(priorityHeader(asking("soon"), 2)).toBe("soon");
  });
});
