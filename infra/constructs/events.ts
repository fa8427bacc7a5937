import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";

/**
 * The events topic (docs/events.md): a standard SNS topic the workers publish every new record
 * and reply state change to, each message with a `type` attribute for filter policies.
 * Encrypted with a key of its own and TLS-only. Subscribe queues, functions or endpoints to
 * `topic`; grant a publisher with `grantPublish`.
 */
export class Events extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new Key(this, "TopicKey", {
      description: "Encrypts the events topic of the AT callbacks stack",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topic = new Topic(this, "Topic", {
      displayName: "AT callbacks events",
      masterKey: this.key,
      enforceSSL: true,
    });
  }

  /**
   * `sns:Publish` on the topic (PublishBatch is authorised by it) and the two key actions SNS
   * makes on the publisher's behalf, named exactly (Topic.grantPublish would grant
   * `kms:GenerateDataKey*`).
   */
  grantPublish(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["sns:Publish"], resources: [this.topic.topicArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: [this.key.keyArn],
      }),
    );
  }
}
