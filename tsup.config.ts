import { defineConfig, type Options } from "tsup";

/**
 * The builds. ESM: the library, `openai-router/sim` and the CLI in one build with code splitting,
 * so the CLI runs on the same chunks as the library (one copy of the router in the package, not a
 * second one bundled into the CLI; the CLI's shebang comes from src/cli/index.ts). CJS: the library
 * and the sim. Types for both. No source maps: the package ships dist/ only, and maps would point
 * at sources it does not contain. `outDir` lets the package test build a copy elsewhere.
 */
export function builds(outDir = "dist"): Options[] {
  const common = { target: "node20", sourcemap: false, shims: true, outDir } as const;
  const library = { index: "src/index.ts", "sim/index": "src/sim/index.ts" };
  return [
    {
      ...common,
      entry: { ...library, "cli/index": "src/cli/index.ts" },
      format: ["esm"],
      splitting: true,
      dts: { entry: library },
    },
    {
      ...common,
      entry: library,
      format: ["cjs"],
      splitting: false,
      dts: { entry: library },
    },
  ];
}

export default defineConfig(builds());
