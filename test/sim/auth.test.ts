import { describe, expect, it } from "vitest";
import { type AuthConfig, checkAuth } from "../../src/sim/auth.js";

const openai: AuthConfig = { flavor: "openai", apiKey: "k", bearerPrefix: null };
const azure: AuthConfig = { flavor: "azure", apiKey: "k", bearerPrefix: "sim-entra-" };

describe("checkAuth", () => {
  it("openai.com: Bearer KEY only", () => {
    expect(checkAuth(openai, { authorization: "Bearer k" })).toBe("ok");
    expect(checkAuth(openai, { authorization: "bearer k" })).toBe("ok");
    expect(checkAuth(openai, { authorization: "Bearer x" })).toBe("invalid");
    expect(checkAuth(openai, { authorization: "Bearer sim-entra-x" })).toBe("invalid");
    expect(checkAuth(openai, { "api-key": "k" })).toBe("missing");
    expect(checkAuth(openai, {})).toBe("missing");
  });

  it("Azure: api-key decides when present; otherwise Bearer key or Entra prefix", () => {
    expect(checkAuth(azure, { "api-key": "k" })).toBe("ok");
    expect(checkAuth(azure, { "api-key": "x", authorization: "Bearer k" })).toBe("invalid");
    expect(checkAuth(azure, { authorization: "Bearer k" })).toBe("ok");
    expect(checkAuth(azure, { authorization: "Bearer sim-entra-token" })).toBe("ok");
    expect(checkAuth(azure, { authorization: "Bearer other" })).toBe("invalid");
    expect(checkAuth({ ...azure, bearerPrefix: null }, { authorization: "Bearer sim-entra-token" })).toBe(
      "invalid",
    );
  });
});
