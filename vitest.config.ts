import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // Both cores: most files wait on sockets and child processes, and one worker (the default on 2
    // cores) doubled the suite's wall time. Timing logic runs in virtual time, so this is safe.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
