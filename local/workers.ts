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
  /** `graceful`: the receives under way finish rather than being aborted (see Poller.stop). */
  stop(options?: { graceful?: boolean }): Promise<void>;
}

/** Each worker's handler by worker name (`recorder`, `replier`). */
export type WorkerHandlers = ReadonlyMap<string, SqsWorker>;

/**
 * The queue workers (recorder, replier), each fed by pollers on its own queue as one event
 * source mapping per worker on AWS.
 */
export async function startWorkers(
  services: ServiceEndpoints,
  onError: (error: unknown) => void,
  handlers: WorkerHandlers,
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
  const pollers: Poller[] = WORKERS.map((worker) =>
    startPoller({
      concurrency: POLLERS_PER_WORKER[worker.queue],
      client: sqs,
      queueUrl: queues[worker.queue].url,
      queueArn: queues[worker.queue].arn,
      functionName: worker.name,
      worker: handlers.get(worker.name) as SqsWorker,
      onError,
    }),
  );
  return {
    async stop(options) {
      await Promise.all(pollers.map((p) => p.stop(options)));
      sqs.destroy();
    },
  };
}
