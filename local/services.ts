import { Worker } from "node:worker_threads";
import type { LocalServices, ServiceEndpoints, ServiceOptions } from "./service-options";

export type { LocalServices, ServiceEndpoints, ServiceOptions };

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
