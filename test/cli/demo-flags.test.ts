import { describe, expect, it } from "vitest";
import { DEMO_HELP, parseDemoArgs } from "../../src/cli/demo-flags.js";
import { strategyNames } from "../../src/index.js";

describe("openai-router demo flags", () => {
  // Breaks if the defaults change without the help saying so.
  it("has the documented defaults", () => {
    expect(parseDemoArgs([])).toEqual({
      kind: "run",
      flags: {
        strategy: "least-latency",
        durationSec: 30,
        rps: 25,
        seed: 1,
        plain: false,
        web: false,
        port: 8787,
      },
    });
    expect(DEMO_HELP).toContain("(default least-latency)");
    expect(DEMO_HELP).toContain("(default 30)");
    expect(DEMO_HELP).toContain("(default 25)");
    expect(DEMO_HELP).toContain("(default 1)");
  });

  // Breaks if --help / -h is an unknown option again (it was: "Unknown option '--help'", exit 2).
  it("asks for help with --help and -h, whatever else is given", () => {
    expect(parseDemoArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseDemoArgs(["-h"])).toEqual({ kind: "help" });
    expect(parseDemoArgs(["--rps", "5", "-h"])).toEqual({ kind: "help" });
    for (const name of strategyNames) expect(DEMO_HELP).toContain(name);
    // Breaks if a help line is wider than an 80-column terminal.
    for (const line of DEMO_HELP.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(DEMO_HELP).toMatch(/--strategy <name> {3}round-robin \| least-busy/);
    for (const flag of ["--strategy", "--duration", "--rps", "--seed", "--plain", "--help"])
      expect(DEMO_HELP).toContain(flag);
  });

  // Breaks if a value out of range reaches the demo (1e9 req/s hung it; 1.5 and -1 are no seeds).
  it.each([
    ["--rps", "1e9", /--rps must be a number from 0\.1 to 500, got "1e9"/],
    ["--rps", "0", /--rps must be/],
    ["--rps", "-5", /--rps must be/],
    ["--rps", "abc", /--rps must be/],
    ["--rps", "", /--rps must be/],
    ["--seed", "1.5", /--seed must be an integer from 0 to 4294967295, got "1.5"/],
    ["--seed", "-1", /--seed must be an integer/],
    ["--seed", "1e20", /--seed must be an integer/],
    ["--duration", "-3", /--duration must be a number from 1 to 86400, got "-3"/],
    ["--duration", "Infinity", /--duration must be/],
    ["--duration", "0.5", /--duration must be/],
    ["--strategy", "fastest", /--strategy must be one of round-robin, .*got "fastest"/],
  ])("refuses %s %s with a flag error", (flag, value, message) => {
    const parsed = parseDemoArgs([flag, value]);
    expect(parsed.kind).toBe("error");
    expect(parsed.kind === "error" && parsed.message).toMatch(message);
  });

  // Breaks if values in range are refused or changed.
  it("accepts values in range", () => {
    const parsed = parseDemoArgs(["--rps", "500", "--seed", "4294967295", "--duration", "1.5", "--plain"]);
    expect(parsed).toEqual({
      kind: "run",
      flags: {
        strategy: "least-latency",
        durationSec: 1.5,
        rps: 500,
        seed: 4294967295,
        plain: true,
        web: false,
        port: 8787,
      },
    });
  });

  // Breaks if --web / --port were not parsed, or if --port alone (no dashboard to serve) were accepted.
  it("takes --web with an optional --port", () => {
    expect(parseDemoArgs(["--web"])).toMatchObject({ kind: "run", flags: { web: true, port: 8787 } });
    expect(parseDemoArgs(["--web", "--port", "0"])).toMatchObject({
      kind: "run",
      flags: { web: true, port: 0 },
    });
    expect(parseDemoArgs(["--port", "9000"])).toMatchObject({
      kind: "error",
      message: expect.stringContaining("--web"),
    });
    expect(parseDemoArgs(["--web", "--port", "70000"]).kind).toBe("error");
    expect(parseDemoArgs(["--web", "--port", "-1"]).kind).toBe("error");
    expect(DEMO_HELP).toContain("--web");
  });

  // Breaks if an unknown flag or a positional argument is accepted silently.
  it("refuses unknown flags and stray arguments", () => {
    expect(parseDemoArgs(["--rsp", "5"]).kind).toBe("error");
    expect(parseDemoArgs(["extra"]).kind).toBe("error");
  });
});
