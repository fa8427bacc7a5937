import endpoints from "africastalking/lib/common.js";
import { describe, expect, it, vi } from "vitest";
import { backoffSeconds, deliveryRank, isFinalDelivery } from "../../functions/model/reply-state";
import { classifySendError, parseSendResponse } from "../../functions/reply/at-response";
import {
  AT_ENDPOINTS,
  AT_HOSTS,
  environmentOf,
  parseAtCredentials,
} from "../../functions/reply/at-sender";
import { parseReplyJob, replyJobFor } from "../../functions/reply/job";
import { countMetrics, METRIC_NAMESPACE } from "../../functions/reply/metrics";
import {
  DEFAULT_TEMPLATE,
  isOptOutMessage,
  loadReplyPolicy,
  premiumKeyword,
  replyText,
} from "../../functions/reply/policy";
import type { RecordItem } from "../../functions/table/records";

const inbound = { text: "Hello, I need help", from: "+254711000111", to: "20880" };

describe("reply policy", () => {
  it("answers with the seed's text by default", () => {
    const policy = loadReplyPolicy({}, "local");
    expect(policy.template).toBe(DEFAULT_TEMPLATE);
    expect(replyText(policy, inbound)).toBe('This is a response to: "Hello, I need help"');
    expect(replyText(policy, { ...inbound, text: "" })).toBe('This is a response to: ""');
  });

  it("sends no demo reply on Lambda unless a template is configured", () => {
    expect(replyText(loadReplyPolicy({}, "aws"), inbound)).toBe("");
    expect(
      replyText(loadReplyPolicy({ SMS_REPLY_TEMPLATE: "Got it: {text}" }, "aws"), inbound),
    ).toBe("Got it: Hello, I need help");
  });

  it("uses a template and a keyword map, case-insensitively on the first word", () => {
    const policy = loadReplyPolicy(
      {
        SMS_REPLY_TEMPLATE: "Thanks {from}, we got: {text} (on {to})",
        SMS_REPLY_KEYWORDS: JSON.stringify({ help: "Text BAL for your balance", STOP: "" }),
      },
      "local",
    );
    expect(replyText(policy, inbound)).toBe(
      "Thanks +254711000111, we got: Hello, I need help (on 20880)",
    );
    expect(replyText(policy, { ...inbound, text: "  Help me" })).toBe("Text BAL for your balance");
    expect(replyText(policy, { ...inbound, text: "stop" })).toBe("");
  });

  it("an empty template means no reply, and a bad keyword map fails the cold start", () => {
    expect(replyText(loadReplyPolicy({ SMS_REPLY_TEMPLATE: "" }, "local"), inbound)).toBe("");
    expect(() => loadReplyPolicy({ SMS_REPLY_KEYWORDS: "HELP=x" }, "local")).toThrow(/JSON object/);
    expect(() => loadReplyPolicy({ SMS_REPLY_KEYWORDS: '{"HELP":1}' }, "local")).toThrow(/string/);
  });

  it("recognises an opt-out message: the keyword alone, in any case or spacing", () => {
    for (const text of ["STOP", "stop", " Stop. ", "STOP ALL", "Unsubscribe", "opt-out"]) {
      expect(isOptOutMessage(text), text).toBe(true);
    }
    for (const text of ["stop the order", "STOPPED", "", "help", "HALT"]) {
      expect(isOptOutMessage(text), text).toBe(false);
    }
  });

  it("answers a premium on-demand message with its keyword and linkId only when configured", () => {
    const withLink = { ...inbound, text: "news today", linkId: "L1" };
    expect(premiumKeyword(loadReplyPolicy({}, "local"), withLink)).toBeUndefined();
    const two = loadReplyPolicy({ AT_PREMIUM_KEYWORDS: "NEWS, JOKES" }, "local");
    expect(premiumKeyword(two, withLink)).toBe("NEWS");
    expect(premiumKeyword(two, { ...withLink, text: "hello" })).toBeUndefined();
    expect(premiumKeyword(two, { ...inbound, text: "news" })).toBeUndefined();
    expect(
      premiumKeyword(loadReplyPolicy({ AT_PREMIUM_KEYWORDS: "NEWS" }, "local"), withLink),
    ).toBe("NEWS");
  });
});

describe("AT's send answer, per recipient", () => {
  const to = "+254711000111";
  const answer = (
    recipient: Record<string, unknown>,
    message = "Sent to 1/1 Total Cost: KES 0.8000",
  ) => ({
    SMSMessageData: { Message: message, Recipients: [{ number: to, ...recipient }] },
  });

  it("accepts 100, 101 and 102 with AT's messageId, status and cost", () => {
    expect(
      parseSendResponse(
        answer({ statusCode: 101, status: "Success", cost: "KES 0.8000", messageId: "ATXid_1" }),
        to,
      ),
    ).toEqual({
      kind: "accepted",
      messageId: "ATXid_1",
      status: "Success",
      statusCode: 101,
      cost: "KES 0.8000",
      number: to,
    });
    for (const statusCode of [100, 102]) {
      expect(parseSendResponse(answer({ statusCode, messageId: "m" }), to).kind).toBe("accepted");
    }
  });

  it.each([
    [402, "InvalidSenderId"],
    [403, "InvalidPhoneNumber"],
    [404, "UnsupportedNumberType"],
    [406, "UserInBlacklist"],
    [407, "CouldNotRoute"],
    [409, "DoNotDisturbRejection"],
    [502, "RejectedByGateway"],
  ])("rejects recipient status %i %s for good", (statusCode, status) => {
    expect(
      parseSendResponse(
        answer({ statusCode, status, cost: "0", messageId: "None" }, "Sent to 0/1"),
        to,
      ),
    ).toEqual({ kind: "rejected", status, statusCode, cost: "0", reason: "Sent to 0/1" });
  });

  it.each([
    [401, "RiskHold"],
    [405, "InsufficientBalance"],
    [500, "InternalServerError"],
    [501, "GatewayError"],
  ])(
    "retries temporary recipient status %i %s (nothing left), keeping AT's status",
    (statusCode, status) => {
      expect(
        parseSendResponse(answer({ statusCode, status, cost: "0", messageId: "None" }), to),
      ).toEqual({
        kind: "retryable",
        reason: `recipient status ${statusCode} ${status}`,
        status,
        statusCode,
      });
    },
  );

  it("rejects an answer with no recipients, and cannot tell from a shape it does not know", () => {
    expect(
      parseSendResponse({ SMSMessageData: { Message: "InvalidSenderId", Recipients: [] } }, to),
    ).toMatchObject({ kind: "rejected", status: "InvalidSenderId" });
    expect(parseSendResponse("<xml/>", to).kind).toBe("ambiguous");
    expect(parseSendResponse(answer({ statusCode: 101 }), to).kind).toBe("ambiguous");
  });
});

describe("SDK rejections", () => {
  const to = "+254711000111";
  const httpError = (status: number) =>
    Object.assign(new Error(`Request failed with status code ${status}`), {
      isAxiosError: true,
      code: status >= 500 ? "ERR_BAD_RESPONSE" : "ERR_BAD_REQUEST",
      response: { status, data: "oops" },
    });
  const netError = (code: string) => Object.assign(new Error(code), { isAxiosError: true, code });

  it("retries 5xx, 429 and bad credentials (they reach the DLQ and its alarm)", () => {
    for (const status of [500, 502, 503, 429, 401]) {
      expect(classifySendError(httpError(status), to)).toMatchObject({
        kind: "retryable",
        httpStatus: status,
      });
    }
    expect(classifySendError(httpError(400), to).kind).toBe("rejected");
  });

  it("retries a redirect it did not follow, and a request its host guard refused", () => {
    for (const status of [301, 302, 307]) {
      expect(classifySendError(httpError(status), to)).toMatchObject({
        kind: "retryable",
        httpStatus: status,
      });
    }
    expect(classifySendError(netError("EAT_HOST_REFUSED"), to).kind).toBe("retryable");
  });

  it("retries errors raised before the request left, never a timeout after it did", () => {
    for (const code of ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNECT_TIMEOUT"]) {
      expect(classifySendError(netError(code), to).kind).toBe("retryable");
    }
    for (const code of ["ECONNABORTED", "ETIMEDOUT", "ECONNRESET"]) {
      expect(classifySendError(netError(code), to).kind).toBe("ambiguous");
    }
  });

  it("treats the SDK's own validation error as an invalid number, and a non-201 body as an answer", () => {
    expect(
      classifySendError(new Error('"to" failed custom validation because it is too short; '), to),
    ).toMatchObject({ kind: "rejected", statusCode: 403, status: "InvalidPhoneNumber" });
    expect(
      classifySendError({ SMSMessageData: { Message: "InvalidSenderId", Recipients: [] } }, to),
    ).toMatchObject({ kind: "rejected", status: "InvalidSenderId" });
  });
});

describe("state rules", () => {
  it("ranks delivery statuses so finals are never overwritten", () => {
    expect(deliveryRank("Sent")).toBeLessThan(deliveryRank("Submitted"));
    expect(deliveryRank("Buffered")).toBeLessThan(deliveryRank("Success"));
    expect(deliveryRank("DeliveredToTerminal")).toBeLessThan(deliveryRank("Sent"));
    expect(["Success", "Failed", "Rejected"].every(isFinalDelivery)).toBe(true);
    expect(isFinalDelivery("Sent")).toBe(false);
  });

  it("backs off exponentially, capped", () => {
    const retry = { baseDelaySeconds: 20, maxDelaySeconds: 300 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffSeconds(n, retry))).toEqual([
      20, 40, 80, 160, 300, 300,
    ]);
  });

  it("builds reply jobs from incoming records and refuses malformed ones", () => {
    const item = {
      id: "ATXid_1",
      receivedAt: "2026-11-30T10:00:00.000Z",
      phones: { from: "+254711000111" },
      payload: {
        id: "ATXid_1",
        date: "2026-11-30 10:00:00",
        from: " 254711000111",
        to: "20880",
        text: "Hi",
        linkId: "",
      },
    } as unknown as RecordItem;
    const job = replyJobFor(item);
    expect(job).toBeDefined();
    expect(job).toEqual({
      v: 1,
      kind: "sms.reply",
      inboundId: "ATXid_1",
      recipient: "+254711000111",
      shortcode: "20880",
      text: "Hi",
      receivedAt: "2026-11-30T10:00:00.000Z",
    });
    expect(parseReplyJob(JSON.stringify(job))).toEqual(job);
    // Senders that are not phone numbers get no job: a reply could only fail at AT.
    for (const from of ["MTN", "123", "Safaricom"]) {
      expect(replyJobFor({ ...item, phones: {}, payload: { ...item.payload, from } })).toBe(
        undefined,
      );
    }
    expect(() => parseReplyJob("{")).toThrow(/not JSON/);
    expect(() => parseReplyJob(JSON.stringify({ ...job, inboundId: "" }))).toThrow(/inboundId/);
  });
});

describe("AT credentials from the secret", () => {
  it("reads username and API key", () => {
    expect(parseAtCredentials('{"username":"sandbox","apiKey":"k"}')).toEqual({
      username: "sandbox",
      apiKey: "k",
    });
  });

  it("refuses the stack's placeholder and malformed values, saying what to do", () => {
    expect(() => parseAtCredentials('{"username":"REPLACE_ME","apiKey":"generated"}')).toThrow(
      /still holds the placeholder/,
    );
    for (const bad of ["not json", "{}", '{"username":"u"}']) {
      expect(() => parseAtCredentials(bad)).toThrow(/must be JSON/);
    }
  });
});

describe("AT endpoints", () => {
  it("match the SDK's own live and sandbox endpoints", () => {
    const pick = () => ({ SMS_URL: endpoints.SMS_URL, CONTENT_URL: endpoints.CONTENT_URL });
    const before = pick();
    try {
      Object.assign(endpoints, AT_ENDPOINTS.live);
      expect(before).toEqual(AT_ENDPOINTS.live); // the SDK's default
      endpoints.enableSandbox();
      expect(pick()).toEqual(AT_ENDPOINTS.sandbox);
    } finally {
      Object.assign(endpoints, before);
    }
    expect([...AT_HOSTS].sort()).toEqual([
      "api.africastalking.com",
      "api.sandbox.africastalking.com",
      "content.africastalking.com",
    ]);
  });

  it("sandbox only for the username sandbox, in any case", () => {
    expect(environmentOf("sandbox")).toBe("sandbox");
    expect(environmentOf("Sandbox")).toBe("sandbox");
    expect(environmentOf("myapp")).toBe("live");
    expect(environmentOf("sandboxed")).toBe("live");
  });
});

describe("reply metrics", () => {
  /** The EMF line Powertools Metrics writes on stdout, which Lambda turns into the metric. */
  const emitted = (stage: string, dimensions?: Record<string, string>) => {
    const lines: string[] = [];
    const write = vi
      .spyOn(process.stdout, "write")
      .mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    try {
      countMetrics(stage)("ReplyRejected", { inboundId: "ATXid_1" }, dimensions);
    } finally {
      write.mockRestore();
    }
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0] ?? "{}") as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
    };
  };

  it("carry the service and the stage, and a second series with the extra dimensions", () => {
    const line = emitted("prod", { status: "InsufficientBalance" });
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRIC_NAMESPACE,
        Dimensions: [
          ["service", "stage"],
          ["service", "stage", "status"],
        ],
        Metrics: [{ Name: "ReplyRejected", Unit: "Count" }],
      },
    ]);
    expect(line).toMatchObject({
      service: "at-callbacks",
      stage: "prod",
      status: "InsufficientBalance",
      inboundId: "ATXid_1",
      ReplyRejected: 1,
    });
    expect(emitted("local")).toMatchObject({ stage: "local" });
    expect(emitted("local")._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service", "stage"]]);
  });
});
