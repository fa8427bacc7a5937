/** The queue workers on a thread of their own (`threads`), so they never delay an answer. */
import { parentPort, workerData } from "node:worker_threads";
import { onWorkerFailure, type WorkerFailure } from "./inspector/worker-failures";
import type { ServiceEndpoints } from "./services";
import { linuxThreadId } from "./thread-id";
import { startWorkers } from "./workers";

export type WorkersThreadMessage =
  | { type: "ready"; tid?: number | undefined }
  | { type: "error"; message: string }
  | { type: "failure"; failure: WorkerFailure }
  | { type: "stopped" };

const port = parentPort;
if (port) {
  const post = (message: WorkersThreadMessage) => port.postMessage(message);
  onWorkerFailure((failure) => post({ type: "failure", failure }));
  const workers = await startWorkers(workerData as ServiceEndpoints, (error) =>
    post({
      type: "error",
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }),
  );
  port.once("message", async () => {
    await workers.stop();
    post({ type: "stopped" });
    port.close();
  });
  post({ type: "ready", tid: linuxThreadId() });
}
