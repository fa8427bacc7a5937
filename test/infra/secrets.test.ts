import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { synthStack } from "./synth";

/**
 * The stage's secrets are generated once. CloudFormation generates a new value whenever a
 * secret's `GenerateSecretString` changes, and a new secret whenever its logical id does: for
 * the callback key that is a 403 on every callback AT sends until someone pastes 11 new URLs
 * into its dashboard. So both are pinned to what the first deploy created
 * (test/infra/recorded/secrets.json), whatever the stage's options: a change here is a change
 * every deployed stage would feel, and must not be made (infra/secrets.ts says why).
 */
const recorded = JSON.parse(
  readFileSync(new URL("./recorded/secrets.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

type Resource = { Type: string; Properties: Record<string, unknown> };
const secretsOf = (context: Record<string, string>) => {
  const { template } = synthStack({ context });
  const resources = template.toJSON().Resources as Record<string, Resource>;
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, r]) => r.Type === "AWS::SecretsManager::Secret")
      .map(([id, r]) => [id, { GenerateSecretString: r.Properties.GenerateSecretString }]),
  );
};

// Synthesized once at load, as the other template tests do (no per-test time limit on a busy machine).
const synthesized = [
  ["the defaults", secretsOf({})],
  [
    "every option changed",
    secretsOf({
      stageName: "dev",
      destroyable: "true",
      alarmEmail: "ops@example.com",
      tracing: "true",
      recordTtlDays: "400",
      throttleRate: "5",
      logRetentionDays: "7",
      logLevel: "WARN",
      smsReplyTemplate: "Thanks",
      atShortcode: "20880",
      interactiveReservedConcurrency: "0",
      domainName: "callbacks.example.com",
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
    }),
  ],
] as const;

describe("the stage's secrets", () => {
  it.each(synthesized)("keep their logical ids and generation settings with %s", (_, secrets) => {
    expect(secrets).toEqual(recorded);
  });
});
