import { SQSClient } from "@aws-sdk/client-sqs";
import { WORKERS } from "../functions/routes";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";
import { type Poller, type SqsWorker, startPoller } from "./poller";
import type { ServiceEndpoints } from "./services";

/**
 * Concurrent batches per worker, as Lambda's SQS event source mapping runs several
 * invocations at once (it starts with five): one batch at a time cannot keep up with AT.
 */
const POLLERS_PER_WORKER = { events: 4, replies: 2 } as const;

export interface Workers {
  stop(): Promise<void>;
}

/**
 * The queue workers (recorder, replier), each fed by pollers on its own queue as one event
 * source mapping per worker on AWS. The workers read their configuration from the environment.
 */
export async function startWorkers(
  services: ServiceEndpoints,
  onError: (error: unknown) => void,
): Promise<Workers> {
  const sqs = new SQSClient({
    region: LOCAL_REGION,
    endpoint: services.sqsEndpoint,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const queues = {
    events: { url: services.eventsQueueUrl, arn: services.eventsQueueArn },
    replies: { url: services.repliesQueueUrl, arn: services.repliesQueueArn },
  } satisfies Record<(typeof WORKERS)[number]["queue"], { url: string; arn: string }>;
  const pollers: Poller[] = [];
  for (const worker of WORKERS) {
    const module = (await import(`../${worker.entry}`)) as { handler: SqsWorker };
    pollers.push(
      startPoller({
        concurrency: POLLERS_PER_WORKER[worker.queue],
        client: sqs,
        queueUrl: queues[worker.queue].url,
        queueArn: queues[worker.queue].arn,
        functionName: worker.name,
        worker: module.handler,
        onError,
      }),
    );
  }
  return {
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      sqs.destroy();
    },
  };
}
