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
    testTimeout: 20_000,
    hookTimeout: 30_000,
    env: {
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
