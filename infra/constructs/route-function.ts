import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { Route } from "../../functions/routes";
import { TABLE } from "../../functions/table/keys";
import { AppFunction } from "./app-function";

/** Read and write single items (sessions, pending airtime requests); Query besides. */
const TABLE_ITEM_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:ConditionCheckItem",
];

export interface RouteFunctionProps {
  readonly route: Route;
  /** Absolute path of the route's entry file. */
  readonly entry: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly logRetention: RetentionDays;
  /** Where the route puts its envelopes. */
  readonly eventsQueue: IQueue;
  /** The callback keys AT must send as `?key=`. */
  readonly callbackKeySecret: ISecret;
  /** The records table, granted only to routes with `tableAccess`. */
  readonly table: ITable;
  /** Deployment settings for this route (log level, airtime rules). */
  readonly environment: Record<string, string>;
}

/**
 * The function behind one route of the route table, with its environment and exactly the
 * grants the route needs: send to the events queue, read the callback key, and the records
 * table for routes that keep state.
 */
export class RouteFunction extends AppFunction {
  constructor(scope: Construct, id: string, props: RouteFunctionProps) {
    const { route, eventsQueue, callbackKeySecret, table } = props;
    const readwrite = route.tableAccess === "readwrite";
    super(scope, id, {
      entry: props.entry,
      description: `AT callback ${route.method} ${route.path} (${route.kind})`,
      memorySize: props.memorySize,
      timeoutSeconds: props.timeoutSeconds,
      logRetention: props.logRetention,
      environment: {
        EVENTS_QUEUE_URL: eventsQueue.queueUrl,
        CALLBACK_KEY_SECRET_ARN: callbackKeySecret.secretArn,
        ...(readwrite ? { TABLE_NAME: table.tableName } : {}),
        ...props.environment,
      },
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["sqs:SendMessage"], resources: [eventsQueue.queueArn] }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        resources: [callbackKeySecret.secretArn],
      }),
    );
    if (readwrite) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: TABLE_ITEM_ACTIONS, resources: [table.tableArn] }),
      );
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["dynamodb:Query"],
          resources: [
            table.tableArn,
            ...[TABLE.byPhone, TABLE.byType].map((i) => `${table.tableArn}/index/${i.indexName}`),
          ],
        }),
      );
    }
  }
}
