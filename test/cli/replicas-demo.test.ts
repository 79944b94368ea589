import { describe, expect, it } from "vitest";
import { parseReplicasArgs, REPLICAS_HELP } from "../../src/cli/replicas-demo.js";

describe("demo --replicas flags", () => {
  // Breaks if a flag is accepted out of range, or its error does not name the flag.
  it("parses --replicas, --duration, --rps, --plain and names a bad one", () => {
    expect(parseReplicasArgs(["--replicas", "4"])).toEqual({
      replicas: 4,
      durationSec: 30,
      rps: undefined,
      plain: false,
    });
    expect(parseReplicasArgs(["--replicas=3", "--duration", "10", "--rps", "12.5", "--plain"])).toEqual({
      replicas: 3,
      durationSec: 10,
      rps: 12.5,
      plain: true,
    });
    expect(parseReplicasArgs(["--replicas", "1"])).toMatch(/--replicas must be an integer from 2 to 16/);
    expect(parseReplicasArgs(["--replicas", "4", "--duration", "2"])).toMatch(/--duration/);
    expect(parseReplicasArgs(["--replicas", "4", "--strategy", "x"])).toMatch(/with --replicas/);
  });

  // Breaks if a help line is wider than an 80-column terminal.
  it("fits its help in 80 columns", () => {
    for (const line of REPLICAS_HELP.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(80);
  });
});
