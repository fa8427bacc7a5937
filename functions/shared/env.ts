/** Reads a required environment variable, failing the cold start with a clear message. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function optionalNumberEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`environment variable ${name} must be a positive number`);
  return n;
}

export interface RecorderConfig {
  readonly tableName: string;
  /** Records expire this many days after they are received; unset keeps them forever. */
  readonly recordTtlDays: number | undefined;
  /** Where the recorder sends a reply job for every incoming SMS (docs/replies.md). */
  readonly repliesQueueUrl: string;
}

export function loadRecorderConfig(): RecorderConfig {
  return Object.freeze({
    tableName: requiredEnv("TABLE_NAME"),
    recordTtlDays: optionalNumberEnv("RECORD_TTL_DAYS"),
    repliesQueueUrl: requiredEnv("REPLIES_QUEUE_URL"),
  });
}

/** Where the reply worker's AT credentials come from. */
export type AtCredentialSource =
  | { kind: "secret"; secretArn: string }
  | { kind: "env"; username: string; apiKey: string }
  | { kind: "outbox" };

export interface ReplierConfig {
  readonly tableName: string;
  readonly recordTtlDays: number | undefined;
  /** The queue the worker consumes; it delays retries on it (ChangeMessageVisibility). */
  readonly repliesQueueUrl: string;
  /** `AT_SHORTCODE`: the sender of every reply (else the shortcode the subscriber wrote to). */
  readonly shortcode: string | undefined;
  readonly credentials: AtCredentialSource;
  /** Seconds before the first retry after a retryable AT failure (doubling, capped). */
  readonly retryBaseDelaySeconds: number | undefined;
  /** Print outbox replies on stdout (`npm start`). */
  readonly printOutbox: boolean;
}

/**
 * The reply worker's configuration. On AWS the AT username and API key come from Secrets
 * Manager (`AT_CREDENTIALS_SECRET_ARN`, JSON `{"username","apiKey"}`); locally from
 * `AT_USERNAME`/`AT_API_KEY`; with neither, locally only, replies go to the local outbox.
 */
export function loadReplierConfig(): ReplierConfig {
  const secretArn = process.env.AT_CREDENTIALS_SECRET_ARN;
  const username = process.env.AT_USERNAME;
  const apiKey = process.env.AT_API_KEY;
  let credentials: AtCredentialSource;
  if (secretArn) credentials = { kind: "secret", secretArn };
  else if (username || apiKey) {
    if (!username || !apiKey) throw new Error("set both AT_USERNAME and AT_API_KEY, or neither");
    credentials = { kind: "env", username, apiKey };
  } else if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
    throw new Error("environment variable AT_CREDENTIALS_SECRET_ARN is not set");
  } else credentials = { kind: "outbox" };
  const base = process.env.REPLY_RETRY_BASE_SECONDS;
  const retryBaseDelaySeconds = base === undefined || base === "" ? undefined : Number(base);
  if (retryBaseDelaySeconds !== undefined && !(retryBaseDelaySeconds >= 0)) {
    throw new Error("environment variable REPLY_RETRY_BASE_SECONDS must be a number ≥ 0");
  }
  return Object.freeze({
    tableName: requiredEnv("TABLE_NAME"),
    recordTtlDays: optionalNumberEnv("RECORD_TTL_DAYS"),
    repliesQueueUrl: requiredEnv("REPLIES_QUEUE_URL"),
    shortcode: process.env.AT_SHORTCODE || undefined,
    credentials,
    retryBaseDelaySeconds,
    printOutbox: process.env.LOCAL_OUTBOX_PRINT === "1",
  });
}
