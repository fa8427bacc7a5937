import { describe, expect, it } from "vitest";
import { loadForwarderConfig } from "../../functions/config/forwarder";
import { generateSigningSecret } from "../../functions/forward/signature";
import { FORWARD_RETRY } from "../../functions/settings";

const base = {
  TABLE_NAME: "records",
  FORWARD_QUEUE_URL: "https://sqs/forward-crm",
  DEAD_LETTER_QUEUE_URL: "https://sqs/forward-crm-dlq",
  FORWARD_ENDPOINT_NAME: "crm",
};

describe("the forwarder's configuration", () => {
  it("on AWS: https only, the secret from Secrets Manager, the 26-hour schedule", () => {
    const config = loadForwarderConfig({
      ...base,
      FORWARD_URL: "https://crm.example.com/at",
      FORWARD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:1:secret:x",
    });
    expect(config.signingSecret).toEqual({
      kind: "secret",
      secretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:x",
    });
    expect(config.retry).toBe(FORWARD_RETRY.aws);
    expect(() =>
      loadForwarderConfig({
        ...base,
        FORWARD_URL: "http://crm.example.com/at",
        FORWARD_SECRET_ARN: "a",
      }),
    ).toThrow("environment variable FORWARD_URL must be https, not http://crm.example.com/at");
    expect(() => loadForwarderConfig({ ...base, FORWARD_URL: "https://crm.example.com" })).toThrow(
      "FORWARD_SECRET_ARN is not set",
    );
  });

  it("locally: http allowed, a whsec_ FORWARD_SECRET checked at start, the short schedule", () => {
    const config = loadForwarderConfig(
      {
        ...base,
        FORWARD_URL: "http://localhost:8000/hook",
        FORWARD_SECRET: generateSigningSecret(),
      },
      "local",
    );
    expect(config.signingSecret.kind).toBe("value");
    expect(config.retry).toBe(FORWARD_RETRY.local);
    expect(() =>
      loadForwarderConfig(
        { ...base, FORWARD_URL: "http://localhost:8000/hook", FORWARD_SECRET: "hunter2" },
        "local",
      ),
    ).toThrow(/FORWARD_SECRET: signing secret 1 is not a whsec_ secret/);
  });
});
