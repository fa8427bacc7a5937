import type { AddressInfo } from "node:net";
import { createServer as createTcpServer, type Server } from "node:net";
import { DeleteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import sdkAxios from "axios/dist/node/axios.cjs";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { envelopeFor } from "../../functions/model/envelope";
import { applyCallbackEffects } from "../../functions/record/effects";
import { classifySendError } from "../../functions/reply/at-response";
import { atSmsSender, configureAtHttp } from "../../functions/reply/at-sender";
import type { ReplyJob } from "../../functions/reply/job";
import { loadReplyPolicy } from "../../functions/reply/policy";
import {
  type JobContext,
  processReplyJob,
  type ReplyDeps,
  RetryLater,
} from "../../functions/reply/worker";
import { messageLinkKey } from "../../functions/table/keys";
import { dynamoRecordStore, queryRecords } from "../../functions/table/record-store";
import { toRecordItem } from "../../functions/table/records";
import { dynamoReplyStore, type ReplyItem, type ReplyStore } from "../../functions/table/replies";
import { type LocalServices, startServices } from "../../local/services";
import { localDocuments, testServiceOptions } from "../support/local";

/**
 * The reply worker's core with the real AT SDK (HTTP intercepted by nock at AT's host only)
 * and the real DynamoDB store (dynalite, or DynamoDB Local): the conditional writes are the guarantees.
 */
const AT = "https://api.africastalking.com";
const PREMIUM = "https://content.africastalking.com";
/** AT's request bound in these tests: short, yet far above what a busy machine adds to a local answer. */
const TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 1_000;
const CREDENTIALS = { username: "myapp", apiKey: "atsk_test_key" };

let services: LocalServices;
let documents: DynamoDBDocumentClient;
let store: ReplyStore;

beforeAll(async () => {
  services = await startServices(testServiceOptions());
  documents = localDocuments(services.dynamodbEndpoint);
  store = dynamoReplyStore(documents, services.tableName);
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1/);
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(async () => {
  nock.enableNetConnect();
  nock.restore();
  documents.destroy();
  await services.stop();
});

let seq = 0;
function newJob(overrides: Partial<ReplyJob> = {}): ReplyJob {
  seq += 1;
  return {
    v: 1,
    kind: "sms.reply",
    inboundId: `ATXid_in${seq}_${Date.now()}`,
    recipient: `+2547110${String(10000 + seq).slice(-5)}`,
    shortcode: "20880",
    text: "Hello, I need help",
    receivedAt: new Date().toISOString(),
    ...overrides,
  };
}

const sender = atSmsSender(CREDENTIALS, {
  timeoutMs: TIMEOUT_MS,
  connectTimeoutMs: CONNECT_TIMEOUT_MS,
});

function deps(overrides: Partial<ReplyDeps> = {}) {
  const metrics: Array<{
    name: string;
    fields: Record<string, unknown>;
    dimensions?: Readonly<Record<string, string>>;
  }> = [];
  let attempt = 0;
  const d: ReplyDeps = {
    store,
    sender: async () => sender,
    policy: loadReplyPolicy({ AT_PREMIUM_KEYWORDS: "NEWS" }, "local"),
    shortcode: "20880",
    ttlDays: undefined,
    retry: { baseDelaySeconds: 20, maxDelaySeconds: 300 },
    maxReceiveCount: 5,
    now: () => new Date(),
    newAttemptId: () => `attempt-${++attempt}`,
    metric: (name, fields, dimensions) =>
      metrics.push({ name, fields, ...(dimensions ? { dimensions } : {}) }),
    ...overrides,
  };
  return { deps: d, metrics };
}
const ctx = (receiveCount = 1): JobContext => ({
  receiveCount,
  deadline: new Date(Date.now() + 30_000),
});

const success = (to: string, messageId: string) => ({
  SMSMessageData: {
    Message: "Sent to 1/1 Total Cost: KES 0.8000",
    Recipients: [{ statusCode: 101, number: to, status: "Success", cost: "KES 0.8000", messageId }],
  },
});

/** Intercepts one send and records the exact request AT would receive. */
function expectSend(
  reply: (body: Record<string, string>) => [number, unknown],
  host = AT,
  delayMs = 0,
) {
  const seen: Array<{ headers: Record<string, unknown>; body: Record<string, string> }> = [];
  const scope = nock(host)
    .post("/version1/messaging")
    .delay(delayMs)
    .reply(function (_uri, body) {
      const form = Object.fromEntries(new URLSearchParams(String(body)));
      seen.push({ headers: this.req.headers, body: form });
      return reply(form);
    });
  return { scope, seen };
}

/** The reply as `npm run records` shows it: its delivery status is its best report. */
const reply = async (inboundId: string) =>
  (
    await queryRecords(documents, services.tableName, {
      id: inboundId,
      type: "sms.reply",
      limit: 1,
    })
  )[0] as ReplyItem;

describe("sending through the AT SDK", () => {
  it("sends the exact request AT expects and records AT's answer", async () => {
    const job = newJob();
    const { scope, seen } = expectSend(() => [201, success(job.recipient, "ATXid_sent1")]);
    const result = await processReplyJob(job, ctx(), deps().deps);
    expect(result).toEqual({ state: "sent", outcome: "sent", messageId: "ATXid_sent1" });
    expect(scope.isDone()).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.apikey).toBe("atsk_test_key");
    expect(seen[0]?.headers.accept).toBe("application/json");
    expect(seen[0]?.body).toEqual({
      username: "myapp",
      to: job.recipient,
      message: 'This is a response to: "Hello, I need help"',
      from: "20880",
      bulkSMSMode: "1",
    });
    expect(await reply(job.inboundId)).toMatchObject({
      type: "sms.reply",
      id: job.inboundId,
      state: "sent",
      attempts: 1,
      messageId: "ATXid_sent1",
      status: "Success",
      statusCode: 101,
      cost: "KES 0.8000",
      to: job.recipient,
      from: "20880",
    });
  });

  it("answers an on-demand premium message with its keyword and linkId", async () => {
    const job = newJob({ text: "news please", linkId: "SampleLinkId123" });
    const { seen } = expectSend(() => [201, success(job.recipient, "ATXid_prem1")], PREMIUM);
    await processReplyJob(job, ctx(), deps().deps);
    expect(seen[0]?.body).toEqual({
      username: "myapp",
      to: job.recipient,
      message: 'This is a response to: "news please"',
      from: "20880",
      bulkSMSMode: "0",
      keyword: "NEWS",
      linkId: "SampleLinkId123",
    });
  });

  it("records a per-recipient rejection, counts it by AT status and never retries it", async () => {
    const job = newJob();
    const rejected = {
      SMSMessageData: {
        Message: "Sent to 0/1 Total Cost: 0",
        Recipients: [
          {
            statusCode: 404,
            number: job.recipient,
            status: "UnsupportedNumberType",
            cost: "0",
            messageId: "None",
          },
        ],
      },
    };
    const { seen } = expectSend(() => [201, rejected]);
    const { deps: d, metrics } = deps();
    const result = await processReplyJob(job, ctx(), d);
    expect(result.state).toBe("rejected");
    expect(metrics).toEqual([
      {
        name: "ReplyRejected",
        fields: { inboundId: job.inboundId },
        dimensions: { status: "UnsupportedNumberType" },
      },
    ]);
    expect(await processReplyJob(job, ctx(2), d)).toMatchObject({
      outcome: "already-rejected",
    });
    expect(seen).toHaveLength(1);
    expect(await reply(job.inboundId)).toMatchObject({
      state: "rejected",
      status: "UnsupportedNumberType",
      statusCode: 404,
      error: "Sent to 0/1 Total Cost: 0",
    });
  });

  it("out of credit (405): retried, counted, failed into the DLQ, and sent once after a top-up", async () => {
    const job = newJob();
    const noCredit = {
      SMSMessageData: {
        Message: "Sent to 0/1 Total Cost: 0",
        Recipients: [
          {
            statusCode: 405,
            number: job.recipient,
            status: "InsufficientBalance",
            cost: "0",
            messageId: "None",
          },
        ],
      },
    };
    const refused = expectSend(() => [201, noCredit]);
    const { deps: d, metrics } = deps();
    await expect(processReplyJob(job, ctx(1), d)).rejects.toBeInstanceOf(RetryLater);
    expect(await reply(job.inboundId)).toMatchObject({
      state: "pending",
      status: "InsufficientBalance",
      statusCode: 405,
    });
    expect(metrics).toEqual([
      {
        name: "ReplyRejected",
        fields: { inboundId: job.inboundId },
        dimensions: { status: "InsufficientBalance" },
      },
    ]);
    // The last receive before the dead-letter queue: still refused, so `failed`.
    expectSend(() => [201, noCredit]);
    await expect(processReplyJob(job, ctx(5), d)).rejects.toBeInstanceOf(RetryLater);
    expect(await reply(job.inboundId)).toMatchObject({ state: "failed", attempts: 2 });
    expect(refused.seen).toHaveLength(1);
    // Redriven after the top-up: exactly one SMS.
    const ok = expectSend(() => [201, success(job.recipient, "ATXid_topup")]);
    expect((await processReplyJob(job, ctx(1), d)).state).toBe("sent");
    expect(await processReplyJob(job, ctx(2), d)).toMatchObject({ outcome: "already-sent" });
    expect(ok.seen).toHaveLength(1);
  });

  it("suppresses the number when AT says the user blacklisted us", async () => {
    const job = newJob();
    expectSend(() => [
      201,
      {
        SMSMessageData: {
          Message: "Sent to 0/1",
          Recipients: [
            {
              statusCode: 406,
              number: job.recipient,
              status: "UserInBlacklist",
              cost: "0",
              messageId: "None",
            },
          ],
        },
      },
    ]);
    await processReplyJob(job, ctx(), deps().deps);
    expect(await store.suppressionFor(job.recipient, ["20880"])).toMatchObject({
      reason: "UserInBlacklist",
    });
  });

  it("retries a 500 with backoff, then sends exactly one SMS", async () => {
    const job = newJob();
    const failing = expectSend(() => [500, "Internal Server Error"]);
    const error = await processReplyJob(job, ctx(1), deps().deps).catch((e) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).delaySeconds).toBe(20);
    expect(await reply(job.inboundId)).toMatchObject({ state: "pending", attempts: 1 });
    expect(failing.seen).toHaveLength(1);

    const ok = expectSend(() => [201, success(job.recipient, "ATXid_after500")]);
    expect((await processReplyJob(job, ctx(2), deps().deps)).state).toBe("sent");
    expect(await processReplyJob(job, ctx(3), deps().deps)).toMatchObject({
      outcome: "already-sent",
    });
    expect(ok.seen).toHaveLength(1);
    expect(await reply(job.inboundId)).toMatchObject({ state: "sent", attempts: 2 });
  });

  it("treats a gateway timeout (504) as unknown, never resent: AT may have taken the message", async () => {
    const job = newJob();
    const { seen } = expectSend(() => [504, "Gateway Timeout"]);
    const { deps: d, metrics } = deps();
    expect((await processReplyJob(job, ctx(), d)).state).toBe("unknown");
    expect(metrics.map((m) => m.name)).toEqual(["ReplyUnknown"]);
    expect(await processReplyJob(job, ctx(2), d)).toMatchObject({ outcome: "already-unknown" });
    expect(seen).toHaveLength(1);
  });

  it("marks the reply failed when the retry budget is spent (the job then goes to the DLQ)", async () => {
    const job = newJob();
    expectSend(() => [503, "Service Unavailable"]);
    await expect(processReplyJob(job, ctx(5), deps().deps)).rejects.toBeInstanceOf(RetryLater);
    expect(await reply(job.inboundId)).toMatchObject({ state: "failed" });
  });

  it("bounds the request time; no answer in time means unknown, never resent", async () => {
    const job = newJob();
    const { seen } = expectSend(() => [201, success(job.recipient, "late")], AT, 15_000);
    const { deps: d, metrics } = deps();
    const started = Date.now();
    const result = await processReplyJob(job, ctx(), d);
    // Well before the answer, 15 s later.
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 8_000);
    expect(result.state).toBe("unknown");
    expect(metrics).toEqual([
      { name: "ReplyUnknown", fields: expect.objectContaining({ inboundId: job.inboundId }) },
    ]);
    expect(await processReplyJob(job, ctx(2), d)).toMatchObject({ outcome: "already-unknown" });
    expect(seen).toHaveLength(1);
  });

  it("retries a connect that never completes (the request never reached AT)", async () => {
    // A TCP server that never answers the TLS handshake.
    const silent: Server = createTcpServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    configureAtHttp({ timeoutMs: 30_000, connectTimeoutMs: 200 });
    const started = Date.now();
    const error = await sdkAxios
      .post(`https://127.0.0.1:${port}/version1/messaging`, "username=x")
      .catch((e: unknown) => e);
    // The connect bound, not the 30 s request bound.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(classifySendError(error, "+254711000111").kind).toBe("retryable");
    silent.close();
    configureAtHttp({ timeoutMs: TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS });
  });
});

describe("the AT SDK, made safe", () => {
  const SANDBOX = "https://api.sandbox.africastalking.com";

  it("never follows a redirect: the API key stays with AT, and the reply is retried", async () => {
    const job = newJob();
    const elsewhere = nock("https://collector.example").post(/.*/).reply(201, {});
    const redirect = nock(AT)
      .post("/version1/messaging")
      .reply(307, "", { location: "https://collector.example/steal" });
    await expect(processReplyJob(job, ctx(), deps().deps)).rejects.toBeInstanceOf(RetryLater);
    expect(redirect.isDone()).toBe(true);
    expect(elsewhere.isDone()).toBe(false);
    expect(await reply(job.inboundId)).toMatchObject({ state: "pending" });
  });

  it("keeps each sender on its own environment, whichever sent last (no sandbox leak)", async () => {
    const sandbox = atSmsSender(
      { username: "sandbox", apiKey: "atsk_sandbox_key" },
      { timeoutMs: TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS },
    );
    const to = "+254711000999";
    const hits: string[] = [];
    const answer = (host: string) =>
      function (this: { req: { headers: Record<string, unknown> } }) {
        hits.push(`${host} ${String(this.req.headers.apikey)}`);
        return [201, success(to, `ATXid_${hits.length}`)] as [number, unknown];
      };
    nock(SANDBOX).post("/version1/messaging").times(2).reply(answer("sandbox"));
    nock(AT).post("/version1/messaging").times(2).reply(answer("live"));
    const request = { to, from: "20880", message: "hi" };
    for (const s of [sandbox, sender, sandbox, sender]) {
      expect((await s.send(request)).kind).toBe("accepted");
    }
    expect(hits).toEqual([
      "sandbox atsk_sandbox_key",
      "live atsk_test_key",
      "sandbox atsk_sandbox_key",
      "live atsk_test_key",
    ]);
  });

  it("refuses to send the API key to any other host", async () => {
    const error = await sdkAxios
      .post("https://collector.example/messaging", "username=x", { headers: { apikey: "k" } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "EAT_HOST_REFUSED" });
    expect(classifySendError(error, "+254711000111").kind).toBe("retryable");
  });
});

describe("at most one SMS per inbound message", () => {
  it("sends one SMS for many duplicate jobs, even concurrent ones", async () => {
    const job = newJob();
    const { seen } = expectSend(() => [201, success(job.recipient, "ATXid_once")]);
    nock(AT).post("/version1/messaging").times(10).reply(201, success(job.recipient, "second!"));
    const { deps: d } = deps();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => processReplyJob(job, ctx(), d)),
    );
    // The losers either saw the reply settled or were told to come back (another attempt was sending).
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(RetryLater);
    }
    expect(await processReplyJob(job, ctx(2), d)).toMatchObject({ outcome: "already-sent" });
    expect(seen).toHaveLength(1);
    expect(nock.pendingMocks()).toHaveLength(1); // the "second!" interceptor was never used
  });

  it("a crash between the send and the record write produces no second SMS", async () => {
    const job = newJob();
    const { seen } = expectSend(() => [201, success(job.recipient, "ATXid_crash")]);
    nock(AT).post("/version1/messaging").times(5).reply(201, success(job.recipient, "second!"));
    const crashing: ReplyStore = {
      ...store,
      updateReply: async (id, expected, changes) => {
        if (changes.state === "sent") throw new Error("Lambda timed out");
        return store.updateReply(id, expected, changes);
      },
    };
    const deadline = new Date(Date.now() + 30_000);
    await expect(
      processReplyJob(job, { receiveCount: 1, deadline }, deps({ store: crashing }).deps),
    ).rejects.toThrow("Lambda timed out");
    expect(await reply(job.inboundId)).toMatchObject({ state: "sending", attempts: 1 });

    // Redelivered while the crashed invocation could still be running: come back later.
    const early = await processReplyJob(job, ctx(2), deps().deps).catch((e) => e);
    expect(early).toBeInstanceOf(RetryLater);

    // After that invocation's deadline: unknown, alarmed, never resent.
    const later = deps({ now: () => new Date(deadline.getTime() + 1_000) });
    expect(await processReplyJob(job, ctx(3), later.deps)).toEqual({
      state: "unknown",
      outcome: "unknown",
    });
    expect(later.metrics.map((m) => m.name)).toEqual(["ReplyUnknown"]);
    expect(await processReplyJob(job, ctx(4), later.deps)).toMatchObject({
      outcome: "already-unknown",
    });
    expect(seen).toHaveLength(1);
  });

  it("a redelivered job for a sent reply links its delivery reports again", async () => {
    const job = newJob();
    const messageId = `ATXid_relink_${job.inboundId}`;
    const { seen } = expectSend(() => [201, success(job.recipient, messageId)]);
    expect(await processReplyJob(job, ctx(1), deps().deps)).toMatchObject({ outcome: "sent" });
    // The link lost (as if its write had failed after AT accepted the reply).
    await documents.send(
      new DeleteCommand({ TableName: services.tableName, Key: messageLinkKey(messageId) }),
    );
    expect(await store.replyForMessage(messageId)).toBeUndefined();
    const report = toRecordItem(
      envelopeFor(
        "sms.delivery",
        "sms-delivery-reports",
        { id: messageId, status: "Success", phoneNumber: job.recipient },
        new Date(),
      ),
      { now: new Date(), ttlDays: undefined },
    );
    await dynamoRecordStore(documents, services.tableName).putOnce(report);
    expect(await processReplyJob(job, ctx(2), deps().deps)).toMatchObject({
      outcome: "already-sent",
      messageId,
    });
    expect(await store.replyForMessage(messageId)).toMatchObject({ inboundId: job.inboundId });
    expect(await reply(job.inboundId)).toMatchObject({ state: "sent", deliveryStatus: "Success" });
    expect(seen).toHaveLength(1);
  });

  it("sends nothing to an opted-out number, and nothing when the policy has no reply", async () => {
    const records = dynamoRecordStore(documents, services.tableName);
    const job = newJob();
    const optout = toRecordItem(
      envelopeFor(
        "sms.optout",
        "sms-opt-out",
        { senderId: "20880", phoneNumber: job.recipient },
        new Date(),
      ),
      { now: new Date(), ttlDays: undefined },
    );
    await records.putOnce(optout);
    await applyCallbackEffects(optout, store);
    expect(await processReplyJob(job, ctx(), deps().deps)).toEqual({
      state: "suppressed",
      outcome: "suppressed",
    });
    expect((await reply(job.inboundId)).suppressedBy).toMatch(/^optout/);

    const quiet = newJob();
    const policy = loadReplyPolicy({ SMS_REPLY_TEMPLATE: "" }, "local");
    expect((await processReplyJob(quiet, ctx(), deps({ policy }).deps)).state).toBe("skipped");
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe("delivery reports update the reply, monotonically", () => {
  const records = () => dynamoRecordStore(documents, services.tableName);
  const report = (messageId: string, status: string, phone: string, extra = {}) =>
    toRecordItem(
      envelopeFor(
        "sms.delivery",
        "sms-delivery-reports",
        { id: messageId, status, phoneNumber: phone, networkCode: "63902", ...extra },
        new Date(),
      ),
      { now: new Date(), ttlDays: undefined },
    );
  /** What the recorder does with a delivery report: record it, then apply it. */
  const deliver = async (messageId: string, status: string, phone: string, extra = {}) => {
    const item = report(messageId, status, phone, extra);
    await records().putOnce(item);
    await applyCallbackEffects(item, store);
  };

  const orders: string[][] = [
    ["Sent", "Submitted", "Success"],
    ["Success", "Sent", "Submitted"],
    ["Submitted", "Success", "Buffered"],
    ["Failed", "Sent"],
    ["Sent", "Rejected", "Buffered"],
  ];
  it.each(orders.map((o) => [o.join(" → "), o]))(
    "%s, some before the reply was recorded",
    async (_name, order) => {
      const job = newJob();
      const messageId = `ATXid_dlr_${job.inboundId}`;
      const final = order.find((s) => ["Success", "Failed", "Rejected"].includes(s));
      // The first report arrives before the reply exists (AT is fast, our write was slow).
      await deliver(
        messageId,
        order[0] as string,
        job.recipient,
        final === "Failed" ? { failureReason: "UserIsInactive" } : {},
      );
      expectSend(() => [201, success(job.recipient, messageId)]);
      await processReplyJob(job, ctx(), deps().deps);
      for (const status of order.slice(1)) await deliver(messageId, status, job.recipient);
      expect(await reply(job.inboundId)).toMatchObject({ state: "sent", deliveryStatus: final });
    },
  );

  it("a blacklist report suppresses the number for the reply's sender", async () => {
    const job = newJob();
    expectSend(() => [201, success(job.recipient, "ATXid_bl")]);
    await processReplyJob(job, ctx(), deps().deps);
    await deliver("ATXid_bl", "Failed", job.recipient, { failureReason: "UserInBlackList" });
    expect(await reply(job.inboundId)).toMatchObject({
      deliveryStatus: "Failed",
      deliveryFailureReason: "UserInBlackList",
    });
    expect(await store.suppressionFor(job.recipient, ["20880"])).toMatchObject({
      sender: "20880",
      reason: "UserInBlackList",
    });
    const next = newJob({ recipient: job.recipient });
    expect((await processReplyJob(next, ctx(), deps().deps)).state).toBe("suppressed");
  });
});

describe("subscriptions", () => {
  it("tracks active/inactive per shortcode and keyword; a late update does not win", async () => {
    const sub = (updateType: string, at: string) =>
      toRecordItem(
        {
          ...envelopeFor(
            "sms.subscription",
            "sms-subscription",
            { phoneNumber: "+254711000120", shortCode: "6942", keyword: "news", updateType },
            new Date(at),
          ),
        },
        { now: new Date(), ttlDays: undefined },
      );
    await applyCallbackEffects(sub("Addition", "2026-11-30T10:00:00Z"), store);
    await applyCallbackEffects(sub("deletion", "2026-11-30T11:00:00Z"), store);
    await applyCallbackEffects(sub("Addition", "2026-11-30T10:30:00Z"), store); // late
    // An update type AT may add one day changes nothing (open enum).
    const unknown = await applyCallbackEffects(sub("Renewal", "2026-11-30T12:00:00Z"), store);
    expect(unknown.effects).toEqual([]);
    const { Item } = await documents.send(
      new (await import("@aws-sdk/lib-dynamodb")).GetCommand({
        TableName: services.tableName,
        Key: { pk: "SUBSCRIPTION#6942#NEWS", sk: "PHONE#+254711000120" },
      }),
    );
    expect(Item).toMatchObject({ active: false, updateType: "deletion", keyword: "NEWS" });
  });
});
