import { PublishBatchCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { CallbackEvent } from "./event";

/** The port the workers publish events through. */
export interface EventPublisher {
  /** Resolves once the event is on the topic; rejects when it is not (the caller retries). */
  publish(event: CallbackEvent): Promise<void>;
}

/** SNS PublishBatch takes at most this many messages. */
export const MAX_PUBLISH_BATCH = 10;

export interface SnsPublisherOptions {
  /** How long the first event of a batch waits for others (a worker's records run in parallel). */
  lingerMs?: number;
}

interface Pending {
  event: CallbackEvent;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Publishes to the events topic in batches: the events published while a batch fills (up to
 * 10, or for `lingerMs`) go in one PublishBatch call. Each caller learns the fate of its own
 * event, so a worker reports only the messages whose events failed. Every message carries the
 * String attribute `type` for subscription filter policies.
 */
export function snsEventPublisher(
  client: SNSClient,
  topicArn: string,
  options: SnsPublisherOptions = {},
): EventPublisher {
  const lingerMs = options.lingerMs ?? 10;
  let pending: Pending[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length > 0) void send(batch);
  };

  const send = async (batch: Pending[]) => {
    try {
      const { Successful = [], Failed = [] } = await client.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: batch.map(({ event }, i) => ({
            Id: String(i),
            Message: JSON.stringify(event),
            MessageAttributes: { type: { DataType: "String", StringValue: event.type } },
          })),
        }),
      );
      const ok = new Set(Successful.map((s) => s.Id));
      const failed = new Map(Failed.map((f) => [f.Id, f]));
      for (const [i, p] of batch.entries()) {
        const id = String(i);
        if (ok.has(id)) {
          p.resolve();
          continue;
        }
        const f = failed.get(id);
        const reason = f ? `${f.Code ?? "error"} ${f.Message ?? ""}`.trim() : "no answer for it";
        p.reject(new Error(`event ${p.event.id} not published: ${reason}`));
      }
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      for (const p of batch) p.reject(cause);
    }
  };

  return {
    publish(event) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ event, resolve, reject });
        if (pending.length >= MAX_PUBLISH_BATCH) flush();
        else timer ??= setTimeout(flush, lingerMs);
      });
    },
  };
}
