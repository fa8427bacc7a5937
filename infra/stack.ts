import { fileURLToPath } from "node:url";
import {
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import { MathExpression, Metric, Stats } from "aws-cdk-lib/aws-cloudwatch";
import { AttributeType, BillingMode, ProjectionType, Table } from "aws-cdk-lib/aws-dynamodb";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Topic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { METRIC_NAMESPACE, METRIC_SERVICE } from "../functions/reply/metrics";
import {
  type QueueName,
  ROUTE_QUEUE,
  ROUTES,
  type Route,
  WORKERS,
  type Worker,
} from "../functions/routes";
import { QUEUES, ROUTE_FUNCTION, WORKER_FUNCTION } from "../functions/settings";
import { LEGACY_INDEXES, TABLE } from "../functions/table/keys";
import type { StageConfig } from "./config";
import { Alarms } from "./constructs/alarms";
import type { AppFunction } from "./constructs/app-function";
import { CallbackApi } from "./constructs/callback-api";
import { OperationsDashboard } from "./constructs/dashboard";
import { Events } from "./constructs/events";
import { Forwarding } from "./constructs/forwarding";
import { QueueWorker } from "./constructs/queue-worker";
import { RouteFunction } from "./constructs/route-function";
import { WorkQueue } from "./constructs/work-queue";
import { pascal } from "./names";
import { AT_CREDENTIALS_GENERATION, CALLBACK_KEY_GENERATION } from "./secrets";

/** Oldest-message age (seconds) that means the workers are not keeping up. */
const MAX_MESSAGE_AGE_SECONDS = 300;
/** Share of API requests (percent) answered with a 5xx that raises the alarm. */
const MAX_5XX_PERCENT = 5;
/** Share of API requests (percent) refused with a 4xx (bad key, bad body, throttled)… */
const MAX_4XX_PERCENT = 10;
/** …once there are this many requests in 5 minutes (a single bad request is not an incident). */
const MIN_REQUESTS_FOR_RATES = 20;
/** A dead letter older than this is about to be forgotten (DLQs keep messages 14 days). */
const MAX_DEAD_LETTER_AGE_SECONDS = 3 * 86_400;
/** Refusals of replies by AT that someone must act on (top up, sender id, API key). */
const OPERATOR_REFUSALS = [
  "InsufficientBalance",
  "RiskHold",
  "InvalidSenderId",
  "HTTP401",
  "HTTP403",
];
/** Refusals of replies by AT, of any status, in 15 minutes that raise the alarm. */
const MAX_REPLY_REFUSALS = 10;

/** Route entries are relative to the repository root, whatever the working directory. */
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface AtCallbacksStackProps extends StackProps {
  readonly config: StageConfig;
  /** The shared route table unless told (tests pass variants). */
  readonly routes?: readonly Route[];
  readonly workers?: readonly Worker[];
}

/** API Gateway → Lambda → SQS → Lambda → DynamoDB, built from the shared route table. */
export class AtCallbacksStack extends Stack {
  readonly table: Table;
  readonly callbackKeySecret: Secret;
  /** `{"username","apiKey"}` for the reply worker. */
  readonly atCredentialsSecret: Secret;
  /** By queue name: the route queue and every queue named in WORKERS. */
  readonly queues = new Map<QueueName, WorkQueue>();
  readonly api: CallbackApi;
  readonly alarms: Alarms;
  /** The events topic and its key (docs/events.md). */
  readonly events: Events;
  /** Where every new record and reply state change is published: subscribe to it. */
  readonly eventsTopic: Topic;
  /** By route name. */
  readonly routeFunctions = new Map<string, AppFunction>();
  /** By worker name. */
  readonly workerFunctions = new Map<string, AppFunction>();
  readonly dashboard: OperationsDashboard;
  /** Signed forwarding to the endpoints of `forwardTo`, when there are any. */
  readonly forwarding: Forwarding | undefined;
  private readonly stageName: string;
  private readonly legacyIndexes: StageConfig["legacyIndexes"];

  constructor(scope: Construct, id: string, props: AtCallbacksStackProps) {
    super(scope, id, props);
    const { config } = props;
    const routes = props.routes ?? ROUTES;
    const workers = props.workers ?? WORKERS;
    const stateful = config.destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.stageName = config.stageName;

    this.legacyIndexes = config.legacyIndexes;
    this.table = this.recordsTable(config.destroyable, stateful);

    this.callbackKeySecret = new Secret(this, "CallbackKey", {
      description:
        "Keys AT must send as ?key=... on every callback URL: comma-separated, any is valid",
      generateSecretString: CALLBACK_KEY_GENERATION,
      removalPolicy: stateful,
    });
    this.atCredentialsSecret = new Secret(this, "AtCredentials", {
      description:
        'Africa\'s Talking API credentials {"username","apiKey"}: replace the placeholder',
      generateSecretString: AT_CREDENTIALS_GENERATION,
      removalPolicy: stateful,
    });
    for (const secret of [this.callbackKeySecret, this.atCredentialsSecret]) {
      Validations.of(secret).acknowledge({
        id: "AwsSolutions-SMG4",
        reason:
          "Rotated by hand: a new callback key must also be pasted into the AT dashboard, and AT API keys are issued by AT. The no-downtime procedure is in docs/deploy.md.",
      });
    }

    for (const name of new Set([ROUTE_QUEUE, ...workers.map((w) => w.queue)])) {
      this.queues.set(
        name,
        new WorkQueue(this, `${pascal(name)}Queue`, {
          settings: QUEUES[name],
          consumerTimeoutSeconds: WORKER_FUNCTION.timeoutSeconds,
        }),
      );
    }
    this.alarms = new Alarms(this, "Alarms", { email: config.alarmEmail });
    this.events = new Events(this, "Events");
    this.eventsTopic = this.events.topic;
    this.api = new CallbackApi(this, "Callbacks", {
      stageName: config.stageName,
      throttleRate: config.throttleRate,
      throttleBurst: config.throttleBurst,
      routeThrottles: config.routeThrottles,
      logRetention: config.logRetentionDays,
      domain: config.domain,
    });
    Validations.of(this.api.api).acknowledge({
      id: "AwsSolutions-APIG4",
      reason:
        "AT cannot sign requests or send tokens: each handler checks the callback key in the URL (from Secrets Manager) before it parses anything.",
    });

    for (const route of routes) this.addRoute(route, config);
    for (const worker of workers) this.addWorker(worker, config);

    this.forwarding =
      config.forwardTo.length > 0
        ? new Forwarding(this, "Forward", {
            topic: this.eventsTopic,
            endpoints: config.forwardTo,
            entry: `${REPO_ROOT}functions/handlers/forwarder.ts`,
            table: this.table,
            alarms: this.alarms,
            secretRemovalPolicy: stateful,
            logRetention: config.logRetentionDays,
            tracing: config.tracing,
            logLevel: config.logLevel,
            environment: {
              ...commonEnvironment(config),
              ...(config.recordTtlDays ? { RECORD_TTL_DAYS: String(config.recordTtlDays) } : {}),
            },
          })
        : undefined;

    this.addAlarms();
    this.dashboard = new OperationsDashboard(this, "Operations", {
      stageName: config.stageName,
      api: this.api,
      queues: this.queues,
      functions: new Map([...this.routeFunctions, ...this.workerFunctions]),
      replierLogs: this.workerFunctions.get("replier")?.logGroup,
    });
    this.addOutputs(routes);
  }

  private recordsTable(destroyable: boolean, removalPolicy: RemovalPolicy): Table {
    const key = (name: string) => ({ name, type: AttributeType.STRING });
    const table = new Table(this, "Records", {
      partitionKey: key(TABLE.partitionKey),
      sortKey: key(TABLE.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      deletionProtection: !destroyable,
      removalPolicy,
    });
    // An existing table keeps the indexes it is told to while it is upgraded: CloudFormation
    // creates or deletes one index per update (docs/deploy.md, "Upgrading the table's indexes").
    const legacy = this.legacyIndexes.map((name) => LEGACY_INDEXES[name]);
    for (const index of [...TABLE.indexes, ...legacy]) {
      const { projection } = index;
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: key(index.partitionKey),
        sortKey: key(index.sortKey),
        projectionType: ProjectionType[projection.type],
        ...(projection.type === "INCLUDE" ? { nonKeyAttributes: [...projection.attributes] } : {}),
      });
    }
    return table;
  }

  queue(name: QueueName): WorkQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no ${name} queue in this stack`);
    return queue;
  }

  private addRoute(route: Route, config: StageConfig): void {
    const fn = new RouteFunction(this, `${pascal(route.name)}Route`, {
      route,
      entry: `${REPO_ROOT}${route.entry}`,
      ...ROUTE_FUNCTION,
      logRetention: config.logRetentionDays,
      eventsQueue: this.queue(ROUTE_QUEUE).queue,
      callbackKeySecret: this.callbackKeySecret,
      table: this.table,
      // AT waits on interactive routes: a queue backlog or a burst elsewhere cannot take their
      // executions (reserved concurrency is also their ceiling).
      reservedConcurrency:
        route.kind === "interactive" && config.concurrency.interactiveReserved > 0
          ? config.concurrency.interactiveReserved
          : undefined,
      tracing: config.tracing,
      logLevel: config.logLevel,
      environment: {
        ...commonEnvironment(config),
        ...(route.answer === "airtime" ? config.airtime : {}),
      },
    });
    this.api.addRoute(route, fn.function);
    this.routeFunctions.set(route.name, fn);
  }

  private addWorker(worker: Worker, config: StageConfig): void {
    const replies = config.replies;
    const fn = new QueueWorker(this, `${pascal(worker.name)}Worker`, {
      worker,
      entry: `${REPO_ROOT}${worker.entry}`,
      ...WORKER_FUNCTION,
      logRetention: config.logRetentionDays,
      queues: (name) => this.queue(name),
      table: this.table,
      atCredentialsSecret: this.atCredentialsSecret,
      events: this.events,
      maxConcurrency:
        worker.name === "replier" ? config.concurrency.replierMax : config.concurrency.recorderMax,
      tracing: config.tracing,
      logLevel: config.logLevel,
      environment: {
        ...commonEnvironment(config),
        ...(config.recordTtlDays ? { RECORD_TTL_DAYS: String(config.recordTtlDays) } : {}),
        // The reply policy: the recorder queues no reply job when it answers nothing.
        ...(replies.template !== undefined ? { SMS_REPLY_TEMPLATE: replies.template } : {}),
        ...(replies.keywords ? { SMS_REPLY_KEYWORDS: replies.keywords } : {}),
        // The rest goes to the worker that talks to AT.
        ...(worker.grants.atCredentials
          ? {
              ...(replies.shortcode ? { AT_SHORTCODE: replies.shortcode } : {}),
              ...(replies.premiumKeywords ? { AT_PREMIUM_KEYWORDS: replies.premiumKeywords } : {}),
            }
          : {}),
      },
    });
    this.workerFunctions.set(worker.name, fn);
  }

  private addAlarms(): void {
    const alarms = this.alarms;
    for (const [name, { queue, deadLetterQueue, settings }] of this.queues) {
      alarms.add(`${pascal(name)}DeadLetters`, {
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: Stats.MAXIMUM,
          period: Duration.minutes(1),
        }),
        threshold: 1,
        description: `Messages in the ${name} dead-letter queue: they failed ${settings.maxReceiveCount} times. Inspect, fix, then redrive.`,
      });
      alarms.add(`${pascal(name)}OldestMessage`, {
        metric: queue.metricApproximateAgeOfOldestMessage({
          statistic: Stats.MAXIMUM,
          period: Duration.minutes(1),
        }),
        threshold: MAX_MESSAGE_AGE_SECONDS,
        evaluationPeriods: 3,
        description: `The oldest message in the ${name} queue is over ${MAX_MESSAGE_AGE_SECONDS}s old: the workers are failing or not keeping up.`,
      });
      alarms.add(`${pascal(name)}DeadLetterAge`, {
        metric: deadLetterQueue.metricApproximateAgeOfOldestMessage({
          statistic: Stats.MAXIMUM,
          period: Duration.hours(1),
        }),
        threshold: MAX_DEAD_LETTER_AGE_SECONDS,
        description: `A message has waited in the ${name} dead-letter queue for over ${MAX_DEAD_LETTER_AGE_SECONDS / 86_400} days; SQS deletes it after ${settings.dlqRetentionDays}. Fix the cause and redrive it (docs/deploy.md).`,
      });
    }
    for (const [name, fn] of this.workerFunctions) {
      alarms.add(`${pascal(name)}Errors`, {
        metric: fn.function.metricErrors({ statistic: Stats.SUM, period: Duration.minutes(5) }),
        threshold: 1,
        description: `Worker ${name} failed whole invocations (not single records): see its logs.`,
      });
    }
    for (const [name, fn] of [...this.routeFunctions, ...this.workerFunctions]) {
      alarms.add(`${pascal(name)}Throttles`, {
        metric: fn.function.metricThrottles({ statistic: Stats.SUM, period: Duration.minutes(5) }),
        threshold: 1,
        description: `Function ${name} was throttled: raise the account's concurrency limit or lower the API throttle.`,
      });
    }
    if (this.workerFunctions.has("replier")) {
      alarms.add("ReplyUnknown", {
        metric: this.replyMetric("ReplyUnknown"),
        threshold: 1,
        description:
          "A reply's fate is unknown (the worker crashed or AT did not answer after the request was sent): it is not resent. Check with the customer or AT's SMS logs (docs/replies.md).",
      });
      alarms.add("ReplyRefusedNeedsOperator", {
        metric: new MathExpression({
          expression: OPERATOR_REFUSALS.map((_, i) => `FILL(s${i}, 0)`).join(" + "),
          usingMetrics: Object.fromEntries(
            OPERATOR_REFUSALS.map((status, i) => [
              `s${i}`,
              this.replyMetric("ReplyRejected", { status }),
            ]),
          ),
          period: Duration.minutes(5),
          label: "replies refused by AT for a reason only an operator can fix",
        }),
        threshold: 1,
        description: `AT refused a reply with ${OPERATOR_REFUSALS.join(", ")}: top up the AT account, fix the sender id or the API key. Replies are retried and wait in the replies dead-letter queue; redrive them once fixed (docs/replies.md).`,
      });
      alarms.add("ReplyRefusals", {
        metric: this.replyMetric("ReplyRejected", {}, Duration.minutes(15)),
        threshold: MAX_REPLY_REFUSALS,
        description: `AT refused ${MAX_REPLY_REFUSALS} or more replies in 15 minutes (any status: see the dashboard's "Replies refused by AT, by status").`,
      });
    }
    const api = this.api.api;
    /** Answers of one kind as a percentage of requests, 0 below `minRequests` in the period. */
    const shareOfRequests = (answers: Metric, label: string, minRequests: number) =>
      new MathExpression({
        expression: `IF(requests >= ${minRequests}, 100 * answers / requests, 0)`,
        usingMetrics: { answers, requests: api.metricCount({ statistic: Stats.SUM }) },
        period: Duration.minutes(5),
        label,
      });
    alarms.add("Api5xxRate", {
      metric: shareOfRequests(
        api.metricServerError({ statistic: Stats.SUM }),
        "5xx answers (% of requests)",
        1,
      ),
      threshold: MAX_5XX_PERCENT,
      description: `Over ${MAX_5XX_PERCENT}% of AT callbacks were answered with a 5xx: AT retries them, but see the function logs.`,
    });
    alarms.add("Api4xxRate", {
      metric: shareOfRequests(
        api.metricClientError({ statistic: Stats.SUM }),
        "4xx answers (% of requests)",
        MIN_REQUESTS_FOR_RATES,
      ),
      threshold: MAX_4XX_PERCENT,
      description: `Over ${MAX_4XX_PERCENT}% of AT callbacks were refused with a 4xx: a callback key changed without the AT dashboard (403), AT sends a shape we refuse (400), or the throttle (429). AT gives up on refused callbacks: see the access log.`,
    });
    alarms.add("ApiThrottled", {
      metric: this.api.metricRefusals("429"),
      threshold: 1,
      description:
        "AT callbacks were refused with 429 (over the API throttle): AT does not retry them all. Raise throttleRate/throttleBurst (docs/deploy.md).",
    });
  }

  /** A reply metric of this stage (functions/reply/metrics.ts): `service`, `stage`, and more. */
  private replyMetric(
    metricName: string,
    dimensions: Record<string, string> = {},
    period = Duration.minutes(5),
  ): Metric {
    return new Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { service: METRIC_SERVICE, stage: this.stageName, ...dimensions },
      statistic: Stats.SUM,
      period,
    });
  }

  private addOutputs(routes: readonly Route[]): void {
    for (const route of routes) {
      new CfnOutput(this, `${pascal(route.name)}Url`, {
        value: this.api.callbackUrl(route),
        description: `AT dashboard: ${route.dashboard}`,
      });
    }
    new CfnOutput(this, "ApiEndpoint", { value: this.api.api.apiEndpoint });
    if (this.api.domainTarget) {
      new CfnOutput(this, "DomainTarget", {
        description: "Point the custom domain here: a CNAME, or a Route 53 alias",
        value: this.api.domainTarget,
      });
    }
    new CfnOutput(this, "TableName", { value: this.table.tableName });
    for (const [name, { queue, deadLetterQueue }] of this.queues) {
      new CfnOutput(this, `${pascal(name)}QueueUrl`, { value: queue.queueUrl });
      new CfnOutput(this, `${pascal(name)}DeadLetterQueueUrl`, { value: deadLetterQueue.queueUrl });
    }
    new CfnOutput(this, "CallbackKeySecretArn", { value: this.callbackKeySecret.secretArn });
    new CfnOutput(this, "ReadCallbackKeyCommand", {
      value: Fn.join("", [
        "aws secretsmanager get-secret-value --secret-id ",
        this.callbackKeySecret.secretArn,
        " --query SecretString --output text",
      ]),
      description: "Prints the callback key(s) to put in place of <callback-key>",
    });
    new CfnOutput(this, "AtCredentialsSecretArn", { value: this.atCredentialsSecret.secretArn });
    new CfnOutput(this, "AlarmTopicArn", { value: this.alarms.topic.topicArn });
    new CfnOutput(this, "EventsTopicArn", {
      value: this.eventsTopic.topicArn,
      description:
        "Every new record and reply state change, typed (docs/events.md): subscribe here",
    });
  }
}

/** What every function gets: the stage (metrics' `stage` dimension). */
function commonEnvironment(config: StageConfig): Record<string, string> {
  return { STAGE: config.stageName };
}
