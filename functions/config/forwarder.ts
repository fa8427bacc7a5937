import { parseSigningSecrets } from "../forward/signature";
import { FORWARD_RETRY, type ForwardRetryPolicy } from "../settings";
import { type Env, optionalNumberEnv, type RuntimeMode, requiredEnv } from "./env";

/** Where the signing secret comes from: Secrets Manager on AWS, the value itself locally. */
export type SigningSecretSource =
  | { readonly kind: "secret"; readonly secretArn: string }
  | { readonly kind: "value"; readonly keys: readonly Buffer[] };

export interface ForwarderConfig {
  readonly mode: RuntimeMode;
  readonly tableName: string;
  readonly recordTtlDays: number | undefined;
  /** The endpoint's queue: retries are delayed on it (ChangeMessageVisibility). */
  readonly forwardQueueUrl: string;
  /** Its dead-letter queue: an event refused or given up on goes there. */
  readonly deadLetterQueueUrl: string;
  readonly endpoint: { readonly name: string; readonly url: string };
  readonly signingSecret: SigningSecretSource;
  readonly retry: ForwardRetryPolicy;
}

/**
 * One endpoint's forwarder: `FORWARD_ENDPOINT_NAME`, `FORWARD_URL` (https on AWS), its queue
 * and dead-letter queue, and the signing secret: `FORWARD_SECRET_ARN` (Secrets Manager) on
 * AWS, `FORWARD_SECRET` (a `whsec_` value) locally.
 */
export function loadForwarderConfig(
  env: Env = process.env,
  mode: RuntimeMode = "aws",
): ForwarderConfig {
  const url = requiredEnv(env, "FORWARD_URL");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`environment variable FORWARD_URL is not a URL: ${url}`);
  }
  const allowed = mode === "aws" ? ["https:"] : ["https:", "http:"];
  if (!allowed.includes(parsed.protocol)) {
    const schemes = allowed.map((p) => p.replace(":", "")).join(" or ");
    throw new Error(`environment variable FORWARD_URL must be ${schemes}, not ${url}`);
  }
  const secretArn = env.FORWARD_SECRET_ARN;
  let signingSecret: SigningSecretSource;
  if (secretArn) signingSecret = { kind: "secret", secretArn };
  else if (mode === "local") {
    const value = requiredEnv(env, "FORWARD_SECRET");
    try {
      signingSecret = { kind: "value", keys: parseSigningSecrets(value) };
    } catch (error) {
      throw new Error(`environment variable FORWARD_SECRET: ${(error as Error).message}`);
    }
  } else throw new Error("environment variable FORWARD_SECRET_ARN is not set");
  return Object.freeze({
    mode,
    tableName: requiredEnv(env, "TABLE_NAME"),
    recordTtlDays: optionalNumberEnv(env, "RECORD_TTL_DAYS"),
    forwardQueueUrl: requiredEnv(env, "FORWARD_QUEUE_URL"),
    deadLetterQueueUrl: requiredEnv(env, "DEAD_LETTER_QUEUE_URL"),
    endpoint: { name: requiredEnv(env, "FORWARD_ENDPOINT_NAME"), url },
    signingSecret,
    retry: FORWARD_RETRY[mode],
  });
}
