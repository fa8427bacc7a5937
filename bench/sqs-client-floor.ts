/**
 * The cold-load bench's floor: an entry holding nothing but the AWS SDK's SQS client and one
 * command, bundled like a function. Every function that queues carries at least this; its load
 * time is what the SDK alone costs, whatever our code does.
 */
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";

export const sqs = new SQSClient({});

export const handler = (body: string) =>
  sqs.send(new SendMessageCommand({ QueueUrl: process.env.EVENTS_QUEUE_URL, MessageBody: body }));
