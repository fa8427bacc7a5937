import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e`: each command run as a user runs it (child processes against a real
 * `npm start`) and the inspector page in Chromium. Slower than `npm test`, so kept apart.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    fileParallelism: false,
    // A shared, busy machine: conditions are polled for up to 10 s, never slept on.
    expect: { poll: { timeout: 10_000, interval: 100 } },
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
