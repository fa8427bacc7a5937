import { Duration } from "aws-cdk-lib";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { QueueSettings } from "../../functions/settings";

export type { QueueSettings };

export interface WorkQueueProps {
  readonly settings: QueueSettings;
  /** The longest timeout of the workers consuming the queue. */
  readonly consumerTimeoutSeconds: number;
}

/** A queue and its dead-letter queue, encrypted and TLS-only. */
export class WorkQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly settings: QueueSettings;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const { settings, consumerTimeoutSeconds } = props;
    // AWS recommends six times the consumer's timeout, so a slow batch is not redelivered
    // (and counted towards the dead-letter queue) while it is still being processed.
    if (settings.visibilityTimeoutSeconds < 6 * consumerTimeoutSeconds) {
      throw new Error(
        `${this.node.path}: visibility timeout ${settings.visibilityTimeoutSeconds}s is less than 6 × the worker timeout (${consumerTimeoutSeconds}s)`,
      );
    }
    this.settings = settings;
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      retentionPeriod: Duration.days(settings.dlqRetentionDays),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, "Queue", {
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(settings.retentionDays),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });
  }
}
