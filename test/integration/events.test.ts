import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventId, REPLY_EVENT_TYPES } from "../../functions/events/event";
import { generateSigningSecret } from "../../functions/forward/signature";
import { CALLBACK_TYPES } from "../../functions/model/callbacks";
import { ROUTES } from "../../functions/routes";
import { replyKey } from "../../functions/table/keys";
import { committedSchemaValidator, subscribeQueue } from "../support/events";
import { allFixtures, INVALID_VARIANT, loadFixture } from "../support/fixtures";
import { startTestStack, type TestStack } from "../support/local";
import { runScript } from "../support/run-script";

/**
 * Events out, over HTTP: the local stack as `npm start` runs it, with a consumer's queues
 * subscribed to the events topic the way docs/events.md tells users to.
 */
let local: TestStack;
let all: Awaited<ReturnType<typeof subscribeQueue>>;
let repliesOnly: Awaited<ReturnType<typeof subscribeQueue>>;
const validate = committedSchemaValidator();

beforeAll(async () => {
  local = await startTestStack();
  const { services } = local.stack;
  all = await subscribeQueue(services, local.sqs, "consumer-all");
  repliesOnly = await subscribeQueue(services, local.sqs, "consumer-replies", REPLY_EVENT_TYPES);
});
afterAll(async () => {
  await local.stop();
});

const valid = allFixtures().filter((f) => !INVALID_VARIANT.test(f.variant));

describe("events flow out of the local stack", () => {
  it("publishes one event per new record of a mixed batch on all 11 routes, each valid against its committed schema", async () => {
    expect(new Set(valid.map((f) => f.route))).toEqual(new Set(ROUTES.map((r) => r.name)));
    for (const fixture of valid) {
      const res = await local.postFixture(fixture);
      expect(res.status, `${fixture.route}/${fixture.variant}`).toBeLessThan(300);
    }
    await local.waitUntilIdle("all");
    const events = await all.drain();

    const records = (await local.records()).filter((r) => r.type !== "sms.reply");
    expect(new Set(records.map((r) => r.type))).toEqual(new Set(CALLBACK_TYPES));
    const recordEvents = events.filter(({ event }) => event.type !== "sms.reply.sent");
    // Exactly one per record: same ids, none twice.
    expect(recordEvents.map(({ event }) => event.id).sort()).toEqual(
      records.map((r) => eventId(r, "record")).sort(),
    );
    for (const record of records) {
      const found = recordEvents.find(({ event }) => event.id === eventId(record, "record"));
      expect(found?.event).toEqual({
        id: eventId(record, "record"),
        type: record.type,
        version: 1,
        receivedAt: record.receivedAt,
        stage: "local",
        data: record.payload,
      });
      expect(found?.typeAttribute).toBe(record.type);
    }
    // Each incoming SMS got its reply through the local outbox: one sent event each.
    const incoming = records.filter((r) => r.type === "sms.incoming");
    const sent = events.filter(({ event }) => event.type === "sms.reply.sent");
    expect(sent.map(({ event }) => event.data.inboundId).sort()).toEqual(
      incoming.map((r) => r.id).sort(),
    );
    for (const { event } of events) expect(validate(event), event.type).toBeUndefined();

    // A filter policy on `type` gets its types, and only them.
    const filtered = await repliesOnly.drain();
    expect(filtered.map(({ event }) => event.id).sort()).toEqual(
      sent.map(({ event }) => event.id).sort(),
    );
  }, 180_000);

  it("publishes an AT retry's event again with the same id, and writes nothing new", async () => {
    const fixture = loadFixture("sms-delivery-reports", "success");
    const before = await local.records({ type: "sms.delivery" });
    await all.drain(300);
    const res = await local.postFixture(fixture);
    expect(res.status).toBe(200);
    await local.waitUntilIdle("events");
    const again = await all.drain();
    expect(await local.records({ type: "sms.delivery" })).toEqual(before);
    const record = before.find((r) => r.payload.status === "Success");
    if (!record) throw new Error("no Success report recorded");
    expect(again.map(({ event }) => event.id)).toEqual([eventId(record, "record")]);
  }, 60_000);
});

describe("reply events", () => {
  it("publishes a reply's final delivery report as sms.reply.delivered or sms.reply.failed, once per reply", async () => {
    await local.waitUntilIdle("all");
    const sent = all.received.filter(({ event }) => event.type === "sms.reply.sent");
    const [delivered, failed] = sent.map(({ event }) => event.data);
    if (!delivered || !failed) throw new Error("two replies were expected");
    await all.drain(300);
    const report = (messageId: unknown, status: string, extra = "") =>
      local.post(
        "/api/sms/delivery-reports",
        `id=${messageId}&status=${status}&phoneNumber=%2B254711000111&retryCount=0${extra}`,
      );
    expect((await report(delivered.messageId, "Success")).status).toBe(200);
    expect(
      (await report(failed.messageId, "Failed", "&failureReason=DeliveryFailure")).status,
    ).toBe(200);
    // AT retries one of them: the same event again, under the same id.
    expect((await report(delivered.messageId, "Success")).status).toBe(200);
    await local.waitUntilIdle("events");
    const events = (await all.drain()).filter(({ event }) => event.type.startsWith("sms.reply."));
    const deliveredId = eventId(replyKey(String(delivered.inboundId)), "delivered");
    const failedId = eventId(replyKey(String(failed.inboundId)), "failed:delivery");
    expect(new Set(events.map(({ event }) => event.id))).toEqual(new Set([deliveredId, failedId]));
    const byId = new Map(events.map(({ event }) => [event.id, event]));
    expect(byId.get(deliveredId)).toMatchObject({
      type: "sms.reply.delivered",
      data: { inboundId: delivered.inboundId, deliveryStatus: "Success" },
    });
    expect(byId.get(failedId)).toMatchObject({
      type: "sms.reply.failed",
      data: { inboundId: failed.inboundId, deliveryFailureReason: "DeliveryFailure" },
    });
    for (const { event } of events) expect(validate(event), event.type).toBeUndefined();
  }, 90_000);
});

describe("npm run events -- replay", () => {
  const secret = generateSigningSecret();
  const replayWith = (options: Parameters<typeof runScript>[2], ...args: string[]) => {
    const { services } = local.stack;
    return runScript(
      "scripts/events.ts",
      [
        "replay",
        ...args,
        "--endpoint",
        services.dynamodbEndpoint,
        "--table",
        services.tableName,
        "--sns-endpoint",
        services.snsEndpoint,
        "--topic",
        services.eventsTopicArn,
      ],
      options,
    );
  };
  const replay = (...args: string[]) => replayWith({ env: { FORWARD_SECRET: secret } }, ...args);

  it("publishes every stored record's events again with their original ids", async () => {
    await local.waitUntilIdle("all");
    const original = new Map(all.received.map(({ event }) => [event.id, event]));
    await all.drain(300);
    const { code, stdout, stderr } = await replay("--since", "1h");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const replayed = await all.drain();
    expect(stdout).toContain(`Replayed ${replayed.length} of ${replayed.length} event(s)`);
    // Each event once, under its first id; a record's event is the same as first published,
    // a reply's carries the reply as it stands now (a later delivery report included).
    expect(new Set(replayed.map(({ event }) => event.id)).size).toBe(replayed.length);
    expect(replayed.map(({ event }) => event.id).sort()).toEqual([...original.keys()].sort());
    for (const { event } of replayed) {
      const first = original.get(event.id);
      if (event.type.startsWith("sms.reply.")) {
        expect(event).toMatchObject({ type: first?.type, receivedAt: first?.receivedAt });
        expect(event.data.inboundId).toBe(first?.data.inboundId);
      } else expect(event).toEqual(first);
    }
  }, 90_000);

  it("replays one type, and posts to a URL with --to, signed as forwarded events are", async () => {
    const bodies: unknown[] = [];
    const webhook = new Webhook(secret);
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        try {
          // The standardwebhooks package's verify: it throws on a bad or stale signature.
          const event = webhook.verify(body, req.headers as Record<string, string>);
          bodies.push({ type: req.headers["content-type"], id: req.headers["webhook-id"], event });
          res.writeHead(204).end();
        } catch (error) {
          bodies.push({ refused: (error as Error).message });
          res.writeHead(401).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const { code, stdout } = await replay(
        "--since",
        "1h",
        "--type",
        "sms.reply.sent",
        "--to",
        url,
      );
      expect(code).toBe(0);
      expect(stdout).toMatch(/, signed with FORWARD_SECRET\.\n$/);
      const sent = all.received.filter(({ event }) => event.type === "sms.reply.sent");
      expect(sent.length).toBeGreaterThan(0);
      expect(bodies).toHaveLength(new Set(sent.map(({ event }) => event.id)).size);
      for (const body of bodies) {
        expect(body).toMatchObject({ type: "application/json", event: { type: "sms.reply.sent" } });
        expect((body as { id: string }).id).toBe((body as { event: { id: string } }).event.id);
      }
      // Nothing went to the topic.
      expect(await all.drain(500)).toEqual([]);
    } finally {
      server.close();
    }
  }, 90_000);

  it("refuses --to with no secret to sign with, rather than signing with one nobody has", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "at-replay-"));
    try {
      const { code, stderr } = await replayWith(
        { env: { FORWARD_SECRET: "" }, cwd },
        "--since",
        "1h",
        "--to",
        "http://127.0.0.1:9/hook",
      );
      expect(code).toBe(2);
      expect(stderr.split("\n")[0]).toMatch(/^--to signs each event: set FORWARD_SECRET /);
      expect(existsSync(join(cwd, ".local"))).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("refuses a --since it cannot read, with a one-line reason", async () => {
    const { code, stderr } = await replay("--since", "yesterday-ish");
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe(
      "--since must be an ISO date or a duration (30m, 6h, 7d), not yesterday-ish",
    );
  });
});
