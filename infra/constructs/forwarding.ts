import { CfnOutput, Duration, Fn, type RemovalPolicy, Validations } from "aws-cdk-lib";
import { Stats } from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { type ITopic, SubscriptionFilter } from "aws-cdk-lib/aws-sns";
import { SqsSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import type { ForwardEndpoint } from "../../functions/forward/endpoints";
import { FORWARD_QUEUE, FORWARD_RETRY, WORKER_FUNCTION } from "../../functions/settings";
import { recordPartition } from "../../functions/table/keys";
import { pascal } from "../names";
import { FORWARD_SECRET_GENERATION } from "../secrets";
import type { Alarms } from "./alarms";
import { AppFunction, type FunctionSettings } from "./app-function";
import { onlyKeysStartingWith, prefixOf } from "./table-access";
import { WorkQueue } from "./work-queue";

export interface ForwardingProps
  extends Pick<FunctionSettings, "logRetention" | "tracing" | "logLevel"> {
  /** The stage's events topic: each endpoint's queue subscribes to it. */
  readonly topic: ITopic;
  readonly endpoints: readonly ForwardEndpoint[];
  /** Absolute path of functions/handlers/forwarder.ts. */
  readonly entry: string;
  readonly table: ITable;
  readonly alarms: Alarms;
  /** Secrets outlive the stack unless it is a dev stage. */
  readonly secretRemovalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  readonly environment: Record<string, string>;
}

/** One endpoint's resources. */
export interface ForwardingEndpoint {
  readonly endpoint: ForwardEndpoint;
  readonly queue: WorkQueue;
  readonly secret: Secret;
  readonly forwarder: AppFunction;
}

/**
 * Signed HTTPS forwarding to the user's endpoints (docs/forwarding.md). Per endpoint: a queue
 * subscribed to the events topic (raw delivery, filtered on `type` when the endpoint names
 * types), its dead-letter queue and alarm, its signing secret (read by its forwarder alone),
 * and the forwarder.
 */
export class Forwarding extends Construct {
  readonly endpoints = new Map<string, ForwardingEndpoint>();

  constructor(scope: Construct, id: string, props: ForwardingProps) {
    super(scope, id);
    for (const endpoint of props.endpoints) {
      this.endpoints.set(endpoint.name, this.addEndpoint(endpoint, props));
    }
  }

  private addEndpoint(endpoint: ForwardEndpoint, props: ForwardingProps): ForwardingEndpoint {
    const name = pascal(endpoint.name);
    const queue = new WorkQueue(this, `${name}Queue`, {
      settings: FORWARD_QUEUE,
      consumerTimeoutSeconds: WORKER_FUNCTION.timeoutSeconds,
    });
    props.topic.addSubscription(
      new SqsSubscription(queue.queue, {
        rawMessageDelivery: true,
        ...(endpoint.types
          ? {
              filterPolicy: {
                type: SubscriptionFilter.stringFilter({ allowlist: [...endpoint.types] }),
              },
            }
          : {}),
      }),
    );
    const secret = new Secret(this, `${name}Secret`, {
      description: `Signing secret of forwarding endpoint ${endpoint.name}: receivers verify with whsec_<value> (docs/forwarding.md)`,
      generateSecretString: FORWARD_SECRET_GENERATION,
      removalPolicy: props.secretRemovalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "Rotated by hand with an overlap (docs/forwarding.md): the receiver must learn the new secret before the old one stops signing.",
    });
    const forwarder = new AppFunction(this, `${name}Forwarder`, {
      entry: props.entry,
      description: `Forwards events to endpoint ${endpoint.name}`,
      memorySize: WORKER_FUNCTION.memorySize,
      timeoutSeconds: WORKER_FUNCTION.timeoutSeconds,
      logRetention: props.logRetention,
      tracing: props.tracing,
      logLevel: props.logLevel,
      environment: {
        ...props.environment,
        TABLE_NAME: props.table.tableName,
        FORWARD_ENDPOINT_NAME: endpoint.name,
        FORWARD_URL: endpoint.url,
        FORWARD_QUEUE_URL: queue.queue.queueUrl,
        DEAD_LETTER_QUEUE_URL: queue.deadLetterQueue.queueUrl,
        FORWARD_SECRET_ARN: secret.secretArn,
      },
    });
    const role = forwarder.role;
    // The delivery's outcome, beside the record (functions/table/deliveries.ts).
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["dynamodb:UpdateItem"],
        resources: [props.table.tableArn],
        conditions: onlyKeysStartingWith([prefixOf(recordPartition("x"))]),
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        resources: [secret.secretArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["sqs:SendMessage"],
        resources: [queue.deadLetterQueue.queueArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          // Retries are delayed on the queue.
          "sqs:ChangeMessageVisibility",
        ],
        resources: [queue.queue.queueArn],
      }),
    );
    const mapping = forwarder.function.addEventSourceMapping("Queue", {
      eventSourceArn: queue.queue.queueArn,
      batchSize: FORWARD_QUEUE.batchSize,
      maxBatchingWindow: Duration.seconds(FORWARD_QUEUE.maxBatchingWindowSeconds),
      reportBatchItemFailures: true,
    });
    mapping.node.addDependency(role);

    props.alarms.add(`Forward${name}DeadLetters`, {
      metric: queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      description: `Events that endpoint ${endpoint.name} (${endpoint.url}) refused, or failed to take for ${FORWARD_RETRY.aws.giveUpAfterSeconds / 3600} hours: see npm run dlq, fix the endpoint, then redrive (docs/forwarding.md).`,
    });
    // A failed delivery is retried by design; these fire on the forwarder itself failing.
    props.alarms.add(`Forward${name}Errors`, {
      metric: forwarder.function.metricErrors({
        statistic: Stats.SUM,
        period: Duration.minutes(5),
      }),
      threshold: 1,
      description: `The forwarder of endpoint ${endpoint.name} failed whole invocations (not single deliveries): see its logs.`,
    });
    props.alarms.add(`Forward${name}Throttles`, {
      metric: forwarder.function.metricThrottles({
        statistic: Stats.SUM,
        period: Duration.minutes(5),
      }),
      threshold: 1,
      description: `The forwarder of endpoint ${endpoint.name} was throttled: raise the account's concurrency limit.`,
    });

    new CfnOutput(this, `${name}QueueUrl`, { value: queue.queue.queueUrl });
    new CfnOutput(this, `${name}DeadLetterQueueUrl`, { value: queue.deadLetterQueue.queueUrl });
    new CfnOutput(this, `${name}SecretArn`, { value: secret.secretArn });
    new CfnOutput(this, `${name}ReadSecretCommand`, {
      description: `Prints the signing secret of endpoint ${endpoint.name} (the receiver's whsec_ value)`,
      value: Fn.join("", [
        "echo whsec_$(aws secretsmanager get-secret-value --secret-id ",
        secret.secretArn,
        " --query SecretString --output text)",
      ]),
    });
    return { endpoint, queue, secret, forwarder };
  }
}
