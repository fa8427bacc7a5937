import { SQSClient } from "@aws-sdk/client-sqs";
import type { Env } from "../functions/config/env";
import { type QueueName, WORKERS, type WorkerName } from "../functions/routes";
import { FORWARD_QUEUE, QUEUES, WORKER_FUNCTION } from "../functions/settings";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";
import { destroyClients, forwarderHandler, localClients, workerHandlers } from "./functions";
import type { Meter } from "./meter";
import { type Poller, startPoller } from "./poller";
import type { ServiceEndpoints } from "./services";

/**
 * Concurrent batches per worker, as Lambda's SQS event source mapping runs several
 * invocations at once (it starts with five): one batch at a time cannot keep up with AT.
 */
const POLLERS_PER_WORKER: Record<QueueName, number> = { events: 4, replies: 2 };

export interface Workers {
  /** `graceful`: the receives under way finish rather than being aborted (see Poller.stop). */
  stop(options?: { graceful?: boolean }): Promise<void>;
}

/**
 * The queue workers (recorder, replier), each built by its factory and fed by pollers on its
 * own queue as one event source mapping per worker on AWS (batch size and timeout as deployed).
 */
export async function startWorkers(
  services: ServiceEndpoints,
  settings: Env,
  onError: (error: unknown) => void,
  meter?: Meter,
): Promise<Workers> {
  const sqs = new SQSClient({
    region: LOCAL_REGION,
    endpoint: services.sqsEndpoint,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  // The event source mapping's own requests (receive, delete) are billed as SQS requests too.
  meter?.meterSqs(sqs);
  const clients = localClients(services, meter);
  const handlers = workerHandlers(services, settings, clients);
  const pollers: Poller[] = WORKERS.map((worker) => {
    const queue = services.queues[worker.queue];
    const built = handlers[worker.name as WorkerName];
    const handler = meter ? meter.timed(worker.name, built) : built;
    return startPoller({
      concurrency: POLLERS_PER_WORKER[worker.queue],
      batchSize: QUEUES[worker.queue].batchSize,
      timeoutMs: WORKER_FUNCTION.timeoutSeconds * 1000,
      client: sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: worker.name,
      worker: handler,
      onError,
    });
  });
  // npm start --forward-to: a queue on the events topic and a forwarder per endpoint.
  for (const queue of services.forwardQueues ?? []) {
    pollers.push(
      startPoller({
        concurrency: 1,
        batchSize: FORWARD_QUEUE.batchSize,
        timeoutMs: WORKER_FUNCTION.timeoutSeconds * 1000,
        client: sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        functionName: `forwarder ${queue.endpoint.name}`,
        worker: forwarderHandler(services, settings, clients, queue),
        onError,
      }),
    );
  }
  return {
    async stop(options) {
      await Promise.all(pollers.map((p) => p.stop(options)));
      sqs.destroy();
      destroyClients(clients);
    },
  };
}
