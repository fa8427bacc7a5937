import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningSecret } from "../../functions/forward/signature";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsx = pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href;
const secret = generateSigningSecret();

/** The example receivers, run as a user runs them, each on a free port. */
const receivers = [
  [
    "Node (standardwebhooks)",
    process.execPath,
    ["--import", tsx, "examples/receivers/receiver.ts"],
  ],
  ["Python (standard library)", "python3", ["examples/receivers/receiver.py"]],
] as const;

interface Running {
  child: ChildProcess;
  url: string;
  handled: () => string[];
}

function start(command: string, args: readonly string[]): Promise<Running> {
  const child = spawn(command, [...args], {
    cwd: root,
    env: { ...process.env, FORWARD_SECRET: secret, PORT: "0" },
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 30_000);
    child.stdout?.on("data", () => {
      const port = /listening on (\d+)/.exec(out)?.[1];
      if (!port) return;
      clearTimeout(timer);
      resolve({
        child,
        url: `http://127.0.0.1:${port}/hook`,
        handled: () => [...out.matchAll(/"handled": ?"([^"]+)"/g)].map((m) => m[1] ?? ""),
      });
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

const event = (id: string) =>
  JSON.stringify({
    id,
    type: "sms.incoming",
    version: 1,
    receivedAt: "2026-12-06T10:00:00.000Z",
    stage: "local",
    data: { text: "Habari 👋" },
  });

/** Headers signed by the standardwebhooks package itself, at `at`. */
function signed(id: string, body: string, at = new Date(), key = secret) {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(key).sign(id, at, body),
  };
}

describe.each(receivers)("the %s example receiver", (_, command, args) => {
  let receiver: Running;
  beforeAll(async () => {
    receiver = await start(command, args);
  }, 40_000);
  afterAll(() => {
    receiver?.child.kill();
  });
  const post = (headers: Record<string, string>, body: string) =>
    fetch(receiver.url, { method: "POST", headers, body });

  it("accepts a valid delivery, and handles a redelivered id once", async () => {
    const body = event("evt_valid");
    expect((await post(signed("evt_valid", body), body)).status).toBe(204);
    expect((await post(signed("evt_valid", body), body)).status).toBe(204);
    await expect.poll(() => receiver.handled()).toEqual(["evt_valid"]);
  });

  it("accepts either signature while a rotated secret overlaps", async () => {
    const body = event("evt_rotated");
    const headers = signed("evt_rotated", body);
    const other = new Webhook(generateSigningSecret()).sign("evt_rotated", new Date(), body);
    headers["webhook-signature"] = `${other} ${headers["webhook-signature"]}`;
    expect((await post(headers, body)).status).toBe(204);
  });

  it("refuses a tampered body, a wrong secret and a stale timestamp", async () => {
    const body = event("evt_refused");
    const tampered = body.replace("Habari", "Hacked");
    expect((await post(signed("evt_refused", body), tampered)).status).toBe(401);
    const wrong = signed("evt_refused", body, new Date(), generateSigningSecret());
    expect((await post(wrong, body)).status).toBe(401);
    const stale = signed("evt_refused", body, new Date(Date.now() - 6 * 60_000));
    const answer = await post(stale, body);
    expect(answer.status).toBe(401);
    expect(await answer.text()).toMatch(/timestamp/i);
    expect(receiver.handled()).not.toContain("evt_refused");
  });
});
