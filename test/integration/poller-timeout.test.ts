import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { startPoller } from "../../local/poller";
import { type LocalServices, startServices } from "../../local/services";

let services: LocalServices;
let sqs: SQSClient;
beforeAll(async () => {
  services = await startServices({ visibilityTimeoutSeconds: 1 });
  sqs = new SQSClient({
    endpoint: services.sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
});
afterAll(async () => {
  sqs?.destroy();
  await services?.stop();
});

describe("local poller", () => {
  it("ends an invocation at the function timeout, as Lambda does, and the message comes back", async () => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: services.eventsQueueUrl, MessageBody: '{"v":1}' }),
    );
    const errors: unknown[] = [];
    const invocations: string[] = [];
    const poller = startPoller({
      batchSize: 10,
      client: sqs,
      queueUrl: services.eventsQueueUrl,
      queueArn: services.eventsQueueArn,
      functionName: "stuck-worker",
      // The first invocation never returns; Lambda would end it, and so must the poller.
      worker: (event) => {
        invocations.push(event.Records[0]?.attributes.ApproximateReceiveCount ?? "?");
        return invocations.length === 1
          ? new Promise(() => undefined)
          : Promise.resolve({ batchItemFailures: [] });
      },
      onError: (error) => errors.push(error),
      timeoutMs: 500,
    });
    const deadline = Date.now() + 8_000;
    while (invocations.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await poller.stop();
    expect(invocations).toEqual(["1", "2"]);
    expect(String(errors[0])).toMatch(/stuck-worker timed out after 500 ms/);
  }, 90_000);
});
