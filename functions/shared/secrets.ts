import { getSecret } from "@aws-lambda-powertools/parameters/secrets";

/** Secrets are re-read at most this often, so a rotated value reaches warm containers quickly. */
const SECRET_MAX_AGE_SECONDS = 300;

/** A secret's string value, cached per container for a few minutes (Powertools Parameters). */
export async function readSecret(secretId: string): Promise<string> {
  const value = await getSecret(secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
  if (typeof value !== "string" || value.length === 0) {
    throw new Error(`secret ${secretId} has no string value`);
  }
  return value;
}
