import { defineConfig, type Options } from "tsup";

/**
 * The CLI imports the router and the fleet through their public entry points (`../index.js`,
 * `../sim/index.js`). Left external, the same relative paths from dist/cli/ reach dist/index.js and
 * dist/sim/index.js: the CLI runs on the package's own copy instead of bundling a second one.
 */
const publicEntries: NonNullable<Options["esbuildPlugins"]>[number] = {
  name: "cli-uses-public-entries",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/(index|sim\/index)\.js$/ }, (args) =>
      /[\\/]src[\\/]cli[\\/]/.test(args.importer) ? { path: args.path, external: true } : undefined,
    );
  },
};

/**
 * The builds: the library and `openai-router/sim` as ESM + CJS with types, and the CLI. No source
 * maps: the package ships dist/ only, and maps would point at sources it does not contain.
 * `outDir` lets the package test build a copy elsewhere without touching dist/.
 */
export function builds(outDir = "dist"): Options[] {
  return [
    {
      entry: { index: "src/index.ts", "sim/index": "src/sim/index.ts" },
      format: ["esm", "cjs"],
      dts: true,
      sourcemap: false,
      target: "node20",
      splitting: false,
      shims: true,
      outDir,
    },
    {
      entry: { "cli/index": "src/cli/index.ts" },
      format: ["esm"],
      sourcemap: false,
      target: "node20",
      banner: { js: "#!/usr/bin/env node" },
      esbuildPlugins: [publicEntries],
      outDir,
    },
  ];
}

export default defineConfig(builds());
