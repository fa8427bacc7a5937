import { Duration } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import type { QueueName, Worker, WorkerGrants } from "../../functions/routes";
import {
  messageLinkKey,
  recordPartition,
  subscriptionKey,
  suppressionPartition,
} from "../../functions/table/keys";
import { pascal } from "../names";
import { AppFunction, type FunctionSettings } from "./app-function";
import type { Events } from "./events";
import { onlyKeysStartingWith, prefixOf } from "./table-access";
import type { WorkQueue } from "./work-queue";

/** What Lambda needs to poll a queue for a function (AWSLambdaSQSQueueExecutionRole). */
const EVENT_SOURCE_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"];

const records = prefixOf(recordPartition("x"));
const suppressions = prefixOf(suppressionPartition("x"));
const messageLinks = prefixOf(messageLinkKey("x").pk);
const subscriptions = prefixOf(subscriptionKey("x", "x", "x").pk);

/**
 * The table access of each worker, as partition-key prefix → the DynamoDB actions allowed on
 * those items: exactly the calls its code makes (test/integration/worker-table-access.test.ts
 * runs the workers and fails on any call outside it, and on any grant no call needs). Never
 * USSD sessions or pending airtime requests: a worker could forge an answer AT trusts.
 */
export const TABLE_ACCESS: Record<
  NonNullable<WorkerGrants["table"]>,
  Readonly<Record<string, readonly string[]>>
> = {
  // Records once (conditional put, read back), the message link a delivery report may have
  // (the sender a blacklisting is for), opt-outs and blacklisted numbers, subscription state.
  "records-and-effects": {
    [records]: ["dynamodb:GetItem", "dynamodb:PutItem"],
    [suppressions]: ["dynamodb:PutItem"],
    [messageLinks]: ["dynamodb:GetItem"],
    [subscriptions]: ["dynamodb:PutItem"],
  },
  // The reply state machine, the suppression list, the links delivery reports are found by,
  // and the reports a sent reply already has (its delivery events).
  replies: {
    [records]: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
    [suppressions]: ["dynamodb:Query"],
    [messageLinks]: ["dynamodb:PutItem"],
  },
};

/** A worker's concurrency is bounded by its event source mapping, not a reservation. */
export interface QueueWorkerProps extends Omit<FunctionSettings, "reservedConcurrency"> {
  readonly worker: Worker;
  /** Absolute path of the worker's entry file. */
  readonly entry: string;
  /** Every queue of the stack, by name: the worker's own and those it sends to. */
  readonly queues: (name: QueueName) => WorkQueue;
  readonly table: ITable;
  /** The AT credentials, for a worker granted `atCredentials`. */
  readonly atCredentialsSecret: ISecret;
  /** The events topic, for a worker granted `publishesEvents`. */
  readonly events: Events;
  /** `MaximumConcurrency` of its event source mapping: a backlog takes at most this many. */
  readonly maxConcurrency: number;
}

/**
 * A queue consumer: its function, the event source mapping on its queue (batches, partial
 * batch failures), and exactly the grants its WORKERS entry declares.
 */
export class QueueWorker extends AppFunction {
  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    const { worker, table, atCredentialsSecret, events } = props;
    const { grants } = worker;
    const own = props.queues(worker.queue);
    const sendsTo = (grants.sendsTo ?? []).map((name) => ({ name, queue: props.queues(name) }));
    // A worker that delays its retries needs its own queue's URL (ChangeMessageVisibility).
    const urls = [
      ...sendsTo,
      ...(grants.delaysRetries ? [{ name: worker.queue, queue: own }] : []),
    ];
    super(scope, id, {
      entry: props.entry,
      description: `Worker ${worker.name}: consumes the ${worker.queue} queue`,
      memorySize: props.memorySize,
      timeoutSeconds: props.timeoutSeconds,
      logRetention: props.logRetention,
      tracing: props.tracing,
      logLevel: props.logLevel,
      environment: {
        TABLE_NAME: table.tableName,
        ...Object.fromEntries(
          urls.map((q) => [`${q.name.toUpperCase()}_QUEUE_URL`, q.queue.queue.queueUrl]),
        ),
        // A message that can never be read goes there on first sight (the worker sends it).
        DEAD_LETTER_QUEUE_URL: own.deadLetterQueue.queueUrl,
        ...(grants.atCredentials
          ? { AT_CREDENTIALS_SECRET_ARN: atCredentialsSecret.secretArn }
          : {}),
        ...(grants.publishesEvents ? { EVENTS_TOPIC_ARN: events.topic.topicArn } : {}),
        ...props.environment,
      },
    });
    if (grants.table) {
      for (const [prefix, actions] of Object.entries(TABLE_ACCESS[grants.table])) {
        this.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: [...actions],
            resources: [table.tableArn],
            conditions: onlyKeysStartingWith([prefix]),
          }),
        );
      }
    }
    for (const target of sendsTo) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["sqs:SendMessage"],
          resources: [target.queue.queue.queueArn],
        }),
      );
    }
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["sqs:SendMessage"],
        resources: [own.deadLetterQueue.queueArn],
      }),
    );
    if (grants.atCredentials) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["secretsmanager:GetSecretValue"],
          resources: [atCredentialsSecret.secretArn],
        }),
      );
    }
    if (grants.publishesEvents) events.grantPublish(this.role);
    // Exactly what the event source mapping needs to poll (SqsEventSource would also grant
    // GetQueueUrl and ChangeMessageVisibility, which the mapping does not use).
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          ...EVENT_SOURCE_ACTIONS,
          ...(grants.delaysRetries ? ["sqs:ChangeMessageVisibility"] : []),
        ],
        resources: [own.queue.queueArn],
      }),
    );
    const mapping = this.function.addEventSourceMapping(`${pascal(worker.queue)}Queue`, {
      eventSourceArn: own.queue.queueArn,
      batchSize: own.settings.batchSize,
      maxBatchingWindow: Duration.seconds(own.settings.maxBatchingWindowSeconds),
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    // CloudFormation checks the role's permissions when it creates the mapping.
    mapping.node.addDependency(this.role);
  }
}
