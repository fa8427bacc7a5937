import { describe, expect, it, vi } from "vitest";
import { lambdaContext } from "../../local/apigw";
import { captureLogs } from "../support/log-lines";

// A flow that throws: the caller hears the apology, and the log line names the call.
vi.mock("../../functions/engines/voice/flows", async (original) => ({
  ...(await original<typeof import("../../functions/engines/voice/flows")>()),
  answerVoiceCall: async () => {
    throw new Error("flow bug");
  },
}));

describe("voice flow failures", () => {
  it("log the call's request id, its AT id whole, and the error's stack", async () => {
    const { createVoiceInstructHandler } = await import("../../functions/handlers/voice-instruct");
    const { fixedCallbackKeys } = await import("../../functions/config/callback");
    const { createSqsClient } = await import("../../functions/shared/sqs");
    const handler = createVoiceInstructHandler({
      config: {
        eventsQueueUrl: "http://sqs.us-east-1.localhost/000000000000/events",
        callbackKeys: fixedCallbackKeys("voice-key"),
      },
      // Nothing listens there: the event cannot be queued, which this test does not look at.
      clients: {
        sqs: createSqsClient({
          region: "us-east-1",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
          endpoint: "http://127.0.0.1:9",
        }),
      },
    });
    let answer: Awaited<ReturnType<typeof handler>> | undefined;
    const { entries } = await captureLogs(async () => {
      answer = await handler(
        {
          version: "2.0",
          routeKey: "POST /api/voice/instruct",
          rawPath: "/api/voice/instruct",
          rawQueryString: "key=voice-key",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          queryStringParameters: { key: "voice-key" },
          requestContext: { timeEpoch: Date.now(), domainName: "example.com" },
          body: "sessionId=ATVId_254711000111&isActive=1&callerNumber=%2B254711000111",
          isBase64Encoded: false,
        } as never,
        lambdaContext("voice-instruct", 10_000),
      );
    });
    expect(answer?.body).toContain("Sorry, something went wrong");
    const failed = entries.find((e) => e.message === "voice flow failed");
    expect(failed).toMatchObject({
      level: "ERROR",
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      atId: "ATVId_254711000111",
      error: {
        message: "flow bug",
        stack: expect.stringMatching(/voice-failure-log\.test\.ts:\d+/),
      },
    });
    // The caller's number is in the request, never in a line.
    expect(JSON.stringify(entries)).not.toContain("+254711000111");
  });
});
