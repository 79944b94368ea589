import { defineConfig } from "vitest/config";

// The long multi-process soak of the shared store (`npm run test:shared-soak`), kept out of `npm test`.
export default defineConfig({
  test: {
    include: ["test/**/*.soak.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // No retry: the served-rate bound (limit + 1%) must hold in every run (issue 11).
    reporters: ["default"],
  },
});
