import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordsOf, type SpawnedStack, spawnStack } from "../../bench/spawned-stack";
import { routePath } from "../support/local";

/**
 * `npm start` reloads what changes under functions/: run on a copy of the checkout (never an
 * edit of this one), a menu's text is edited while it serves; the next USSD hop shows the new
 * text, and what was queued, recorded and seen by the inspector is still there.
 */
const KEY = "reload-key-0123456789";
const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "at-reload-"));
const checkout = join(work, "checkout");
for (const part of ["functions", "local", "scripts", "bench", "package.json", "tsconfig.json"]) {
  cpSync(join(root, part), join(checkout, part), { recursive: true });
}
symlinkSync(join(root, "node_modules"), join(checkout, "node_modules"));
const menuFile = join(checkout, "functions/engines/ussd/default-menu.ts");
const original = readFileSync(menuFile, "utf8");
const running: SpawnedStack[] = [];

const start = async (args: string[] = []) => {
  // A folder of its own per run, for its .local/ state.
  const cwd = mkdtempSync(join(work, "run-"));
  const stack = await spawnStack(cwd, ["--port", "0", ...args], { CALLBACK_KEY: KEY }, checkout);
  running.push(stack);
  return stack;
};

let session = 0;
const firstScreen = async (stack: SpawnedStack) => {
  const response = await fetch(`${stack.url}${routePath("ussd-session")}?key=${KEY}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `sessionId=ATUid_reload${++session}&serviceCode=*384*1%23&phoneNumber=%2B254711000801&text=&networkCode=63902`,
  });
  expect(response.status).toBe(200);
  return response.text();
};

/** Changes the home screen's text (not the file's comment, which quotes it too). */
const editMenu = (from: string, to: string) => {
  const source = readFileSync(menuFile, "utf8");
  expect(source).toContain(`text: "${from}"`);
  writeFileSync(menuFile, source.replace(`text: "${from}"`, `text: "${to}"`));
};

beforeAll(() => writeFileSync(menuFile, original));
afterAll(async () => {
  for (const stack of running) {
    stack.child.kill("SIGKILL");
    await stack.exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe("npm start reloads functions/ on save", () => {
  it("serves an edited menu from the next hop, keeping records and the inspector's history", async () => {
    const stack = await start();
    expect(await firstScreen(stack)).toContain("CON What would you want to check");
    const since = new Date(Date.now() - 60_000).toISOString();
    const sms = await fetch(`${stack.url}${routePath("sms-twoway")}?key=${KEY}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "from=%2B254711000802&to=20880&text=before+the+edit&id=ATXid_reload1&date=2026-11-30+10%3A30%3A00",
    });
    expect(sms.status).toBe(200);

    const edited = Date.now();
    editMenu("What would you want to check", "Pick what to check");
    const [line = ""] = await stack.waitForOutput(
      /\[reload\] functions\/\S+default-menu\.ts: serving the new code \(\d+ ms\)/,
      60_000,
    );
    const seenAfter = Date.now() - edited;
    expect(await firstScreen(stack)).toContain("CON Pick what to check");
    console.log(`reload: ${line} — seen ${seenAfter} ms after the save`);

    // The SMS queued before the reload is recorded, once; the inspector still lists it.
    await expect
      .poll(async () => (await recordsOf(stack, "sms.incoming", since)).map((r) => r.id), {
        timeout: 15_000,
      })
      .toEqual(["ATXid_reload1"]);
    const history = (await (await fetch(`${stack.state.inspectorUrl}/api/exchanges`)).json()) as {
      route: string;
    }[];
    expect(history.map((e) => e.route)).toEqual(["ussd-session", "sms-twoway", "ussd-session"]);

    // A syntax error: one line saying where, and the last good code keeps serving.
    editMenu("Pick what to check", 'Pick what to check", (');
    const [failure = ""] = await stack.waitForOutput(
      /\[reload\] [^\n]*still serving the last good code\n/,
      60_000,
    );
    expect(failure).toMatch(
      /^\[reload\] functions\/engines\/ussd\/default-menu\.ts: functions\/engines\/ussd\/default-menu\.ts:\d+:\d+: [^\n]+; still serving the last good code\n$/,
    );
    expect(await firstScreen(stack)).toContain("CON Pick what to check");

    // Fixed again: served again.
    editMenu('Pick what to check", (', "Choose what to check");
    await expect
      .poll(() => firstScreen(stack), { timeout: 60_000, interval: 200 })
      .toContain("CON Choose what to check");
  }, 300_000);

  it("--no-watch serves the code as it was at start", async () => {
    writeFileSync(menuFile, original);
    const stack = await start(["--no-watch"]);
    editMenu("What would you want to check", "Never served");
    // Longer than a reload takes on this machine (above), then the old text still answers.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await firstScreen(stack)).toContain("CON What would you want to check");
    expect(stack.output()).not.toContain("[reload]");
  }, 240_000);
});
