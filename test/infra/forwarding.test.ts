import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { FORWARD_QUEUE, FORWARD_RETRY } from "../../functions/settings";
import { readConfig } from "../../infra/config";
import { grantsOf, logicalId, normalise, synthStack } from "./synth";

const FORWARD_TO =
  "crm=https://crm.example.com/at billing[sms.delivery,airtime.status]=https://billing.example.com/hook";
// Synthesized once at load.
const { stack, template } = synthStack({ context: { forwardTo: FORWARD_TO } });
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const forwarding = stack.forwarding;
const endpoint = (name: string) => {
  const found = forwarding?.endpoints.get(name);
  if (!found) throw new Error(`no endpoint ${name}`);
  return found;
};
const id = (construct: { node: { defaultChild?: unknown } }) => logicalId(stack, construct);
const ref = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: id(construct) });
const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({
  "Fn::GetAtt": [id(construct), "Arn"],
});

describe("forwarding to the stage's endpoints", () => {
  it("builds nothing without forwardTo", () => {
    expect(synthStack().stack.forwarding).toBeUndefined();
  });

  it("subscribes one queue per endpoint to the events topic, raw, filtered on type when asked", () => {
    const subscriptions = Object.values(resources).filter(
      (r) => r.Type === "AWS::SNS::Subscription",
    );
    expect(subscriptions).toHaveLength(2);
    const of = (name: string) =>
      subscriptions.find(
        (s) =>
          JSON.stringify(s.Properties.Endpoint) ===
          JSON.stringify(arnOf(endpoint(name).queue.queue)),
      )?.Properties;
    const topic = { Ref: id(stack.eventsTopic as unknown as { node: { defaultChild?: unknown } }) };
    expect(of("crm")).toEqual({
      Protocol: "sqs",
      TopicArn: topic,
      Endpoint: arnOf(endpoint("crm").queue.queue),
      RawMessageDelivery: true,
    });
    expect(of("billing")).toMatchObject({
      RawMessageDelivery: true,
      FilterPolicy: { type: ["sms.delivery", "airtime.status"] },
    });
    // SNS may send to the queue, from this topic only.
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [ref(endpoint("crm").queue.queue)],
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "sqs:SendMessage",
            Principal: { Service: "sns.amazonaws.com" },
            Condition: { ArnEquals: { "aws:SourceArn": topic } },
          }),
        ]),
      }),
    });
  });

  it("keeps an event on the queue past the retry window, dead-lettering by age, not count", () => {
    const queue = resources[id(endpoint("crm").queue.queue)]?.Properties ?? {};
    expect(queue.MessageRetentionPeriod).toBeGreaterThan(
      FORWARD_RETRY.aws.giveUpAfterSeconds + FORWARD_RETRY.aws.maxDelaySeconds,
    );
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(endpoint("crm").queue.deadLetterQueue),
      maxReceiveCount: FORWARD_QUEUE.maxReceiveCount,
    });
    expect(queue.VisibilityTimeout).toBe(FORWARD_QUEUE.visibilityTimeoutSeconds);
  });

  it("alarms on each endpoint's dead-letter queue", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: Match.stringLikeRegexp("ForwardBillingDeadLetters$"),
      Dimensions: [
        {
          Name: "QueueName",
          Value: { "Fn::GetAtt": [id(endpoint("billing").queue.deadLetterQueue), "QueueName"] },
        },
      ],
      Threshold: 1,
      AlarmActions: Match.anyValue(),
    });
  });

  it("alarms on each forwarder failing whole invocations or being throttled", () => {
    for (const [name, pascalName] of [
      ["crm", "Crm"],
      ["billing", "Billing"],
    ] as const) {
      for (const metric of ["Errors", "Throttles"]) {
        template.hasResourceProperties("AWS::CloudWatch::Alarm", {
          AlarmName: Match.stringLikeRegexp(`Forward${pascalName}${metric}$`),
          MetricName: metric,
          Namespace: "AWS/Lambda",
          Dimensions: [{ Name: "FunctionName", Value: ref(endpoint(name).forwarder.function) }],
          Threshold: 1,
          AlarmActions: Match.anyValue(),
        });
      }
    }
  });

  it("generates each endpoint's signing secret once, as base64 a receiver takes as whsec_", () => {
    const secret = resources[id(endpoint("crm").secret)]?.Properties ?? {};
    expect(secret.GenerateSecretString).toEqual({
      PasswordLength: 44,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
  });

  it("grants each forwarder exactly what it uses: its secret, its queue, its DLQ, delivery items", () => {
    for (const name of ["crm", "billing"]) {
      const { forwarder, queue, secret } = endpoint(name);
      const grants = grantsOf(template, id(forwarder.function)).filter(
        (g) => !g.action.startsWith("logs:"),
      );
      expect(normalise(grants)).toEqual(
        normalise([
          {
            action: "dynamodb:UpdateItem",
            resource: arnOf(stack.table),
            condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["ID#*"] } },
          },
          { action: "secretsmanager:GetSecretValue", resource: ref(secret) },
          { action: "sqs:SendMessage", resource: arnOf(queue.deadLetterQueue) },
          ...[
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
          ].map((action) => ({ action, resource: arnOf(queue.queue) })),
        ]),
      );
    }
  });

  it("lets no other function read a signing secret", () => {
    const secrets = ["crm", "billing"].map((n) => JSON.stringify(ref(endpoint(n).secret)));
    const readers = Object.entries(resources)
      .filter(([, r]) => r.Type === "AWS::Lambda::Function")
      .filter(([fnId]) =>
        grantsOf(template, fnId).some(
          (g) =>
            g.action.startsWith("secretsmanager:") && secrets.includes(JSON.stringify(g.resource)),
        ),
      )
      .map(([fnId]) => fnId);
    expect(readers.sort()).toEqual(
      [id(endpoint("crm").forwarder.function), id(endpoint("billing").forwarder.function)].sort(),
    );
  });

  it("tells the forwarder its endpoint, queue, DLQ and secret", () => {
    const { forwarder, queue, secret } = endpoint("billing");
    const env = (
      resources[id(forwarder.function)]?.Properties.Environment as
        | { Variables: Record<string, unknown> }
        | undefined
    )?.Variables;
    expect(env).toMatchObject({
      FORWARD_ENDPOINT_NAME: "billing",
      FORWARD_URL: "https://billing.example.com/hook",
      FORWARD_QUEUE_URL: ref(queue.queue),
      DEAD_LETTER_QUEUE_URL: ref(queue.deadLetterQueue),
      FORWARD_SECRET_ARN: ref(secret),
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: ref(forwarder.function),
      EventSourceArn: arnOf(queue.queue),
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });
});

describe("the forwardTo setting", () => {
  const read = (forwardTo: unknown) =>
    readConfig((key) => ({ alarmEmail: "none", forwardTo })[key as "alarmEmail"]);

  it("takes several endpoints with optional type filters, as -c text or a cdk.json list", () => {
    expect(read(FORWARD_TO).forwardTo).toEqual([
      { name: "crm", url: "https://crm.example.com/at", types: undefined },
      {
        name: "billing",
        url: "https://billing.example.com/hook",
        types: ["sms.delivery", "airtime.status"],
      },
    ]);
    expect(
      read([{ name: "crm", url: "https://crm.example.com/at", types: ["sms.incoming"] }]).forwardTo,
    ).toEqual([{ name: "crm", url: "https://crm.example.com/at", types: ["sms.incoming"] }]);
    expect(read(undefined).forwardTo).toEqual([]);
  });

  it.each([
    ["crm=http://crm.example.com/at", /endpoint crm: http:\/\/crm.example.com\/at must be https/],
    ["https://crm.example.com/at", /is not name=URL/],
    ["crm[sms.bogus]=https://x.example.com", /unknown event type "sms.bogus"/],
    ["crm[]=https://x.example.com", /empty type filter/],
    ["crm=https://a.example.com crm=https://b.example.com", /"crm" is used twice/],
    ["CRM=https://a.example.com", /must be lower-case/],
    ["crm=not-a-url", /is not a URL/],
  ])("refuses %s with a clear reason", (value, reason) => {
    expect(() => read(value)).toThrow(/^context forwardTo: /);
    expect(() => read(value)).toThrow(reason);
  });
});
