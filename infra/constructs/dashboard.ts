import { Duration, Stack } from "aws-cdk-lib";
import {
  Dashboard,
  GraphWidget,
  LogQueryWidget,
  MathExpression,
  type Metric,
  Stats,
  TextWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import type { ILogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { METRIC_NAMESPACE, METRIC_SERVICE } from "../../functions/reply/metrics";
import type { AppFunction } from "./app-function";
import type { CallbackApi } from "./callback-api";
import type { WorkQueue } from "./work-queue";

export interface OperationsDashboardProps {
  readonly stageName: string;
  readonly api: CallbackApi;
  readonly queues: ReadonlyMap<string, WorkQueue>;
  /** Every function, by route or worker name. */
  readonly functions: ReadonlyMap<string, AppFunction>;
  /** The replier's log group (its `reply` lines carry each job's outcome). */
  readonly replierLogs: ILogGroup | undefined;
}

const FIVE_MINUTES = Duration.minutes(5);
const WIDE = 12;

/**
 * One CloudWatch dashboard per stage (`AtCallbacks-<stage>`): callbacks by route and outcome,
 * queue depth and age, replies by state and AT's refusals, Lambda errors, throttles and
 * duration. Log widgets query the access and replier logs (billed per query, only when viewed).
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { api, queues, functions, stageName } = props;
    const fns = [...functions.entries()];
    const perFunction = (metric: (fn: AppFunction) => Metric) =>
      fns.map(([name, fn]) => metric(fn).with({ label: name }));
    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: Stack.of(this).stackName,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# AT callbacks, stage ${stageName}\nAlarms go to the AlarmTopicArn output. Runbook: docs/deploy.md, docs/replies.md.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new LogQueryWidget({
        title: "Callbacks by route and outcome (HTTP status)",
        logGroupNames: [api.accessLogs.logGroupName],
        queryLines: ["stats count(*) as callbacks by routeKey, status", "sort routeKey, status"],
        width: WIDE,
        height: 8,
      }),
      new GraphWidget({
        title: "API answers",
        left: [
          api.api.metricCount({ statistic: Stats.SUM, period: FIVE_MINUTES, label: "requests" }),
          api.api.metricClientError({ statistic: Stats.SUM, period: FIVE_MINUTES, label: "4xx" }),
          api.api.metricServerError({ statistic: Stats.SUM, period: FIVE_MINUTES, label: "5xx" }),
          api.metricRefusals("429").with({ label: "429 (over the throttle)" }),
          api.metricRefusals("403").with({ label: "403 (wrong callback key)" }),
        ],
        width: WIDE,
        height: 8,
      }),
    );
    const queueList = [...queues.entries()];
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Queue depth (visible messages)",
        left: queueList.flatMap(([name, q]) => [
          q.queue.metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MAXIMUM,
            period: Duration.minutes(1),
            label: name,
          }),
          q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MAXIMUM,
            period: Duration.minutes(1),
            label: `${name} dead letters`,
          }),
        ]),
        width: WIDE,
      }),
      new GraphWidget({
        title: "Oldest message (seconds)",
        left: queueList.flatMap(([name, q]) => [
          q.queue.metricApproximateAgeOfOldestMessage({
            statistic: Stats.MAXIMUM,
            period: Duration.minutes(1),
            label: name,
          }),
          q.deadLetterQueue.metricApproximateAgeOfOldestMessage({
            statistic: Stats.MAXIMUM,
            period: Duration.minutes(1),
            label: `${name} dead letters`,
          }),
        ]),
        width: WIDE,
      }),
    );
    this.dashboard.addWidgets(
      ...(props.replierLogs
        ? [
            new LogQueryWidget({
              title: "Reply jobs by outcome",
              logGroupNames: [props.replierLogs.logGroupName],
              queryLines: [
                'filter message = "reply"',
                "stats count(*) as jobs by outcome",
                "sort jobs desc",
              ],
              width: WIDE,
              height: 6,
            }),
          ]
        : []),
      new GraphWidget({
        title: "Replies refused by AT, by status",
        left: [
          new MathExpression({
            expression: `SEARCH('{${METRIC_NAMESPACE},service,stage,status} MetricName="ReplyRejected" service="${METRIC_SERVICE}" stage="${stageName}"', 'Sum', 300)`,
            label: "",
            period: FIVE_MINUTES,
          }),
        ],
        width: WIDE,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Lambda errors",
        left: perFunction((fn) =>
          fn.function.metricErrors({ statistic: Stats.SUM, period: FIVE_MINUTES }),
        ),
        width: 8,
      }),
      new GraphWidget({
        title: "Lambda throttles",
        left: perFunction((fn) =>
          fn.function.metricThrottles({ statistic: Stats.SUM, period: FIVE_MINUTES }),
        ),
        width: 8,
      }),
      new GraphWidget({
        title: "Lambda duration p95 (ms)",
        left: perFunction((fn) =>
          fn.function.metricDuration({ statistic: "p95", period: FIVE_MINUTES }),
        ),
        width: 8,
      }),
    );
  }
}
