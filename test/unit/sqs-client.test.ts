import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type Envelope, envelopeFor } from "../../functions/model/envelope";
import { createSqsClient, sqsQueue } from "../../functions/shared/sqs";

// A queue endpoint that accepts connections and never answers.
const silent = createServer(() => undefined);
await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
const client = createSqsClient({
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
  endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
});

afterAll(() => {
  client.destroy();
  silent.close();
});

describe("the handlers' SQS client", () => {
  it("gives up on a queue that does not answer within a few seconds, well inside AT's USSD deadline", async () => {
    const queue = sqsQueue<Envelope>("http://127.0.0.1/000000000000/events", client);
    const started = Date.now();
    const error = await queue
      .send(envelopeFor("ussd.end", "ussd-status", { sessionId: "ATUid_1" }, new Date()))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(6_000);
  }, 15_000);
});
