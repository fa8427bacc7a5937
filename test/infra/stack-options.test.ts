import { describe, expect, it } from "vitest";
import { ROUTES } from "../../functions/routes";
import { logicalId, synthStack } from "./synth";

// One synthesis with every context option set the non-default way (a dev stage).
const { stack, template } = synthStack({
  context: {
    stageName: "dev",
    destroyable: "true",
    alarmEmail: "ops@example.com",
    recordTtlDays: "90",
    throttleRate: "5",
    throttleBurst: "10",
    logRetentionDays: "7",
    atShortcode: "20880",
    smsReplyTemplate: "",
    smsReplyKeywords: '{"HELP":"Text BAL for your balance"}',
    airtimeCurrencies: "KES",
    airtimeRequirePending: "true",
    logLevel: "WARN",
    tracing: "true",
    interactiveReservedConcurrency: "0",
    recorderMaxConcurrency: "50",
    replierMaxConcurrency: "2",
    routeThrottles: '{"sms-delivery-reports": {"rate": 20, "burst": 40}}',
    legacyIndexes: "byPhone,byType",
  },
});
const resources = template.toJSON().Resources as Record<
  string,
  Record<string, unknown> & { Properties: Record<string, unknown> }
>;
const ref = (value: unknown) => stack.resolve(value);

describe("stack options from context", () => {
  it("names the stack after the stage", () => {
    expect(stack.stackName).toBe("AtCallbacks-dev");
  });

  it("keeps the indexes it is told to while an existing table is upgraded, one change a deploy", () => {
    const indexes = resources[logicalId(stack, stack.table)]?.Properties.GlobalSecondaryIndexes as {
      IndexName: string;
      Projection: unknown;
    }[];
    expect(indexes.map((i) => [i.IndexName, i.Projection])).toEqual([
      ["byTypeMonth", { ProjectionType: "INCLUDE", NonKeyAttributes: ["phoneNumber"] }],
      ["byPhone", { ProjectionType: "ALL" }],
      ["byType", { ProjectionType: "ALL" }],
    ]);
  });

  it("lets a destroyable stage delete its table and secrets", () => {
    const table = resources[logicalId(stack, stack.table)];
    expect(table?.Properties.DeletionProtectionEnabled).toBe(false);
    expect(table?.DeletionPolicy).toBe("Delete");
    for (const secret of [stack.callbackKeySecret, stack.atCredentialsSecret]) {
      expect(resources[logicalId(stack, secret)]?.DeletionPolicy).toBe("Delete");
    }
  });

  it("subscribes the alarm e-mail to the topic", () => {
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
      TopicArn: ref(stack.alarms.topic.topicArn),
    });
  });

  it("passes the reply policy to the replier, an empty template (no replies) included", () => {
    const replier = stack.workerFunctions.get("replier");
    if (!replier) throw new Error("missing replier");
    const environment = resources[logicalId(stack, replier.function)]?.Properties.Environment as
      | { Variables: Record<string, unknown> }
      | undefined;
    const variables = environment?.Variables ?? {};
    expect(variables).toMatchObject({
      AT_SHORTCODE: "20880",
      SMS_REPLY_TEMPLATE: "",
      SMS_REPLY_KEYWORDS: '{"HELP":"Text BAL for your balance"}',
    });
    expect(variables.AT_PREMIUM_KEYWORDS).toBeUndefined();
    // The recorder reads the same policy: it queues no reply job when nothing is answered.
    const recorder = stack.workerFunctions.get("recorder");
    if (!recorder) throw new Error("missing recorder");
    const recorderEnv = resources[logicalId(stack, recorder.function)]?.Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(recorderEnv.Variables).toMatchObject({
      SMS_REPLY_TEMPLATE: "",
      SMS_REPLY_KEYWORDS: '{"HELP":"Text BAL for your balance"}',
    });
    expect(recorderEnv.Variables.AT_SHORTCODE).toBeUndefined();
  });

  it("gives the airtime rules to the airtime validation function only, and the log level to all", () => {
    for (const [name, fn] of [...stack.routeFunctions, ...stack.workerFunctions]) {
      const environment = resources[logicalId(stack, fn.function)]?.Properties.Environment as
        | { Variables: Record<string, unknown> }
        | undefined;
      const variables = environment?.Variables ?? {};
      expect(
        resources[logicalId(stack, fn.function)]?.Properties.LoggingConfig,
        name,
      ).toMatchObject({ LogFormat: "JSON", ApplicationLogLevel: "WARN", SystemLogLevel: "WARN" });
      expect(variables.POWERTOOLS_LOG_LEVEL, name).toBeUndefined();
      if (name === "airtime-validation") {
        expect(variables).toMatchObject({
          AIRTIME_CURRENCIES: "KES",
          AIRTIME_REQUIRE_PENDING: "true",
        });
      } else {
        expect(
          Object.keys(variables).filter((k) => k.startsWith("AIRTIME_")),
          name,
        ).toEqual([]);
      }
    }
  });

  it("passes the record TTL to the recorder", () => {
    const recorder = stack.workerFunctions.get("recorder");
    if (!recorder) throw new Error("missing recorder");
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: resources[logicalId(stack, recorder.function)]?.Properties.Description,
      Environment: { Variables: { RECORD_TTL_DAYS: "90", TABLE_NAME: ref(stack.table.tableName) } },
    });
    for (const route of ROUTES) {
      const fn = stack.routeFunctions.get(route.name);
      if (!fn) throw new Error(`missing ${route.name}`);
      expect(
        JSON.stringify(resources[logicalId(stack, fn.function)]?.Properties.Environment),
      ).not.toContain("RECORD_TTL_DAYS");
    }
  });

  it("applies the throttle and the log retention", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      RouteSettings: {
        "POST /api/sms/delivery-reports": { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      },
    });
    const logGroups = Object.values(resources).filter((r) => r.Type === "AWS::Logs::LogGroup");
    expect(logGroups.length).toBeGreaterThan(0);
    for (const group of logGroups) expect(group.Properties.RetentionInDays).toBe(7);
  });

  it("turns X-Ray tracing on for every function, granting only what X-Ray needs", () => {
    const functions = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::Function");
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: "Active" });
    const xray = Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy")
      .flatMap(
        (p) =>
          (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
            .Statement,
      )
      .filter((st) => JSON.stringify(st.Action).includes("xray:"));
    expect(xray).toHaveLength(functions.length);
    for (const st of xray) {
      // X-Ray has no resource-level permissions: "*" is the only possible resource.
      expect(st).toMatchObject({
        Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        Resource: "*",
      });
    }
  });

  it("takes the concurrency settings: no reservation when 0, the mappings' caps as given", () => {
    const functions = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::Function");
    for (const fn of functions) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const caps = Object.values(resources)
      .filter((r) => r.Type === "AWS::Lambda::EventSourceMapping")
      .map((m) => (m.Properties.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency)
      .sort((a, b) => a - b);
    expect(caps).toEqual([2, 50]);
  });

  it("names the stage in metrics and in its own dashboard", () => {
    const recorder = stack.workerFunctions.get("recorder");
    if (!recorder) throw new Error("missing recorder");
    const environment = resources[logicalId(stack, recorder.function)]?.Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(environment.Variables.STAGE).toBe("dev");
    template.hasResourceProperties("AWS::CloudWatch::Dashboard", {
      DashboardName: "AtCallbacks-dev",
    });
  });
});
