import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import {
  type DeadLetter,
  listDeadLetters,
  type QueuePair,
  watchDeadLetters,
} from "../../local/dead-letters";
import { startEmulators } from "../../local/emulators";

let emulators: Awaited<ReturnType<typeof startEmulators>>;
let sqs: SQSClient;
let pair: QueuePair;

beforeAll(async () => {
  emulators = await startEmulators({});
  const { endpoints } = emulators;
  sqs = new SQSClient({
    endpoint: endpoints.sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  pair = { name: "events", url: endpoints.eventsQueueUrl, dlqUrl: endpoints.eventsDlqUrl };
});
afterAll(async () => {
  sqs?.destroy();
  await emulators?.stop();
});

const deadLetter = (n: number) =>
  sqs.send(
    new SendMessageCommand({
      QueueUrl: pair.dlqUrl,
      MessageBody: JSON.stringify({ v: 1, type: "sms.incoming", id: `ATXid_dead${n}` }),
    }),
  );

it("two listings of one queue at once each return every dead letter", async () => {
  for (const n of [1, 2, 3]) await deadLetter(n);
  const [first, second] = await Promise.all([
    listDeadLetters(sqs, pair),
    listDeadLetters(sqs, pair),
  ]);
  expect(first.map((d) => d.atId).sort()).toEqual(["ATXid_dead1", "ATXid_dead2", "ATXid_dead3"]);
  expect(second.map((d) => d.atId).sort()).toEqual(first.map((d) => d.atId).sort());
});

it("announces a dead letter that another process's listing held hidden when it looked", async () => {
  // Another process (`npm run dlq -- list` in a second terminal) lists the queue right after the
  // watcher counted it, so the watcher's own listing finds nothing visible; then it makes them
  // visible again, as listings do.
  let held: { ReceiptHandle?: string | undefined }[] | undefined;
  let released = false;
  const watched = {
    async send(command: unknown) {
      const answer = await sqs.send(command as GetQueueAttributesCommand);
      if (command instanceof GetQueueAttributesCommand && !held) {
        ({ Messages: held = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: pair.dlqUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 30,
          }),
        ));
      } else if (command instanceof ReceiveMessageCommand && held && !released) {
        released = true;
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: pair.dlqUrl,
            Entries: held.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle ?? "",
              VisibilityTimeout: 0,
            })),
          }),
        );
      }
      return answer;
    },
  } as unknown as SQSClient;
  const seen: DeadLetter[] = [];
  const watcher = watchDeadLetters(watched, [pair], (dl) => seen.push(dl), 200);
  try {
    await expect.poll(() => released, { timeout: 10_000 }).toBe(true);
    expect(held).toHaveLength(3);
    // Once the other listing lets go, every dead letter is announced, each once.
    await expect
      .poll(() => seen.map((d) => d.atId).sort(), { timeout: 20_000, interval: 200 })
      .toEqual(["ATXid_dead1", "ATXid_dead2", "ATXid_dead3"]);
    await deadLetter(4);
    await expect
      .poll(() => seen.map((d) => d.atId), { timeout: 20_000, interval: 200 })
      .toContain("ATXid_dead4");
    expect(seen).toHaveLength(4);
  } finally {
    watcher.stop();
  }
});
