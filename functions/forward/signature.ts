import { createHmac, randomBytes } from "node:crypto";

/** The prefix of a Standard Webhooks signing secret; the rest is its key, base64. */
export const SECRET_PREFIX = "whsec_";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Shorter keys are guessable; Standard Webhooks asks for 24 to 64 bytes. */
const MIN_KEY_BYTES = 24;

/**
 * The keys of a signing-secret value: one secret, or several separated by spaces while a
 * rotated one overlaps (each signs every delivery). A secret is `whsec_<base64>`, or its bare
 * base64 part (as Secrets Manager generates it).
 */
export function parseSigningSecrets(value: string): Buffer[] {
  const secrets = value.trim().split(/\s+/).filter(Boolean);
  if (secrets.length === 0) throw new Error("the signing secret is empty");
  return secrets.map((secret, i) => {
    const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
    const key =
      BASE64.test(encoded) && encoded.length % 4 === 0 ? Buffer.from(encoded, "base64") : undefined;
    if (!key || key.length < MIN_KEY_BYTES) {
      throw new Error(
        `signing secret ${i + 1} is not a whsec_ secret: expected whsec_ followed by the base64 of at least ${MIN_KEY_BYTES} bytes`,
      );
    }
    return key;
  });
}

/** A new signing secret: 32 random bytes. */
export const generateSigningSecret = () => `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * The Standard Webhooks headers of one delivery: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`
 * per key, space-separated, so a receiver holding either secret of a rotation verifies it.
 */
export function signDelivery(
  keys: readonly Buffer[],
  id: string,
  timestampSeconds: number,
  body: string,
): SignedHeaders {
  const timestamp = String(timestampSeconds);
  const signed = `${id}.${timestamp}.${body}`;
  return {
    "webhook-id": id,
    "webhook-timestamp": timestamp,
    "webhook-signature": keys
      .map((key) => `v1,${createHmac("sha256", key).update(signed).digest("base64")}`)
      .join(" "),
  };
}
