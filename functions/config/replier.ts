import { loadReplyPolicy, type ReplyPolicy } from "../reply/policy";
import type { AtCredentialSource } from "../reply/sender";
import { type Env, optionalNumberEnv, type RuntimeMode, requiredEnv } from "./env";

export type { AtCredentialSource };

export interface ReplierConfig {
  readonly mode: RuntimeMode;
  readonly tableName: string;
  readonly recordTtlDays: number | undefined;
  /** The queue the worker consumes; it delays retries on it (ChangeMessageVisibility). */
  readonly repliesQueueUrl: string;
  /** Its dead-letter queue: a job that can never be read goes there at once. */
  readonly deadLetterQueueUrl: string;
  /** `AT_SHORTCODE`: the sender of every reply (else the shortcode the subscriber wrote to). */
  readonly shortcode: string | undefined;
  readonly credentials: AtCredentialSource;
  /** Seconds before the first retry after a retryable AT failure (doubling, capped). */
  readonly retryBaseDelaySeconds: number | undefined;
  /** Print outbox replies on stdout (`npm start`). */
  readonly printOutbox: boolean;
  readonly policy: ReplyPolicy;
  /** The SNS topic a reply's state changes are published to (docs/events.md). */
  readonly eventsTopicArn: string;
  /** The `stage` dimension of the reply metrics and of events (`STAGE`; `local` when unset). */
  readonly stage: string;
}

/**
 * The reply worker's configuration. On AWS the AT username and API key come from Secrets
 * Manager (`AT_CREDENTIALS_SECRET_ARN`, JSON `{"username","apiKey"}`); locally from
 * `AT_USERNAME`/`AT_API_KEY`; with neither, locally only, replies go to the local outbox.
 */
export function loadReplierConfig(
  env: Env = process.env,
  mode: RuntimeMode = "aws",
): ReplierConfig {
  const secretArn = env.AT_CREDENTIALS_SECRET_ARN;
  const username = env.AT_USERNAME;
  const apiKey = env.AT_API_KEY;
  let credentials: AtCredentialSource;
  if (secretArn) credentials = { kind: "secret", secretArn };
  else if (username || apiKey) {
    if (!username || !apiKey) throw new Error("set both AT_USERNAME and AT_API_KEY, or neither");
    credentials = { kind: "env", username, apiKey };
  } else if (mode === "aws") {
    throw new Error("environment variable AT_CREDENTIALS_SECRET_ARN is not set");
  } else credentials = { kind: "outbox" };
  const base = env.REPLY_RETRY_BASE_SECONDS;
  const retryBaseDelaySeconds = base === undefined || base === "" ? undefined : Number(base);
  if (retryBaseDelaySeconds !== undefined && !(retryBaseDelaySeconds >= 0)) {
    throw new Error("environment variable REPLY_RETRY_BASE_SECONDS must be a number ≥ 0");
  }
  return Object.freeze({
    mode,
    tableName: requiredEnv(env, "TABLE_NAME"),
    recordTtlDays: optionalNumberEnv(env, "RECORD_TTL_DAYS"),
    repliesQueueUrl: requiredEnv(env, "REPLIES_QUEUE_URL"),
    deadLetterQueueUrl: requiredEnv(env, "DEAD_LETTER_QUEUE_URL"),
    eventsTopicArn: requiredEnv(env, "EVENTS_TOPIC_ARN"),
    shortcode: env.AT_SHORTCODE || undefined,
    credentials,
    retryBaseDelaySeconds,
    printOutbox: env.LOCAL_OUTBOX_PRINT === "1",
    policy: loadReplyPolicy(env, mode),
    stage: env.STAGE || "local",
  });
}
