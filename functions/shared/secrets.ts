import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AWS_CALL } from "../settings";
import { untilAborted } from "./deadline";

/** Secrets are re-read at most this often, so a rotated value reaches warm containers quickly. */
const SECRET_MAX_AGE_SECONDS = 300;

// Created on first use, so handlers that never read a secret never build the client.
let provider: SecretsProvider | undefined;

/**
 * A secret's string value, cached per container for a few minutes (Powertools Parameters),
 * read with bounded calls and abandoned when the request's `signal` aborts.
 */
export async function readSecret(secretId: string, signal?: AbortSignal): Promise<string> {
  provider ??= new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ ...AWS_CALL }) });
  const value = await untilAborted(
    provider.get(secretId, { maxAge: SECRET_MAX_AGE_SECONDS }),
    signal,
  );
  if (typeof value !== "string" || value.length === 0) {
    throw new Error(`secret ${secretId} has no string value`);
  }
  return value;
}
