import type { QueueName } from "../functions/routes";

/** A work queue of the local SQS and its dead-letter queue. */
export interface LocalQueue {
  url: string;
  arn: string;
  dlqUrl: string;
}

/** A queue of `npm start -- --forward-to`, subscribed to the events topic (local/forwarding.ts). */
export interface LocalForwardQueue extends LocalQueue {
  endpoint: { name: string; url: string; types: readonly string[] | undefined };
}

export interface ServiceEndpoints {
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  tableName: string;
  eventsQueueUrl: string;
  eventsQueueArn: string;
  eventsDlqUrl: string;
  repliesQueueUrl: string;
  repliesQueueArn: string;
  repliesDlqUrl: string;
  /** The embedded SNS (fauxqs serves it on the SQS port). */
  snsEndpoint: string;
  /** The events topic the workers publish to (docs/events.md): subscribe a queue to it. */
  eventsTopicArn: string;
  /** The forwarding endpoints' queues, when the stack forwards (settings `FORWARD_TO`). */
  forwardQueues?: LocalForwardQueue[];
  /** Every work queue of settings.ts `QUEUES`, by name (the fields above name the same ones). */
  queues: Record<QueueName, LocalQueue>;
  /** Messages read back from the data directory's journal and put back on their queues. */
  recovered: number;
}

export interface LocalServices extends ServiceEndpoints {
  /**
   * Linux thread ids of the threads the services run on, by what they run (empty on this
   * thread, or without /proc): `npm start` leaves them in .local/stack.json for the bench.
   */
  threads: Record<string, number>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /**
   * Keep the table and the queues' contents in this folder across restarts (and crashes); in
   * memory when unset.
   */
  dataDir?: string | undefined;
  /**
   * Use this DynamoDB (AWS's DynamoDB Local, or any compatible endpoint) instead of the embedded
   * one; the table is created there unless it exists.
   */
  dynamodbEndpoint?: string | undefined;
  /** Table name (default `records`). */
  tableName?: string | undefined;
  /** Delete the table on stop (tests sharing one DynamoDB Local). */
  dropTableOnStop?: boolean | undefined;
  /**
   * Run the services on a thread of their own (`npm start`), so that the HTTP server and the
   * emulators use both cores; in this thread otherwise (tests: one thread less to start).
   * One thread for both: a thread each (SQS, DynamoDB) was measured against it with
   * `npm run bench -- --compare-with`, and on two cores cost more CPU per delivery report and
   * throughput, with no steady gain in the USSD tail.
   */
  onThread?: boolean | undefined;
  /** Overrides the deployed visibility timeout (tests use a short one to see redelivery quickly). */
  visibilityTimeoutSeconds?: number | undefined;
  /** Ports for the embedded SQS and DynamoDB; 0 or unset picks free ones. */
  sqsPort?: number | undefined;
  dynamodbPort?: number | undefined;
}
