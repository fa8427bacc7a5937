import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { ClientError } from "../../functions/ingest/http";
import { callbackHandler, type Handled } from "../../functions/ingest/pipeline";
import { lambdaContext } from "../../local/apigw";
import { captureLogs } from "../support/log-lines";

const KEY = "unit-key";
const event = (body: string, contentType = "application/x-www-form-urlencoded") => ({
  version: "2.0",
  routeKey: "POST /api/sms/delivery-reports",
  rawPath: "/api/sms/delivery-reports",
  rawQueryString: `key=${KEY}`,
  headers: { "content-type": contentType },
  queryStringParameters: { key: KEY },
  requestContext: { timeEpoch: Date.now() },
  body,
  isBase64Encoded: false,
});

const handlerFailingWith = (error: unknown) =>
  callbackHandler(
    async (): Promise<Handled> => {
      throw error;
    },
    { callbackKeys: async () => [KEY] },
  );

const invoke = (handler: ReturnType<typeof handlerFailingWith>, body: string, type?: string) =>
  handler(event(body, type) as never, {} as Context);

describe("a 503 names the callback it failed", () => {
  it("logs the request id, the AT id whole and the error's stack, so the retry can be traced", async () => {
    let answer: Awaited<ReturnType<typeof invoke>> | undefined;
    const { entries } = await captureLogs(async () => {
      answer = await handlerFailingWith(new Error("queue down"))(
        event("id=ATXid_254711000111&status=Sent") as never,
        lambdaContext("delivery-reports", 10_000),
      );
    });
    expect(answer?.statusCode).toBe(503);
    const [line, ...more] = entries.filter((e) => e.level === "ERROR");
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      message: "callback",
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      atId: "ATXid_254711000111",
      outcome: "failed",
      error: { name: "Error", message: "queue down" },
    });
    // The stack names this file: Node maps it back to the source, on Lambda through the bundle's
    // source map (--enable-source-maps).
    expect((line?.error as { stack?: string } | undefined)?.stack).toMatch(
      /pipeline-errors\.test\.ts:\d+/,
    );
  });
});

describe("only our own refusals become a 4xx", () => {
  it("answers 503 to a downstream error, whatever its message says", async () => {
    for (const message of ["malformed response from the queue", "Malformed XML", "bad input"]) {
      const answer = await invoke(handlerFailingWith(new Error(message)), "id=ATXid_1&status=Sent");
      expect(answer.statusCode, message).toBe(503);
      expect(answer.body).toBe("temporarily unavailable, please retry");
    }
  });

  it("answers 503 to an error that only looks like ours (a 4xx status from the SDK)", async () => {
    const sdkError = Object.assign(new Error("The request was malformed"), {
      name: "ValidationException",
      statusCode: 400,
      $metadata: { httpStatusCode: 400 },
    });
    const answer = await invoke(handlerFailingWith(sdkError), "id=ATXid_2&status=Sent");
    expect(answer.statusCode).toBe(503);
  });

  it("passes a ClientError's status and one-line reason through", async () => {
    const answer = await invoke(
      handlerFailingWith(new ClientError(409, "already answered")),
      "id=ATXid_3&status=Sent",
    );
    expect(answer).toMatchObject({ statusCode: 409, body: "already answered" });
  });

  it("answers 400 to a body the JSON parser cannot read (its error recognised by type)", async () => {
    const answer = await invoke(
      handlerFailingWith(new Error("unreached")),
      "{",
      "application/json",
    );
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatch(/^malformed body: /);
  });

  it("answers 400 to a form the urlencode parser cannot read (its error recognised by type)", async () => {
    const answer = await invoke(handlerFailingWith(new Error("unreached")), "not-a-form");
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatch(/^malformed body: /);
  });
});
