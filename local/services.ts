import { Worker } from "node:worker_threads";

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

export type ThreadMessage =
  | { type: "ready"; endpoints: ServiceEndpoints; tid?: number | undefined }
  | { type: "failed"; message: string; code?: string; port?: number }
  | { type: "stopped" };

/**
 * Embedded stand-ins for SQS (fauxqs) and DynamoDB (dynalite) on free loopback ports, with
 * the queues (events, replies), their dead-letter queues and the table created as the CDK
 * stack creates them (local/emulators.ts), with the queues journaled to `dataDir`.
 */
export async function startServices(options: ServiceOptions = {}): Promise<LocalServices> {
  if (!options.onThread) {
    const { startEmulators } = await import("./emulators");
    const { endpoints, stop } = await startEmulators(options);
    return { ...endpoints, threads: {}, stop };
  }
  const thread = new Worker(new URL("./thread.mjs", import.meta.url), {
    workerData: {
      entry: "./emulators-thread.ts",
      dataDir: options.dataDir,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      sqsPort: options.sqsPort,
      dynamodbPort: options.dynamodbPort,
      dynamodbEndpoint: options.dynamodbEndpoint,
      tableName: options.tableName,
      dropTableOnStop: options.dropTableOnStop,
    } satisfies ServiceOptions & { entry: string },
  });
  const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
  const first = await new Promise<ThreadMessage>((resolve, reject) => {
    thread.once("message", resolve);
    thread.once("error", reject);
    exited.then(() => reject(new Error("the local services thread exited while starting")));
  });
  if (first.type !== "ready") {
    // What did start (DynamoDB, when the SQS port is taken) would keep the thread alive.
    await thread.terminate();
    await exited;
    if (first.type !== "failed") throw new Error("local services did not start");
    // Keep what callers tell apart (a port in use), as if the services ran on this thread.
    throw Object.assign(new Error(first.message), { code: first.code, port: first.port });
  }
  let stopping: Promise<void> | undefined;
  return {
    ...first.endpoints,
    threads: first.tid === undefined ? {} : { services: first.tid },
    stop() {
      stopping ??= (async () => {
        thread.postMessage({ type: "stop" });
        await exited;
      })();
      return stopping;
    },
  };
}
