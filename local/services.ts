import { Worker } from "node:worker_threads";
import type { QueueEndpoints } from "./emulators";

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
   * Run SQS and DynamoDB on a thread each (`npm start`), so that the HTTP server and the
   * emulators use both cores; in this thread otherwise (tests: two threads less to start).
   */
  onThread?: boolean | undefined;
  /** Overrides the deployed visibility timeout (tests use a short one to see redelivery quickly). */
  visibilityTimeoutSeconds?: number | undefined;
  /** Ports for the embedded SQS and DynamoDB; 0 or unset picks free ones. */
  sqsPort?: number | undefined;
  dynamodbPort?: number | undefined;
}

/** What each emulator thread is told: which service it runs, and the options. */
export type EmulatorThreadData = ServiceOptions & { entry: string; service: "sqs" | "dynamodb" };

export type ThreadMessage =
  | { type: "ready"; endpoints: Partial<ServiceEndpoints>; tid?: number | undefined }
  | { type: "failed"; message: string; code?: string; port?: number }
  | { type: "stopped" };

interface Started<T> {
  endpoints: T;
  /** The Linux id of the thread it runs on, when on a thread of its own. */
  tid?: number | undefined;
  stop(): Promise<void>;
}

/**
 * Embedded stand-ins for SQS (fauxqs) and DynamoDB (dynalite) on free loopback ports, with
 * the queues (events, replies), their dead-letter queues and the table created as the CDK
 * stack creates them (local/emulators.ts, local/table-emulator.ts), with the queues journaled
 * to `dataDir`. On threads, SQS and DynamoDB get one each: a handler's SendMessage never waits
 * in one event loop behind the recorder's table writes.
 */
export async function startServices(options: ServiceOptions = {}): Promise<LocalServices> {
  const [dynamo, queues] = await Promise.allSettled([
    options.dynamodbEndpoint ? undefined : startDynamoDb(options),
    startSqs(options),
  ]);
  const started = [dynamo, queues].flatMap((s) =>
    s.status === "fulfilled" && s.value ? [s.value] : [],
  );
  const stopAll = () => Promise.all(started.map((s) => s.stop()));
  if (dynamo.status === "rejected" || queues.status === "rejected") {
    await stopAll();
    throw dynamo.status === "rejected" ? dynamo.reason : (queues as PromiseRejectedResult).reason;
  }
  const dynamodbEndpoint =
    options.dynamodbEndpoint ?? dynamo.value?.endpoints.dynamodbEndpoint ?? "";
  const tableName = options.tableName ?? "records";
  const { createTable, dropTable } = await import("./table-emulator");
  try {
    await createTable(dynamodbEndpoint, tableName);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const threads: Record<string, number> = {};
  if (queues.value.tid !== undefined) threads.sqs = queues.value.tid;
  if (dynamo.value?.tid !== undefined) threads.dynamodb = dynamo.value.tid;
  let stopping: Promise<void> | undefined;
  return {
    ...queues.value.endpoints,
    dynamodbEndpoint,
    tableName,
    threads,
    stop() {
      stopping ??= (async () => {
        await queues.value.stop();
        if (options.dropTableOnStop) await dropTable(dynamodbEndpoint, tableName);
        await dynamo.value?.stop();
      })();
      return stopping;
    },
  };
}

async function startSqs(options: ServiceOptions): Promise<Started<QueueEndpoints>> {
  if (options.onThread) return startOnThread<QueueEndpoints>("sqs", options);
  const { startQueues } = await import("./emulators");
  return startQueues(options);
}

async function startDynamoDb(
  options: ServiceOptions,
): Promise<Started<{ dynamodbEndpoint: string }>> {
  if (options.onThread) return startOnThread<{ dynamodbEndpoint: string }>("dynamodb", options);
  const { startDynalite } = await import("./table-emulator");
  return startDynalite(options.dataDir, options.dynamodbPort);
}

async function startOnThread<T>(
  service: EmulatorThreadData["service"],
  options: ServiceOptions,
): Promise<Started<T>> {
  const thread = new Worker(new URL("./thread.mjs", import.meta.url), {
    workerData: {
      entry: "./emulators-thread.ts",
      service,
      dataDir: options.dataDir,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      sqsPort: options.sqsPort,
      dynamodbPort: options.dynamodbPort,
    } satisfies EmulatorThreadData,
  });
  const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
  const first = await new Promise<ThreadMessage>((resolve, reject) => {
    thread.once("message", resolve);
    thread.once("error", reject);
    exited.then(() => reject(new Error(`the local ${service} thread exited while starting`)));
  });
  if (first.type !== "ready") {
    await exited;
    if (first.type !== "failed") throw new Error(`local ${service} did not start`);
    // Keep what callers tell apart (a port in use), as if the services ran on this thread.
    throw Object.assign(new Error(first.message), { code: first.code, port: first.port });
  }
  return {
    endpoints: first.endpoints as T,
    tid: first.tid,
    async stop() {
      thread.postMessage({ type: "stop" });
      await exited;
    },
  };
}
