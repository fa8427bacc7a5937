import type { Context } from "aws-lambda";
import { describe, expect, it, vi } from "vitest";
import { ClientError } from "../../functions/ingest/http";
import { callbackHandler, type Handled } from "../../functions/ingest/pipeline";
import { logger } from "../../functions/shared/logger";

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
  it("logs the AT id, phone numbers masked, so the retry can be traced", async () => {
    const error = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    try {
      const answer = await invoke(
        handlerFailingWith(new Error("queue down")),
        "id=ATXid_254711000111&status=Sent",
      );
      expect(answer.statusCode).toBe(503);
      expect(error).toHaveBeenCalledWith(
        "callback",
        expect.objectContaining({ atId: "ATXid_25471****111", outcome: "failed" }),
      );
    } finally {
      error.mockRestore();
    }
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
