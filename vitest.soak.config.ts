import { defineConfig } from "vitest/config";

// The long multi-process soak of the shared store (`npm run test:shared-soak`), kept out of `npm test`.
export default defineConfig({
  test: {
    include: ["test/**/*.soak.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
  },
});
