import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StackStartError, spawnStack } from "../../bench/spawned-stack";

/**
 * A spawned `npm start` that never becomes ready is killed, not left running: here a checkout
 * whose start script hangs without printing its URLs.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "at-spawned-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a spawned stack that never becomes ready", () => {
  it("is killed before spawnStack gives up on it", async () => {
    const checkout = join(work, "checkout");
    mkdirSync(join(checkout, "scripts"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(checkout, "node_modules"));
    writeFileSync(
      join(checkout, "scripts", "start.ts"),
      'console.log("starting, slowly");\nsetInterval(() => undefined, 1_000);\n',
    );
    const failure = await spawnStack(work, [], {}, checkout, 2_000).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StackStartError);
    const { pid, message } = failure as StackStartError;
    expect(message).toMatch(/never printed/);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid as number)).toBe(false);
  });
});
