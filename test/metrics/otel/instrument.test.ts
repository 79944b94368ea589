import { afterEach, describe, expect, it } from "vitest";
import { body, closeAll, setup, written } from "./rig.js";

/** The instrument's contract with the router: it works after the outcome, not on the request's path. */

afterEach(closeAll);

describe("instrument", () => {
  // Breaks if the SDK's work ran on the request's path (before the caller had its answer) instead of
  // right after it.
  it("writes spans after the caller has its answer, not before", async () => {
    const { router, sdk } = await setup();
    await router.chat.completions.create(body("first"));
    expect(sdk.finished()).toHaveLength(0);
    await written();
    expect(sdk.finished().map((s) => s.name)).toEqual(["chat gpt-4o via east", "chat gpt-4o"]);
  });
});
