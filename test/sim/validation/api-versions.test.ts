import { describe, expect, it } from "vitest";
import { AZURE_API_VERSIONS, checkAzureApiVersion } from "../../../src/sim/validation/api-versions.js";

describe("checkAzureApiVersion", () => {
  // Breaks if a version that exists is refused, or a made-up one accepted, on either surface.
  it("accepts the published versions and refuses others with Azure's BadRequest", () => {
    for (const v of AZURE_API_VERSIONS) expect(checkAzureApiVersion(v, false)).toBeUndefined();
    expect(checkAzureApiVersion("2024-10-21", true)).toBeUndefined();
    for (const v of ["v1", "preview", "latest"]) {
      expect(checkAzureApiVersion(v, true)).toBeUndefined();
      expect(checkAzureApiVersion(v, false)).toBeDefined();
    }
    const bad = checkAzureApiVersion("2024-10-22", false)!;
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({
      error: { code: "BadRequest", message: "API version not supported" },
    });
  });
});
