import { parseKeyList } from "./callback-key";
import { readSecret } from "./secrets";

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

export interface CallbackConfig {
  readonly eventsQueueUrl: string;
  /** The valid callback keys; on AWS re-read from Secrets Manager every few minutes. */
  readonly callbackKeys: () => Promise<readonly string[]>;
}

/**
 * Configuration of every HTTP callback handler, read once per container. On AWS the keys
 * live in Secrets Manager (`CALLBACK_KEY_SECRET_ARN`: comma-separated keys); locally they
 * come from `CALLBACK_KEY`.
 */
export function loadCallbackConfig(): CallbackConfig {
  const eventsQueueUrl = requiredEnv("EVENTS_QUEUE_URL");
  const secretArn = process.env.CALLBACK_KEY_SECRET_ARN;
  if (secretArn) {
    return Object.freeze({
      eventsQueueUrl,
      callbackKeys: async () => parseKeyList(await readSecret(secretArn)),
    });
  }
  const keys = parseKeyList(requiredEnv("CALLBACK_KEY"));
  return Object.freeze({ eventsQueueUrl, callbackKeys: async () => keys });
}

export interface RecorderConfig {
  readonly tableName: string;
  /** Records expire this many days after they are received; unset keeps them forever. */
  readonly recordTtlDays: number | undefined;
}

export function loadRecorderConfig(): RecorderConfig {
  return Object.freeze({
    tableName: requiredEnv("TABLE_NAME"),
    recordTtlDays: optionalNumberEnv("RECORD_TTL_DAYS"),
  });
}
