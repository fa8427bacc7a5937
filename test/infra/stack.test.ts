import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { ROUTES, routeKey, WORKERS } from "../../functions/routes";
import { EVENTS_QUEUE, WORKER_TIMEOUT_SECONDS } from "../../functions/settings";
import { TABLE } from "../../functions/table/keys";
import { DEFAULTS } from "../../infra/config";
import { pascal } from "../../infra/names";
import { dashboardUrls } from "../../scripts/deployed-stack";
import { grantsOf, logicalId, normalise, synthStack } from "./synth";

// One synthesis for the whole file: the default (production) configuration.
const { stack, template } = synthStack();
const json = template.toJSON();
const resources = json.Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> } & Record<string, unknown>
>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const ref = (value: unknown) => stack.resolve(value);
const propsOf = (id: string) => {
  const resource = resources[id];
  if (!resource) throw new Error(`no resource ${id}`);
  return resource.Properties;
};

const events = stack.queue("events");
const allFunctions = [...stack.routeFunctions.values(), ...stack.workerFunctions.values()];
const fnId = (name: string, map = stack.routeFunctions) => {
  const fn = map.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return logicalId(stack, fn.function);
};

describe("stack", () => {
  it("is named after the stage and environment-agnostic", () => {
    expect(stack.stackName).toBe(`AtCallbacks-${DEFAULTS.stageName}`);
    expect(stack.environment).toBe("aws://unknown-account/unknown-region");
  });

  it("hard-codes no physical names, so two stages fit in one account", () => {
    const nameProps = [
      "TableName",
      "QueueName",
      "FunctionName",
      "RoleName",
      "LogGroupName",
      "TopicName",
      "Name",
    ];
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type === "AWS::ApiGatewayV2::Api") continue; // API names need not be unique
      // A literal string would be a fixed name; references to generated names are fine.
      for (const prop of nameProps)
        expect(typeof r.Properties?.[prop], `${id}.${prop}`).not.toBe("string");
    }
  });
});

describe("HTTP API", () => {
  it("has one route per route-table entry, each integrated with its own function", () => {
    const routes = ofType("AWS::ApiGatewayV2::Route");
    expect(routes).toHaveLength(ROUTES.length);
    const targets = new Set<string>();
    for (const route of ROUTES) {
      const [, apiRoute] = routes.find(([, r]) => r.Properties.RouteKey === routeKey(route)) ?? [];
      expect(apiRoute, routeKey(route)).toBeDefined();
      const target = JSON.stringify(apiRoute?.Properties.Target);
      const [integrationId] =
        ofType("AWS::ApiGatewayV2::Integration").find(([id]) => target.includes(id)) ?? [];
      expect(integrationId).toBeDefined();
      const uri = resources[integrationId ?? ""]?.Properties.IntegrationUri;
      expect(uri).toEqual({ "Fn::GetAtt": [fnId(route.name), "Arn"] });
      targets.add(fnId(route.name));
    }
    expect(targets.size).toBe(ROUTES.length);
  });

  it("throttles the stage and writes JSON access logs, without the query string, with retention", () => {
    const [[, stage] = []] = ofType("AWS::ApiGatewayV2::Stage");
    expect(stage?.Properties).toMatchObject({
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULTS.throttleRate,
        ThrottlingBurstLimit: DEFAULTS.throttleBurst,
      },
      // A bulk send's delivery reports come back at up to ~1,000 a second (docs/cost.md).
      RouteSettings: {
        "POST /api/sms/delivery-reports": {
          ThrottlingRateLimit: 1_000,
          ThrottlingBurstLimit: 2_000,
        },
      },
    });
    const settings = stage?.Properties.AccessLogSettings as {
      DestinationArn: unknown;
      Format: string;
    };
    const fields = JSON.parse(settings.Format) as Record<string, string>;
    expect(fields).toMatchObject({
      requestId: "$context.requestId",
      status: "$context.status",
      routeKey: "$context.routeKey",
    });
    expect(settings.Format).not.toMatch(/querystring|requestOverride|key=/i);
    expect(settings.DestinationArn).toEqual(ref(stack.api.accessLogs.logGroupArn));
    template.hasResourceProperties("AWS::Logs::LogGroup", {
      RetentionInDays: DEFAULTS.logRetentionDays,
    });
    expect(resources[logicalId(stack, stack.api.accessLogs)]?.Properties.RetentionInDays).toBe(
      DEFAULTS.logRetentionDays,
    );
  });
});

describe("functions", () => {
  it("exist once per route and per worker", () => {
    expect(ofType("AWS::Lambda::Function")).toHaveLength(ROUTES.length + WORKERS.length);
  });

  it("none uses SnapStart: the bundles read credentials only from the environment", () => {
    // SnapStart serves them from a container endpoint instead (infra/bundle-stubs).
    for (const [id, fn] of ofType("AWS::Lambda::Function")) {
      expect(fn.Properties?.SnapStart, id).toBeUndefined();
    }
  });

  it.each(allFunctions.map((f) => [f.node.id, f] as const))(
    "%s: Node.js 22 on arm64, explicit memory and timeout, source maps, own log group with retention, JSON logs without the platform's INFO lines",
    (_, fn) => {
      const props = resources[logicalId(stack, fn.function)]?.Properties ?? {};
      expect(props.Runtime).toBe("nodejs22.x");
      expect(props.Architectures).toEqual(["arm64"]);
      expect(props.Handler).toBe("index.handler");
      expect(props.MemorySize).toBeGreaterThanOrEqual(128);
      expect(props.Timeout).toBeGreaterThan(0);
      expect(props.Environment).toMatchObject({
        Variables: { NODE_OPTIONS: "--enable-source-maps" },
      });
      // No START/END/REPORT line per invocation (platform INFO); the function's own lines at INFO.
      expect(props.LoggingConfig).toEqual({
        LogGroup: ref(fn.logGroup.logGroupName),
        LogFormat: "JSON",
        SystemLogLevel: "WARN",
        ApplicationLogLevel: "INFO",
      });
      expect(resources[logicalId(stack, fn.logGroup)]?.Properties.RetentionInDays).toBe(
        DEFAULTS.logRetentionDays,
      );
    },
  );

  it("give the workers the shared worker timeout", () => {
    for (const worker of WORKERS) {
      expect(resources[fnId(worker.name, stack.workerFunctions)]?.Properties.Timeout).toBe(
        WORKER_TIMEOUT_SECONDS,
      );
    }
  });

  it("get the secret's ARN and the queue URL, never a secret value", () => {
    for (const route of ROUTES) {
      const variables = (
        propsOf(fnId(route.name)).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(variables.EVENTS_QUEUE_URL).toEqual(ref(events.queue.queueUrl));
      expect(variables.CALLBACK_KEY_SECRET_ARN).toEqual(ref(stack.callbackKeySecret.secretArn));
      expect(variables.CALLBACK_KEY).toBeUndefined();
    }
    const replies = stack.queue("replies").queue;
    const recorder = resources[fnId("recorder", stack.workerFunctions)]?.Properties.Environment;
    expect(recorder).toEqual({
      Variables: {
        NODE_OPTIONS: "--enable-source-maps",
        STAGE: DEFAULTS.stageName,
        TABLE_NAME: ref(stack.table.tableName),
        REPLIES_QUEUE_URL: ref(replies.queueUrl),
        DEAD_LETTER_QUEUE_URL: ref(events.deadLetterQueue.queueUrl),
        // Storage is bounded by default: records expire after about 13 months.
        RECORD_TTL_DAYS: "396",
        EVENTS_TOPIC_ARN: ref(stack.eventsTopic.topicArn),
      },
    });
    const replier = resources[fnId("replier", stack.workerFunctions)]?.Properties.Environment;
    expect(replier).toEqual({
      Variables: {
        NODE_OPTIONS: "--enable-source-maps",
        STAGE: DEFAULTS.stageName,
        TABLE_NAME: ref(stack.table.tableName),
        REPLIES_QUEUE_URL: ref(replies.queueUrl),
        DEAD_LETTER_QUEUE_URL: ref(stack.queue("replies").deadLetterQueue.queueUrl),
        AT_CREDENTIALS_SECRET_ARN: ref(stack.atCredentialsSecret.secretArn),
        RECORD_TTL_DAYS: "396",
        EVENTS_TOPIC_ARN: ref(stack.eventsTopic.topicArn),
      },
    });
  });
});

describe("least privilege", () => {
  const logs = (fn: { logGroup: { logGroupArn: string } }) =>
    ["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
      action,
      resource: ref(fn.logGroup.logGroupArn),
    }));

  it.each(ROUTES.map((r) => [r.name, r] as const))(
    "%s may only log, queue, read the callback key (and use the table if its route says so)",
    (_, route) => {
      const fn = stack.routeFunctions.get(route.name);
      if (!fn) throw new Error("missing");
      const expected = [
        ...logs(fn),
        { action: "sqs:SendMessage", resource: ref(events.queue.queueArn) },
        {
          action: "secretsmanager:GetSecretValue",
          resource: ref(stack.callbackKeySecret.secretArn),
        },
      ];
      if (route.tableAccess === "airtime-pending") {
        // Validating a pending airtime request (a conditional update, a read to say why not),
        // on AIRTIME# items only.
        for (const action of ["dynamodb:UpdateItem", "dynamodb:GetItem"]) {
          expected.push({
            action,
            resource: ref(stack.table.tableArn),
            condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["AIRTIME#*"] } },
          } as (typeof expected)[number]);
        }
      }
      expect(normalise(grantsOf(template, fnId(route.name)))).toEqual(normalise(expected));
    },
  );

  // Each worker's items, and on each only the calls its code makes (worker-table-access.test.ts
  // runs them): never USSD sessions nor pending airtime requests (each would let a worker forge
  // an answer AT trusts).
  const tableItems = (access: Record<string, string[]>) =>
    Object.entries(access).flatMap(([prefix, actions]) =>
      actions.map((action) => ({
        action,
        resource: ref(stack.table.tableArn),
        condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${prefix}*`] } },
      })),
    );

  // Publishing to the events topic: the topic, and its key for exactly what SNS asks of it.
  const publishEvents = [
    { action: "sns:Publish", resource: ref(stack.eventsTopic.topicArn) },
    { action: "kms:Decrypt", resource: ref(stack.events.key.keyArn) },
    { action: "kms:GenerateDataKey", resource: ref(stack.events.key.keyArn) },
  ];

  it("lets the recorder write records, consume its queue, queue reply jobs and dead-letter poison, nothing else", () => {
    const fn = stack.workerFunctions.get("recorder");
    if (!fn) throw new Error("missing");
    const queue = ref(events.queue.queueArn);
    expect(normalise(grantsOf(template, logicalId(stack, fn.function)))).toEqual(
      normalise([
        ...logs(fn),
        ...tableItems({
          "ID#": ["dynamodb:GetItem", "dynamodb:PutItem"],
          "SUPPRESS#": ["dynamodb:PutItem"],
          "MESSAGE#": ["dynamodb:GetItem"],
          "SUBSCRIPTION#": ["dynamodb:PutItem"],
        }),
        { action: "sqs:ReceiveMessage", resource: queue },
        { action: "sqs:DeleteMessage", resource: queue },
        { action: "sqs:GetQueueAttributes", resource: queue },
        { action: "sqs:SendMessage", resource: ref(stack.queue("replies").queue.queueArn) },
        // A message that can never be read goes to the dead-letter queue on first sight.
        { action: "sqs:SendMessage", resource: ref(events.deadLetterQueue.queueArn) },
        ...publishEvents,
      ]),
    );
  });

  it("lets the replier read the AT credentials, track replies, delay its own retries and dead-letter poison, nothing else", () => {
    const fn = stack.workerFunctions.get("replier");
    if (!fn) throw new Error("missing");
    const queue = ref(stack.queue("replies").queue.queueArn);
    expect(normalise(grantsOf(template, logicalId(stack, fn.function)))).toEqual(
      normalise([
        ...logs(fn),
        ...tableItems({
          "ID#": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
          "SUPPRESS#": ["dynamodb:Query"],
          "MESSAGE#": ["dynamodb:PutItem"],
        }),
        { action: "sqs:ReceiveMessage", resource: queue },
        { action: "sqs:DeleteMessage", resource: queue },
        { action: "sqs:GetQueueAttributes", resource: queue },
        { action: "sqs:ChangeMessageVisibility", resource: queue },
        {
          action: "sqs:SendMessage",
          resource: ref(stack.queue("replies").deadLetterQueue.queueArn),
        },
        {
          action: "secretsmanager:GetSecretValue",
          resource: ref(stack.atCredentialsSecret.secretArn),
        },
        ...publishEvents,
      ]),
    );
  });

  it("has no wildcard action or resource in any IAM policy", () => {
    for (const [id, policy] of ofType("AWS::IAM::Policy")) {
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      expect(text, id).not.toMatch(/"Action":"[^"]*\*|"Action":\[[^\]]*\*/);
      expect(text, id).not.toMatch(/"Resource":"\*"|"Resource":\[[^\]]*"\*"/);
    }
    for (const [id, role] of ofType("AWS::IAM::Role")) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
      expect(role.Properties.Policies, id).toBeUndefined();
    }
  });

  it("grants the AT credentials secret to the replier alone", () => {
    const secret = JSON.stringify(ref(stack.atCredentialsSecret.secretArn));
    const replier = stack.workerFunctions.get("replier");
    if (!replier) throw new Error("missing");
    const holders = ofType("AWS::IAM::Policy")
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument).includes(secret))
      .map(([, policy]) => JSON.stringify(policy.Properties.Roles));
    expect(holders).toEqual([JSON.stringify([ref(replier.role.roleName)])]);
  });
});

describe("queues", () => {
  const queue = resources[logicalId(stack, events.queue)];
  const dlq = resources[logicalId(stack, events.deadLetterQueue)];

  it("exist for the routes' queue and each worker's queue", () => {
    expect([...stack.queues.keys()].sort()).toEqual(
      [...new Set(["events", ...WORKERS.map((w) => w.queue)])].sort(),
    );
    expect(ofType("AWS::SQS::Queue")).toHaveLength(2 * stack.queues.size);
  });

  it("redrive to the dead-letter queue after maxReceiveCount; the DLQ keeps messages 14 days", () => {
    expect(queue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: ref(events.deadLetterQueue.queueArn),
      maxReceiveCount: EVENTS_QUEUE.maxReceiveCount,
    });
    expect(dlq?.Properties.MessageRetentionPeriod).toBe(14 * 86_400);
    expect(EVENTS_QUEUE.dlqRetentionDays).toBe(14);
  });

  it("have a visibility timeout of at least 6 × the worker timeout", () => {
    const visibility = queue?.Properties.VisibilityTimeout;
    expect(visibility).toBe(EVENTS_QUEUE.visibilityTimeoutSeconds);
    const timeout = resources[fnId("recorder", stack.workerFunctions)]?.Properties.Timeout;
    expect(Number(visibility)).toBeGreaterThanOrEqual(6 * Number(timeout));
  });

  it("are SQS-encrypted and refuse non-TLS requests", () => {
    for (const q of [queue, dlq]) expect(q?.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = ofType("AWS::SQS::QueuePolicy").map(([, p]) => JSON.stringify(p.Properties));
    expect(policies).toHaveLength(2 * stack.queues.size);
    for (const p of policies) {
      expect(p).toContain('"Effect":"Deny"');
      expect(p).toContain('"Bool":{"aws:SecureTransport":"false"}');
    }
  });

  it("feed each worker through an event source mapping that reports batch item failures", () => {
    const mappings = ofType("AWS::Lambda::EventSourceMapping");
    expect(mappings).toHaveLength(WORKERS.length);
    for (const worker of WORKERS) {
      const source = stack.queue(worker.queue);
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        FunctionName: { Ref: fnId(worker.name, stack.workerFunctions) },
        EventSourceArn: ref(source.queue.queueArn),
        BatchSize: source.settings.batchSize,
        MaximumBatchingWindowInSeconds: source.settings.maxBatchingWindowSeconds,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
      });
    }
  });
});

describe("records table", () => {
  const table = resources[logicalId(stack, stack.table)];

  it("is on-demand with PITR, TTL and one index projecting only the phone number", () => {
    expect(table?.Properties).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
        { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
      ],
    });
    const indexes = table?.Properties.GlobalSecondaryIndexes as unknown[];
    expect(indexes).toEqual([
      {
        IndexName: "byTypeMonth",
        KeySchema: [
          { AttributeName: "typePk", KeyType: "HASH" },
          { AttributeName: "typeSk", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["phoneNumber"] },
      },
    ]);
    for (const attribute of propsOf(logicalId(stack, stack.table)).AttributeDefinitions as {
      AttributeType: string;
    }[]) {
      expect(attribute.AttributeType).toBe("S");
    }
  });

  it("is deletion-protected and retained by default", () => {
    expect(table?.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table?.DeletionPolicy).toBe("Retain");
    expect(table?.UpdateReplacePolicy).toBe("Retain");
  });
});

describe("secrets", () => {
  it("are generated by Secrets Manager and retained; no value is in the template", () => {
    const secrets = ofType("AWS::SecretsManager::Secret");
    expect(secrets).toHaveLength(2);
    for (const [id, secret] of secrets) {
      expect(secret.Properties.SecretString, id).toBeUndefined();
      expect(secret.Properties.GenerateSecretString, id).toBeDefined();
      expect(secret.DeletionPolicy, id).toBe("Retain");
    }
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: { ExcludePunctuation: true, IncludeSpace: false, PasswordLength: 40 },
    });
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: {
        SecretStringTemplate: '{"username":"REPLACE_ME"}',
        GenerateStringKey: "apiKey",
      },
    });
    // No literal value anywhere (a SecretString property) and no dynamic reference that
    // would resolve a value at deploy time.
    const keys: string[] = [];
    JSON.stringify(json, (key, value: unknown) => {
      keys.push(key);
      return value;
    });
    expect(keys).not.toContain("SecretString");
    expect(JSON.stringify(json)).not.toContain("resolve:secretsmanager");
  });
});

describe("alarms", () => {
  const alarms = ofType("AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
  const topic = { Ref: logicalId(stack, stack.alarms.topic) };
  const byMetric = (metricName: string) => alarms.filter((a) => a.MetricName === metricName);

  it("notify the encrypted, TLS-only topic when they fire and when they clear", () => {
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([topic]);
      expect(alarm.OKActions).toEqual([topic]);
    }
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
    template.resourceCountIs("AWS::SNS::Subscription", 0); // alarmEmail "none"
  });

  it("reach the topic: its policy and its key's policy let in this stack's alarms, and only them", () => {
    const alarmArns = {
      "Fn::Join": [
        "",
        [
          "arn:",
          { Ref: "AWS::Partition" },
          ":cloudwatch:",
          { Ref: "AWS::Region" },
          ":",
          { Ref: "AWS::AccountId" },
          `:alarm:${stack.stackName}-*`,
        ],
      ],
    };
    const fromOurAlarms = {
      StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
      ArnLike: { "aws:SourceArn": alarmArns },
    };
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: "CloudWatchAlarmsOfThisStack",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topic,
            Condition: fromOurAlarms,
          },
        ]),
      },
    });
    const key = resources[logicalId(stack, stack.alarms.key)]?.Properties.KeyPolicy as {
      Statement: { Principal?: { Service?: string }; Condition?: unknown; Action: unknown }[];
    };
    const forCloudWatch = key.Statement.filter(
      (s) => s.Principal?.Service === "cloudwatch.amazonaws.com",
    );
    expect(forCloudWatch).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Condition: fromOurAlarms,
      }),
    ]);
    // Every alarm's name matches the conditions.
    for (const alarm of alarms) {
      expect(String(alarm.AlarmName)).toMatch(new RegExp(`^${stack.stackName}-[A-Za-z0-9]+$`));
    }
  });

  it("watch the dead-letter queue for any message and the events queue for old messages", () => {
    const [dlq] = byMetric("ApproximateNumberOfMessagesVisible");
    expect(dlq).toMatchObject({
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    expect(dlq?.Dimensions).toEqual([
      { Name: "QueueName", Value: ref(events.deadLetterQueue.queueName) },
    ]);
    const [age] = byMetric("ApproximateAgeOfOldestMessage");
    expect(age?.Dimensions).toEqual([{ Name: "QueueName", Value: ref(events.queue.queueName) }]);
  });

  it("watch worker errors and every function's throttles", () => {
    expect(byMetric("Errors")).toHaveLength(WORKERS.length);
    const throttled = byMetric("Throttles").map((a) => JSON.stringify(a.Dimensions));
    expect(throttled).toHaveLength(ROUTES.length + WORKERS.length);
    for (const fn of allFunctions) {
      expect(throttled).toContain(
        JSON.stringify([{ Name: "FunctionName", Value: ref(fn.function.functionName) }]),
      );
    }
  });

  it("watch each dead-letter queue's oldest message before SQS forgets it (14 days)", () => {
    const ages = byMetric("ApproximateAgeOfOldestMessage").filter((a) =>
      [...stack.queues.values()].some(
        (q) =>
          JSON.stringify(a.Dimensions) ===
          JSON.stringify([{ Name: "QueueName", Value: ref(q.deadLetterQueue.queueName) }]),
      ),
    );
    expect(ages).toHaveLength(stack.queues.size);
    for (const age of ages) expect(age.Threshold).toBe(3 * 86_400);
  });

  it("watch the API's 4xx rate and every 429 (AT gives up on refused callbacks)", () => {
    const [rate] = alarms.filter((a) => JSON.stringify(a.Metrics ?? "").includes("4xx"));
    expect(rate?.Threshold).toBe(10);
    expect(JSON.stringify(rate?.Metrics)).toContain(
      "IF(requests >= 20, 100 * answers / requests, 0)",
    );
    expect(byMetric("ApiRefusals")).toEqual([
      expect.objectContaining({
        Namespace: "AtCallbacks",
        Dimensions: [
          { Name: "stage", Value: DEFAULTS.stageName },
          { Name: "status", Value: "429" },
        ],
        Threshold: 1,
      }),
    ]);
  });

  it("watch AT's refusals of replies: by status for what an operator must fix, and in total", () => {
    const stageDims = [
      { Name: "service", Value: "at-callbacks" },
      { Name: "stage", Value: DEFAULTS.stageName },
    ];
    const [operator] = alarms.filter((a) =>
      String(a.AlarmName).endsWith("-ReplyRefusedNeedsOperator"),
    );
    const statuses = (
      (operator?.Metrics ?? []) as { MetricStat?: { Metric: { Dimensions: unknown[] } } }[]
    )
      .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.Dimensions] : []))
      .map((d) => (d as { Name: string; Value: string }[]).find((x) => x.Name === "status")?.Value);
    expect(statuses.sort()).toEqual(
      ["HTTP401", "HTTP403", "InsufficientBalance", "InvalidSenderId", "RiskHold"].sort(),
    );
    expect(operator?.Threshold).toBe(1);
    const [total] = byMetric("ReplyRejected");
    expect(total).toMatchObject({ Dimensions: stageDims, Threshold: 10, Period: 900 });
    const [unknown] = byMetric("ReplyUnknown");
    expect(unknown).toMatchObject({ Dimensions: stageDims, Threshold: 1 });
  });

  it("watch the API's 5xx rate", () => {
    const [rate] = alarms.filter((a) => JSON.stringify(a.Metrics ?? "").includes("5xx"));
    expect(rate?.Threshold).toBe(5);
    expect(JSON.stringify(rate?.Metrics)).toContain(
      "IF(requests >= 1, 100 * answers / requests, 0)",
    );
  });
});

describe("concurrency", () => {
  it("reserves executions for every interactive route (AT waits on them), none for the others", () => {
    for (const route of ROUTES) {
      const reserved = propsOf(fnId(route.name)).ReservedConcurrentExecutions;
      expect(reserved, route.name).toBe(
        route.kind === "interactive" ? DEFAULTS.interactiveReservedConcurrency : undefined,
      );
    }
    for (const worker of WORKERS) {
      expect(propsOf(fnId(worker.name, stack.workerFunctions)).ReservedConcurrentExecutions).toBe(
        undefined,
      );
    }
  });

  it("caps what each queue backlog may take (MaximumConcurrency), within an account's 1,000", () => {
    const expected = {
      recorder: DEFAULTS.recorderMaxConcurrency,
      replier: DEFAULTS.replierMaxConcurrency,
    };
    for (const worker of WORKERS) {
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        FunctionName: { Ref: fnId(worker.name, stack.workerFunctions) },
        ScalingConfig: { MaximumConcurrency: expected[worker.name as keyof typeof expected] },
      });
    }
    const interactive = ROUTES.filter((r) => r.kind === "interactive").length;
    const reserved = interactive * DEFAULTS.interactiveReservedConcurrency;
    const backlog = DEFAULTS.recorderMaxConcurrency + DEFAULTS.replierMaxConcurrency;
    // Lambda keeps 100 unreserved; what is left serves the ack routes.
    expect(1000 - reserved - backlog).toBeGreaterThanOrEqual(100 + 500);
  });
});

describe("metrics carry the stage", () => {
  it("every function gets STAGE, the stage dimension of its metrics", () => {
    for (const fn of allFunctions) {
      const variables = (
        propsOf(logicalId(stack, fn.function)).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(variables.STAGE, fn.node.id).toBe(DEFAULTS.stageName);
    }
  });

  it("the access log names the stage, and a filter counts refusals by stage and status", () => {
    const [[stageId = ""] = []] = ofType("AWS::ApiGatewayV2::Stage");
    const format = (propsOf(stageId).AccessLogSettings as { Format: string }).Format;
    expect(JSON.parse(format)).toMatchObject({ stage: DEFAULTS.stageName });
    template.hasResourceProperties("AWS::Logs::MetricFilter", {
      LogGroupName: ref(stack.api.accessLogs.logGroupName),
      FilterPattern: '{ $.status = "4*" }',
      MetricTransformations: [
        {
          MetricNamespace: "AtCallbacks",
          MetricName: "ApiRefusals",
          MetricValue: "1",
          Dimensions: [
            { Key: "stage", Value: "$.stage" },
            { Key: "status", Value: "$.status" },
          ],
        },
      ],
    });
  });
});

describe("operations dashboard", () => {
  const [[, dashboard] = []] = ofType("AWS::CloudWatch::Dashboard");
  const join = dashboard?.Properties.DashboardBody as { "Fn::Join": [string, unknown[]] };
  /** The dashboard's JSON text, references left out; and the references. */
  const body = join["Fn::Join"][1].filter((p) => typeof p === "string").join("");
  const refs = JSON.stringify(join["Fn::Join"][1].filter((p) => typeof p !== "string"));

  it("is one per stage, named after the stack", () => {
    expect(ofType("AWS::CloudWatch::Dashboard")).toHaveLength(1);
    expect(dashboard?.Properties.DashboardName).toBe(stack.stackName);
  });

  it("shows callbacks by route and outcome, queues, replies by state and by AT status, Lambda health", () => {
    for (const title of [
      "Callbacks by route and outcome (HTTP status)",
      "API answers",
      "Queue depth (visible messages)",
      "Oldest message (seconds)",
      "Reply jobs by outcome",
      "Replies refused by AT, by status",
      "Lambda errors",
      "Lambda throttles",
      "Lambda duration p95 (ms)",
    ]) {
      expect(body).toContain(title);
    }
    expect(body).toContain("stats count(*) as callbacks by routeKey, status");
    expect(body).toContain(
      `MetricName=\\"ReplyRejected\\" service=\\"at-callbacks\\" stage=\\"${DEFAULTS.stageName}\\"`,
    );
    for (const fn of allFunctions) {
      expect(refs).toContain(JSON.stringify(ref(fn.function.functionName)));
    }
  });
});

describe("outputs", () => {
  const outputs = json.Outputs as Record<string, { Value: unknown; Description?: string }>;

  it.each(ROUTES.map((r) => [r.name, r] as const))(
    "%s: the full callback URL and where it goes",
    (_, route) => {
      const output = outputs[`${pascal(route.name)}Url`];
      expect(output?.Description).toBe(`AT dashboard: ${route.dashboard}`);
      expect(output?.Value).toEqual({
        "Fn::Join": ["", [ref(stack.api.api.apiEndpoint), `${route.path}?key=<callback-key>`]],
      });
    },
  );

  it("give `npm run urls` every route's URL, once CloudFormation resolves the endpoint", () => {
    const endpoint = "https://abc123.execute-api.eu-west-1.amazonaws.com";
    const apiEndpoint = JSON.stringify(ref(stack.api.api.apiEndpoint));
    const resolved = new Map<string, { value: string }>();
    for (const [key, o] of Object.entries(outputs)) {
      const join = (o.Value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
      const parts = join?.[1].map((p) => (JSON.stringify(p) === apiEndpoint ? endpoint : p));
      if (join && parts?.every((p) => typeof p === "string")) {
        resolved.set(key, { value: parts.join(join[0]) });
      }
    }
    const urls = dashboardUrls(resolved, "Key123");
    expect(urls.map((u) => u.url)).toEqual(ROUTES.map((r) => `${endpoint}${r.path}?key=Key123`));
    expect(urls.map((u) => u.dashboard)).toEqual(ROUTES.map((r) => r.dashboard));
  });

  it("name the table, the queues and the callback-key secret, with the command to read it", () => {
    expect(outputs.TableName?.Value).toEqual(ref(stack.table.tableName));
    expect(outputs.EventsQueueUrl?.Value).toEqual(ref(events.queue.queueUrl));
    expect(outputs.EventsDeadLetterQueueUrl?.Value).toEqual(ref(events.deadLetterQueue.queueUrl));
    expect(outputs.CallbackKeySecretArn?.Value).toEqual(ref(stack.callbackKeySecret.secretArn));
    expect(JSON.stringify(outputs.ReadCallbackKeyCommand?.Value)).toContain(
      "aws secretsmanager get-secret-value --secret-id ",
    );
  });
});

describe("events topic", () => {
  const topicId = logicalId(stack, stack.eventsTopic);
  const keyId = logicalId(stack, stack.events.key);

  it("is a standard topic encrypted with its own rotated key, its ARN an output", () => {
    const topic = resources[topicId]?.Properties ?? {};
    expect(topic.FifoTopic).toBeUndefined();
    expect(topic.KmsMasterKeyId).toEqual({ "Fn::GetAtt": [keyId, "Arn"] });
    expect(resources[keyId]?.Properties.EnableKeyRotation).toBe(true);
    const outputs = json.Outputs as Record<string, { Value: unknown }>;
    expect(outputs.EventsTopicArn?.Value).toEqual({ Ref: topicId });
  });

  it("refuses publishing and subscribing without TLS", () => {
    const policies = ofType("AWS::SNS::TopicPolicy").filter(([, p]) =>
      JSON.stringify(p.Properties.Topics).includes(topicId),
    );
    expect(policies).toHaveLength(1);
    const document = policies[0]?.[1].Properties.PolicyDocument as { Statement: unknown[] };
    expect(document.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: "Deny",
          Principal: "*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
          Resource: { Ref: topicId },
        }),
      ]),
    );
  });

  it("is published to by the recorder and the replier alone", () => {
    const publishers = ofType("AWS::IAM::Policy")
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('"sns:Publish"'))
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes(topicId))
      .flatMap(([, p]) => p.Properties.Roles as unknown[]);
    const roleOf = (name: string) => {
      const fn = stack.workerFunctions.get(name);
      if (!fn) throw new Error(`no ${name}`);
      return { Ref: logicalId(stack, fn.role) };
    };
    expect(publishers).toEqual(expect.arrayContaining([roleOf("recorder"), roleOf("replier")]));
    expect(publishers).toHaveLength(2);
  });
});
