import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { atIdOfEvent, parseQueuedEvent } from "../functions/forward/event";
import { parseEnvelope } from "../functions/model/envelope";
import { parseReplyJob } from "../functions/reply/job";
import type { QueueName } from "../functions/routes";
import { FORWARD_QUEUE, QUEUES } from "../functions/settings";

export type { QueueName };
/** The work queues, as settings.ts declares them for the CDK stack and the local stack. */
export const QUEUE_NAMES = Object.keys(QUEUES) as readonly QueueName[];

/** The work queues of a local stack and their dead-letter queues. */
export const localQueuePairs = (
  queues: Readonly<Record<QueueName, { url: string; dlqUrl: string }>>,
): QueuePair[] =>
  QUEUE_NAMES.map((name) => ({ name, url: queues[name].url, dlqUrl: queues[name].dlqUrl }));

/** A forwarding endpoint's queue: `forward-<endpoint>` (docs/forwarding.md). */
export type ForwardQueueName = `forward-${string}`;
export const isForwardQueue = (name: string): name is ForwardQueueName =>
  name.startsWith("forward-");

/** A work queue and its dead-letter queue. */
export interface QueuePair {
  name: QueueName | ForwardQueueName;
  url: string;
  dlqUrl: string;
}

export interface DeadLetter {
  queue: QueueName | ForwardQueueName;
  messageId: string;
  /** What the message was for: the callback's route and AT id, or the reply's inbound id. */
  route: string;
  type: string;
  atId: string;
  receiveCount: number;
  /** When the message was first sent to the work queue (SQS keeps it across the move). */
  sentAt: number;
  /** Why it failed, as far as the message itself tells. */
  reason: string;
  body: string;
}

/** The most messages one listing reads. */
const LISTING_MAX = 200;

/** How long a listing hides the messages it reads; they are made visible again at once. */
const PEEK_SECONDS = 30;

/**
 * Listing and redriving hide what they receive, so two at once on one queue each miss what the
 * other holds: within a process they take turns, queue by queue.
 */
const turns = new Map<string, Promise<unknown>>();
function inTurn<T>(queueUrl: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(queueUrl) ?? Promise.resolve();
  const mine = previous.then(work, work);
  const settled = mine.catch(() => undefined);
  turns.set(queueUrl, settled);
  void settled.then(() => {
    if (turns.get(queueUrl) === settled) turns.delete(queueUrl);
  });
  return mine;
}

/**
 * Reads every message of a dead-letter queue without consuming it: receive until empty (each
 * receive hides what it returned), then make them all visible again. Receive counts go up by
 * one per listing, as with the AWS console's "poll for messages"; the counts returned are the
 * worker's receives alone.
 */
export function listDeadLetters(
  client: SQSClient,
  pair: QueuePair,
  max = LISTING_MAX,
): Promise<DeadLetter[]> {
  return inTurn(pair.dlqUrl, () => listNow(client, pair, max));
}

async function listNow(client: SQSClient, pair: QueuePair, max: number): Promise<DeadLetter[]> {
  const seen = new Map<string, Message>();
  while (seen.size < max) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: pair.dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: PEEK_SECONDS,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const m of fresh) seen.set(m.MessageId as string, m);
  }
  const messages = [...seen.values()];
  for (let i = 0; i < messages.length; i += 10) {
    await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: pair.dlqUrl,
        Entries: messages.slice(i, i + 10).map((m, j) => ({
          Id: String(j),
          ReceiptHandle: m.ReceiptHandle ?? "",
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  // The worker's receives: SQS's count less this listing's own receive, and without the receive
  // that moved the message (the emulator counts it) or other listings: at most maxReceiveCount.
  const most = isForwardQueue(pair.name)
    ? FORWARD_QUEUE.maxReceiveCount
    : QUEUES[pair.name].maxReceiveCount;
  return messages
    .map((m) => describeDeadLetter(pair.name, m))
    .map((dl) => ({ ...dl, receiveCount: Math.min(most, Math.max(0, dl.receiveCount - 1)) }))
    .sort((a, b) => a.sentAt - b.sentAt);
}

export function describeDeadLetter(queue: QueueName | ForwardQueueName, m: Message): DeadLetter {
  const body = m.Body ?? "";
  const base = {
    queue,
    messageId: m.MessageId ?? "",
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: Number(m.Attributes?.SentTimestamp ?? Date.now()),
    body,
  };
  if (isForwardQueue(queue)) {
    try {
      const { event } = parseQueuedEvent(body);
      const atId = atIdOfEvent(event);
      return {
        ...base,
        route: queue,
        type: event.type,
        atId,
        reason: `the endpoint refused event ${event.id}, or failed it until the forwarder gave up: npm run records -- --id ${atId} shows its last answer`,
      };
    } catch (error) {
      return { ...base, ...guessFields(body), reason: `unreadable: ${(error as Error).message}` };
    }
  }
  const retried = `a valid message the ${queue === "events" ? "recorder" : "replier"} failed on every receive: its log lines carry sqsMessageId=${base.messageId}`;
  try {
    if (queue === "events") {
      const envelope = parseEnvelope(body);
      return {
        ...base,
        route: envelope.route,
        type: envelope.type,
        atId: envelope.id,
        reason: retried,
      };
    }
    const job = parseReplyJob(body);
    return { ...base, route: "replier", type: "sms.reply", atId: job.inboundId, reason: retried };
  } catch (error) {
    const guess = guessFields(body);
    return { ...base, ...guess, reason: `unreadable: ${(error as Error).message}` };
  }
}

/** The route and id of a message the worker refused, where its JSON still shows them. */
function guessFields(body: string) {
  let value: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === "object" && parsed !== null) value = parsed as Record<string, unknown>;
  } catch {
    // not JSON: nothing to show
  }
  const text = (v: unknown) => (typeof v === "string" && v ? v : "-");
  return {
    route: text(value.route),
    type: text(value.type ?? value.kind),
    atId: text(value.id ?? value.inboundId),
  };
}

export interface Redriven {
  moved: number;
  messageIds: string[];
  /** On AWS: the move task, which runs in the background. */
  taskHandle?: string;
}

/**
 * Moves dead letters back to their work queue by receive, send, delete, in batches of ten (the
 * local emulator has no StartMessageMoveTask). A message is deleted only once its copy is sent.
 */
export function redriveByCopy(client: SQSClient, pair: QueuePair): Promise<Redriven> {
  return inTurn(pair.dlqUrl, () => redriveNow(client, pair));
}

async function redriveNow(client: SQSClient, pair: QueuePair): Promise<Redriven> {
  const messageIds: string[] = [];
  // What is there now, as SQS's own redrive moves: a message that can never be read comes
  // straight back, and must not be moved again and again.
  const waiting = Number(await queueAttribute(client, pair.dlqUrl, "ApproximateNumberOfMessages"));
  while (messageIds.length < waiting) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: pair.dlqUrl,
        MaxNumberOfMessages: Math.min(10, waiting - messageIds.length),
        VisibilityTimeout: PEEK_SECONDS,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) break;
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: pair.url,
        Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? "" })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const done = Messages.filter((_, i) => ok.has(String(i)));
    if (done.length > 0) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: pair.dlqUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
    }
    messageIds.push(...done.map((m) => m.MessageId ?? ""));
    if (done.length < Messages.length) break;
  }
  return { moved: messageIds.length, messageIds };
}

/** On AWS: SQS's own redrive (StartMessageMoveTask) from the dead-letter queue to its source. */
export async function redriveOnAws(client: SQSClient, pair: QueuePair): Promise<Redriven> {
  const [dlqArn, sourceArn, count] = await Promise.all([
    queueAttribute(client, pair.dlqUrl, "QueueArn"),
    queueAttribute(client, pair.url, "QueueArn"),
    queueAttribute(client, pair.dlqUrl, "ApproximateNumberOfMessages"),
  ]);
  if (Number(count) === 0) return { moved: 0, messageIds: [] };
  const { TaskHandle } = await client.send(
    new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: sourceArn }),
  );
  return {
    moved: Number(count),
    messageIds: [],
    ...(TaskHandle ? { taskHandle: TaskHandle } : {}),
  };
}

export async function purgeDeadLetters(client: SQSClient, pair: QueuePair): Promise<number> {
  const count = Number(await queueAttribute(client, pair.dlqUrl, "ApproximateNumberOfMessages"));
  await client.send(new PurgeQueueCommand({ QueueUrl: pair.dlqUrl }));
  return count;
}

export async function deadLetterCount(client: SQSClient, pair: QueuePair): Promise<number> {
  return Number(await queueAttribute(client, pair.dlqUrl, "ApproximateNumberOfMessages"));
}

async function queueAttribute(
  client: SQSClient,
  url: string,
  name: "QueueArn" | "ApproximateNumberOfMessages",
): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }),
  );
  return Attributes?.[name] ?? "";
}

/** `3m`, `2h`, `5d`: how long ago a message was first sent. */
export function age(sentAt: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - sentAt) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/**
 * Tells `onNew` of each message that reaches a dead-letter queue, checking every `intervalMs`
 * (a cheap attribute read; the queue is listed only when its count grew).
 */
export function watchDeadLetters(
  client: SQSClient,
  pairs: readonly QueuePair[],
  onNew: (deadLetter: DeadLetter) => void,
  intervalMs = 2000,
  /** Checks only while this holds: each listing counts as a receive of every dead letter. */
  active: () => boolean = () => true,
): { stop(): void } {
  const seen = new Set<string>();
  const counts = new Map<QueuePair["name"], number>();
  let busy = false;
  const check = async () => {
    if (busy || !active()) return;
    busy = true;
    try {
      for (const pair of pairs) {
        let count = await deadLetterCount(client, pair);
        if (count > (counts.get(pair.name) ?? 0)) {
          const listed = await listDeadLetters(client, pair, LISTING_MAX);
          for (const dl of listed) {
            if (!seen.has(dl.messageId)) {
              seen.add(dl.messageId);
              onNew(dl);
            }
          }
          // A message another process's listing held hidden was missed: look again next time
          // (not when the listing stopped at its bound, which would list again on every check).
          if (listed.length < LISTING_MAX) count = Math.min(count, listed.length);
        }
        counts.set(pair.name, count);
      }
    } catch {
      // The queues are stopping, or busy: try again next time.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
