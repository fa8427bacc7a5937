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
  "test/unit/replies-rules.test.ts",
  "test/unit/voice-failure-log.test.ts",
];

/**
 * What makes a file one of them. The helpers in test/support/ that change a global (captureLogs
 * spies on stdout) restore it before they return, so the files that use them may share.
 */
export const STUBS = [
  /\bvi\s*\.\s*(mock|doMock|hoisted|spyOn|stubGlobal|stubEnv|resetModules|useFakeTimers)\s*\(/,
  /from "nock"/,
  /\bprocess\.env(\.\w+|\[[^\]]+\])\s*=[^=]/,
  /\bdelete process\.env\b/,
  /\bObject\.assign\(\s*process\.env\b/,
  /\b(globalThis|process\.std(out|err))\.\w+\s*=[^=]/,
];
