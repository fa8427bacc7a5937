import { defineConfig } from "vitest/config";
import { STUBBING } from "./test/isolation";

export default defineConfig({
  test: {
    // Most integration files spend their time waiting on sockets and timers, not CPU: four
    // workers overlap those waits on a 2-core machine (98 s → 45 s idle, 66 s with both cores
    // busy), where vitest's default of one worker per spare core runs the files one at a time.
    maxWorkers: 4,
    // Worker threads rather than child processes: less to start and less memory per worker.
    pool: "threads",
    // Bounds on a failure, not on a pass: on a 2-core machine shared with other work, starting
    // a stack (services, the SDK) has taken over 60 s, and a test that records a few dozen
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
    projects: [
      {
        // Files share their worker's loaded modules: the SDK, the local stack and the CDK load
        // (and the CDK warms up, about 5 s) once per worker, not once per file. Each
        // integration file still starts its own stack on its own ports and table.
        // (vitest alone on 2 cores, idle: 156 s isolated in processes, 71 s this way.)
        extends: true,
        test: {
          name: "shared",
          include: ["test/{unit,infra,integration}/**/*.test.ts"],
          exclude: STUBBING,
          isolate: false,
        },
      },
      {
        // Child processes and a browser are `npm run test:e2e` (vitest.e2e.config.ts).
        extends: true,
        test: { name: "stubbing", include: STUBBING },
      },
    ],
  },
});
