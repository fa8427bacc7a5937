import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Child processes and a browser: `npm run test:e2e`.
    exclude: ["test/e2e/**", "node_modules/**"],
    // Most integration files spend their time waiting on sockets and timers, not CPU: four
    // workers overlap those waits on a 2-core machine (98 s → 45 s idle, 66 s with both cores
    // busy), where vitest's default of one worker per spare core runs the files one at a time.
    maxWorkers: 4,
    // Bounds on a failure, not on a pass: on a 2-core machine shared with other work, starting
    // a stack (services, tsx, the SDK) has taken over 60 s, and a test that records a few dozen
    // callbacks over 90 s; a message whose call timed out comes back after the deployed
    // visibility timeout (180 s), which waitUntilIdle waits out. Waits inside tests poll for a
    // condition and return as soon as it holds.
    testTimeout: 300_000,
    expect: { poll: { timeout: 30_000, interval: 100 } },
    hookTimeout: 180_000,
    env: {
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
