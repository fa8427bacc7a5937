import { type Env, optionalNumberEnv, requiredEnv } from "./env";

export interface RecorderConfig {
  readonly tableName: string;
  /** Records expire this many days after they are received; unset keeps them forever. */
  readonly recordTtlDays: number | undefined;
  /** Where the recorder sends a reply job for every incoming SMS (docs/replies.md). */
  readonly repliesQueueUrl: string;
  /** Its own queue's dead-letter queue: a message that can never be read goes there at once. */
  readonly deadLetterQueueUrl: string;
  /** The SNS topic every record's event is published to (docs/events.md). */
  readonly eventsTopicArn: string;
  /** The stage named in every event (`STAGE`; `local` when unset). */
  readonly stage: string;
}

export function loadRecorderConfig(env: Env = process.env): RecorderConfig {
  return Object.freeze({
    tableName: requiredEnv(env, "TABLE_NAME"),
    recordTtlDays: optionalNumberEnv(env, "RECORD_TTL_DAYS"),
    repliesQueueUrl: requiredEnv(env, "REPLIES_QUEUE_URL"),
    deadLetterQueueUrl: requiredEnv(env, "DEAD_LETTER_QUEUE_URL"),
    eventsTopicArn: requiredEnv(env, "EVENTS_TOPIC_ARN"),
    stage: env.STAGE || "local",
  });
}
