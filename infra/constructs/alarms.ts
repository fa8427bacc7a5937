import { ArnFormat, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";

export interface AlarmsProps {
  /** Subscribed to the topic when set. */
  readonly email: string | undefined;
}

export interface AlarmOptions {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly description: string;
  /** Consecutive periods over the threshold before the alarm fires; 1 unless told. */
  readonly evaluationPeriods?: number;
}

/**
 * An encrypted SNS topic and the alarms that notify it (when they fire and when they clear).
 *
 * The topic's policy (which replaces SNS's default one) and the key's policy each allow
 * CloudWatch in, on condition that the request comes from an alarm of this stack in this
 * account (`aws:SourceAccount`, `aws:SourceArn`): without the Allow, alarm notifications are
 * silently dropped; without the conditions, any account's alarms could use the topic.
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  /** Every alarm is named `<stack name>-<id>`, which the policies' conditions match. */
  readonly namePrefix: string;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.namePrefix = `${stack.stackName}-`;
    const cloudWatch = new ServicePrincipal("cloudwatch.amazonaws.com");
    const fromOurAlarms = {
      StringEquals: { "aws:SourceAccount": stack.account },
      ArnLike: {
        "aws:SourceArn": stack.formatArn({
          service: "cloudwatch",
          resource: "alarm",
          resourceName: `${this.namePrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    // A customer-managed key: CloudWatch cannot publish to a topic encrypted with the
    // AWS-managed SNS key, whose policy cannot be changed.
    this.key = new Key(this, "TopicKey", {
      description: "Encrypts the alarm topic of the AT callbacks stack",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: "CloudWatchAlarmsOfThisStack",
        principals: [cloudWatch],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: fromOurAlarms,
      }),
    );
    this.topic = new Topic(this, "Topic", {
      displayName: "AT callbacks alarms",
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "CloudWatchAlarmsOfThisStack",
        principals: [cloudWatch],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    this.action = new SnsAction(this.topic);
  }

  /** Fires when the metric reaches the threshold. */
  add(id: string, options: AlarmOptions): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.namePrefix}${id}`,
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }
}
