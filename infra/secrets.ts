import type { SecretStringGenerator } from "aws-cdk-lib/aws-secretsmanager";

/**
 * How the stage's two secrets are generated, once, when the stack is first created.
 *
 * NEVER CHANGE THESE, nor the secrets' construct ids in stack.ts. CloudFormation generates a new
 * value whenever `GenerateSecretString` changes (and a new secret when the logical id does):
 * the callback key would change on the next deploy and every callback AT sends with the key
 * pasted in its dashboard would get a 403; the AT credentials would fall back to the
 * placeholder and replies would stop. They are constants, not stage settings, so that no `-c`
 * option can reach them; test/infra/secrets.test.ts holds them to test/infra/recorded/secrets.json.
 * To change a key, rotate it (docs/deploy.md, "Rotating the key without downtime").
 */
export const CALLBACK_KEY_GENERATION: SecretStringGenerator = Object.freeze({
  passwordLength: 40,
  excludePunctuation: true,
  includeSpace: false,
});

export const AT_CREDENTIALS_GENERATION: SecretStringGenerator = Object.freeze({
  // The replier refuses this placeholder (PLACEHOLDER_USERNAME in functions/reply/at-sender.ts).
  secretStringTemplate: JSON.stringify({ username: "REPLACE_ME" }),
  generateStringKey: "apiKey",
  excludePunctuation: true,
});

/**
 * Each forwarding endpoint's signing secret: 44 letters and digits, which is base64 (33 bytes);
 * receivers use it as `whsec_<value>` (docs/forwarding.md). Never changed, for the same reason.
 */
export const FORWARD_SECRET_GENERATION: SecretStringGenerator = Object.freeze({
  passwordLength: 44,
  excludePunctuation: true,
  includeSpace: false,
});
