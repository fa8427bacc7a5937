/**
 * Test files that replace modules, globals or the environment (vi.mock, spies, nock, env
 * stubs). Vitest runs each of these in a fresh module graph; every other file shares its
 * worker's loaded modules with the files before it (vitest.config.ts), which is safe only for
 * files that change nothing outside themselves. `test/unit/isolation.test.ts` keeps this list
 * complete.
 */
export const STUBBING = [
  "test/infra/sdk-stubs.test.ts",
  "test/integration/callback-key.test.ts",
  "test/integration/events-publish.test.ts",
  "test/integration/interactive.test.ts",
  "test/integration/recorder.test.ts",
  "test/integration/replies-worker.test.ts",
  "test/integration/replies.test.ts",
  "test/integration/time-budget.test.ts",
  "test/unit/http-api-events.test.ts",
  "test/unit/replies-bundles.test.ts",
  "test/unit/voice-failure-log.test.ts",
];

/** What makes a file one of them. */
export const STUBS = [
  /\bvi\.(mock|doMock|hoisted|spyOn|stubGlobal|stubEnv|resetModules)\(/,
  /from "nock"/,
  /\bprocess\.env(\.\w+|\[[^\]]+\])\s*=[^=]/,
  /\bdelete process\.env\b/,
];
