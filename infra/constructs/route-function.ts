import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { Route } from "../../functions/routes";
import { airtimePendingKey } from "../../functions/table/keys";
import { AppFunction, type FunctionSettings } from "./app-function";
import { onlyKeysStartingWith, prefixOf } from "./table-access";

/** What each kind of route table access may do, and on which items (by partition key prefix). */
export const TABLE_ACCESS: Record<
  NonNullable<Route["tableAccess"]>,
  { actions: string[]; prefixes: string[] }
> = {
  // Validating a pending request is one conditional UpdateItem that records the decision, and a
  // GetItem to say why when it does not match (functions/table/airtime-pending.ts, `validate`).
  "airtime-pending": {
    actions: ["dynamodb:UpdateItem", "dynamodb:GetItem"],
    prefixes: [prefixOf(airtimePendingKey("x").pk)],
  },
};

export interface RouteFunctionProps extends FunctionSettings {
  readonly route: Route;
  /** Absolute path of the route's entry file. */
  readonly entry: string;
  /** Where the route puts its envelopes. */
  readonly eventsQueue: IQueue;
  /** The callback keys AT must send as `?key=`. */
  readonly callbackKeySecret: ISecret;
  /** The records table, granted only to routes with `tableAccess`. */
  readonly table: ITable;
}

/**
 * The function behind one route of the route table, with its environment and exactly the
 * grants the route needs: send to the events queue, read the callback key, and the records
 * table for routes that keep state.
 */
export class RouteFunction extends AppFunction {
  constructor(scope: Construct, id: string, props: RouteFunctionProps) {
    const { route, eventsQueue, callbackKeySecret, table } = props;
    const access = route.tableAccess ? TABLE_ACCESS[route.tableAccess] : undefined;
    super(scope, id, {
      entry: props.entry,
      description: `AT callback ${route.method} ${route.path} (${route.kind})`,
      memorySize: props.memorySize,
      timeoutSeconds: props.timeoutSeconds,
      logRetention: props.logRetention,
      reservedConcurrency: props.reservedConcurrency,
      tracing: props.tracing,
      logLevel: props.logLevel,
      environment: {
        EVENTS_QUEUE_URL: eventsQueue.queueUrl,
        CALLBACK_KEY_SECRET_ARN: callbackKeySecret.secretArn,
        ...(access ? { TABLE_NAME: table.tableName } : {}),
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
    if (access) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: access.actions,
          resources: [table.tableArn],
          conditions: onlyKeysStartingWith(access.prefixes),
        }),
      );
    }
  }
}
