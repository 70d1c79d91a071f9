import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    // Tests never read or fill the user's cell cache (~/.cache/ml-sim-survey/cells): a test that
    // needs a cache passes its own (test/backbone/scale.test.ts).
    env: { NO_CACHE: "1" },
  },
});
