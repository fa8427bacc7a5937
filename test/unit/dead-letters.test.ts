import {
  GetQueueAttributesCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { age, describeDeadLetter, redriveOnAws } from "../../local/dead-letters";

const pair = {
  name: "events" as const,
  url: "https://sqs.eu-west-1.amazonaws.com/123456789012/AtCallbacks-prod-EventsQueue4C7AF1FB-k3J",
  dlqUrl:
    "https://sqs.eu-west-1.amazonaws.com/123456789012/AtCallbacks-prod-EventsQueueDeadLetterQueue3E12EAC3-Qw8",
};

/** The SQS calls a deployed redrive makes, answered as SQS answers them. */
function fakeSqs(depth: number) {
  const sent: unknown[] = [];
  const client = {
    async send(command: unknown) {
      sent.push(command);
      if (command instanceof GetQueueAttributesCommand) {
        const url = command.input.QueueUrl ?? "";
        const name = url.split("/").pop();
        return {
          Attributes: {
            QueueArn: `arn:aws:sqs:eu-west-1:123456789012:${name}`,
            ApproximateNumberOfMessages: String(depth),
          },
        };
      }
      if (command instanceof StartMessageMoveTaskCommand) return { TaskHandle: "task-1" };
      throw new Error(`unexpected ${String(command)}`);
    },
  };
  return { client: client as unknown as SQSClient, sent };
}

describe("dead letters on a deployed stage", () => {
  it("redrives with SQS's own move task, from the dead-letter queue to its work queue", async () => {
    const { client, sent } = fakeSqs(3);
    expect(await redriveOnAws(client, pair)).toEqual({
      moved: 3,
      messageIds: [],
      taskHandle: "task-1",
    });
    const move = sent.find((c) => c instanceof StartMessageMoveTaskCommand);
    expect((move as StartMessageMoveTaskCommand).input).toEqual({
      SourceArn:
        "arn:aws:sqs:eu-west-1:123456789012:AtCallbacks-prod-EventsQueueDeadLetterQueue3E12EAC3-Qw8",
      DestinationArn: "arn:aws:sqs:eu-west-1:123456789012:AtCallbacks-prod-EventsQueue4C7AF1FB-k3J",
    });
  });

  it("starts no move task for an empty dead-letter queue", async () => {
    const { client, sent } = fakeSqs(0);
    expect(await redriveOnAws(client, pair)).toEqual({ moved: 0, messageIds: [] });
    expect(sent.some((c) => c instanceof StartMessageMoveTaskCommand)).toBe(false);
  });

  it("says what a message was for and why it failed, from the message itself", () => {
    const reply = describeDeadLetter("replies", {
      MessageId: "m-1",
      Body: JSON.stringify({
        v: 1,
        kind: "sms.reply",
        inboundId: "ATXid_1",
        recipient: "+254711000111",
        shortcode: "20880",
        text: "hi",
        receivedAt: "2026-12-01T00:00:00.000Z",
      }),
      Attributes: { ApproximateReceiveCount: "6", SentTimestamp: "1796083200000" },
    });
    expect(reply).toMatchObject({
      route: "replier",
      type: "sms.reply",
      atId: "ATXid_1",
      receiveCount: 6,
      reason: expect.stringMatching(/replier failed on every receive: .*sqsMessageId=m-1/),
    });
    expect(describeDeadLetter("events", { MessageId: "m-2", Body: "[]" }).reason).toBe(
      "unreadable: message body is not an object",
    );
    expect(age(0, 90_000)).toBe("90s");
    expect(age(0, 3 * 3600_000)).toBe("3h");
  });
});
