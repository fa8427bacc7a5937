import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";

// A queue endpoint that accepts connections and never answers.
const silent = createServer(() => undefined);
await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
Object.assign(process.env, {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
});
const { sqsEventQueue } = await import("../../functions/shared/sqs");
const { envelopeFor } = await import("../../functions/ingest/envelope");

afterAll(() => {
  silent.close();
});

describe("the handlers' SQS client", () => {
  it("gives up on a queue that does not answer within a few seconds, well inside AT's USSD deadline", async () => {
    const queue = sqsEventQueue("http://127.0.0.1/000000000000/events");
    const started = Date.now();
    const error = await queue
      .send(envelopeFor("ussd.end", "ussd-status", { sessionId: "ATUid_1" }, new Date()))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(6_000);
  }, 15_000);
});
