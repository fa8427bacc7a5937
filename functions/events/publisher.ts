import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { CallbackEvent } from "./event";

/** The port the workers publish events through. */
export interface EventPublisher {
  /** Resolves once every one of the events is on the topic; rejects when one is not. */
  publish(events: readonly CallbackEvent[]): Promise<void>;
}

/**
 * A publisher that gathers the events of the messages a worker processes together into
 * PublishBatch calls: `enter` marks a message's work, and the events wait until every message
 * in work is waiting on its publish (or has ended), or `maxWaitMs` at most.
 */
export interface BatchingPublisher extends EventPublisher {
  /** Marks one message's work as under way; call the returned function when it ends. */
  enter(): () => void;
}

/** SNS PublishBatch takes at most this many messages. */
export const MAX_PUBLISH_BATCH = 10;

interface Waiting {
  events: readonly CallbackEvent[];
  resolve(): void;
  reject(error: Error): void;
}

/**
 * The SNS adapter: the events topic, in PublishBatch calls of up to 10. Each caller learns the
 * fate of its own events, so a worker reports back only the messages whose events failed.
 * Every message carries the String attribute `type` for subscription filter policies.
 */
export function snsEventPublisher(
  client: SNSClient,
  topicArn: string,
  options: { maxWaitMs?: number } = {},
): BatchingPublisher {
  const maxWaitMs = options.maxWaitMs ?? 1_000;
  let active = 0;
  let waiting: Waiting[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const callers = waiting;
    waiting = [];
    const entries = callers.flatMap((caller) => caller.events.map((event) => ({ caller, event })));
    const failures = new Map<Waiting, Error>();
    const chunks: (typeof entries)[] = [];
    for (let i = 0; i < entries.length; i += MAX_PUBLISH_BATCH) {
      chunks.push(entries.slice(i, i + MAX_PUBLISH_BATCH));
    }
    void Promise.all(
      chunks.map(async (chunk) => {
        for (const [index, error] of await publishChunk(chunk.map((e) => e.event))) {
          const owner = chunk[index]?.caller;
          if (owner) failures.set(owner, error);
        }
      }),
    ).then(() => {
      for (const caller of callers) {
        const error = failures.get(caller);
        if (error) caller.reject(error);
        else caller.resolve();
      }
    });
  };

  /** Publishes up to 10 events; the failed ones by index, with why. */
  const publishChunk = async (events: CallbackEvent[]): Promise<Map<number, Error>> => {
    const failed = new Map<number, Error>();
    try {
      const { Successful = [], Failed = [] } = await client.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: events.map((event, i) => ({
            Id: String(i),
            Message: JSON.stringify(event),
            MessageAttributes: { type: { DataType: "String", StringValue: event.type } },
          })),
        }),
      );
      const ok = new Set(Successful.map((s) => s.Id));
      const refused = new Map(Failed.map((f) => [f.Id, f]));
      for (const [i, event] of events.entries()) {
        if (ok.has(String(i))) continue;
        const f = refused.get(String(i));
        const reason = f ? `${f.Code ?? "error"} ${f.Message ?? ""}`.trim() : "no answer for it";
        failed.set(i, new Error(`event ${event.id} (${event.type}) not published: ${reason}`));
      }
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      for (const i of events.keys()) failed.set(i, cause);
    }
    return failed;
  };

  const flushWhenAllWait = () => {
    if (waiting.length > 0 && waiting.length >= active) flush();
  };

  return {
    enter() {
      active++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        active--;
        flushWhenAllWait();
      };
    },
    publish(events) {
      if (events.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting.push({ events, resolve, reject });
        timer ??= setTimeout(flush, maxWaitMs);
        flushWhenAllWait();
      });
    },
  };
}

/** Runs one message's work as part of the publisher's current batch (see `enter`). */
export const inEventBatch =
  <A extends unknown[]>(publisher: BatchingPublisher, work: (...args: A) => Promise<void>) =>
  async (...args: A): Promise<void> => {
    const leave = publisher.enter();
    try {
      await work(...args);
    } finally {
      leave();
    }
  };
