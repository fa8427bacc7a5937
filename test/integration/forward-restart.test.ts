import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateSigningSecret } from "../../functions/forward/signature";
import { type LocalStack, startLocalStack } from "../../local/stack";
import { routePath, TEST_KEY } from "../support/local";
import { listen, webhookReceiver } from "../support/webhook-receiver";

/**
 * `npm start --data-dir … --forward-to …` stopped while an event waits for its endpoint: the
 * event is delivered after the restart, also when a run in between had no --forward-to.
 */
const secret = generateSigningSecret();
const dataDir = mkdtempSync(join(tmpdir(), "at-forward-restart-"));
let up = false;
const attempts: { id: string; type: string; status: number }[] = [];
const badSignatures: string[] = [];
const receiver = webhookReceiver(
  secret,
  ({ id, event }) => {
    const status = up ? 200 : 503;
    attempts.push({ id, type: event.type, status });
    return status;
  },
  (message) => badSignatures.push(message),
);
let forwardTo = "";
let stack: LocalStack | undefined;

const start = (settings: Record<string, string>) =>
  startLocalStack({ port: 0, callbackKey: TEST_KEY, dataDir, settings });

beforeAll(async () => {
  forwardTo = `crm=http://127.0.0.1:${await listen(receiver)}/crm`;
});
afterAll(async () => {
  await stack?.stop();
  receiver.closeAllConnections();
  receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it("delivers an event that waited for its endpoint across restarts", async () => {
  stack = await start({ FORWARD_TO: forwardTo, FORWARD_SECRET: secret });
  const sent = await fetch(`${stack.url}${routePath("sms-twoway")}?key=${TEST_KEY}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "from=%2B254711000931&to=20880&text=kept&id=ATXid_restart1&date=2026-12-06+10%3A00%3A00",
  });
  expect(sent.status).toBe(200);
  // The endpoint is down: the event waits on its queue for the next attempt.
  await expect
    .poll(() => attempts.filter((a) => a.type === "sms.incoming").length, { timeout: 30_000 })
    .toBeGreaterThan(0);
  const [{ id } = { id: "" }] = attempts;
  await stack.stop();

  // A run without the endpoint leaves its events alone.
  stack = await start({});
  await stack.stop();

  up = true;
  stack = await start({ FORWARD_TO: forwardTo, FORWARD_SECRET: secret });
  await expect
    .poll(() => attempts.filter((a) => a.id === id && a.status === 200).length, {
      timeout: 30_000,
    })
    .toBe(1);
  expect(badSignatures).toEqual([]);
});
