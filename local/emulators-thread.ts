/**
 * One embedded service on a thread of its own (services.ts, `onThread`): SQS (fauxqs and its
 * journal) or DynamoDB (dynalite), named by workerData.service.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { EmulatorThreadData, ThreadMessage } from "./services";
import { linuxThreadId } from "./thread-id";

const port = parentPort;
if (port) {
  const post = (message: ThreadMessage) => port.postMessage(message);
  const { service, ...options } = workerData as EmulatorThreadData;
  try {
    const started =
      service === "sqs"
        ? await (await import("./emulators")).startQueues(options)
        : await (await import("./table-emulator")).startDynalite(
            options.dataDir,
            options.dynamodbPort,
          );
    port.once("message", async () => {
      await started.stop();
      post({ type: "stopped" });
      port.close();
    });
    post({ type: "ready", endpoints: started.endpoints, tid: linuxThreadId() });
  } catch (error) {
    const { code, port: taken } = error as NodeJS.ErrnoException & { port?: number };
    post({
      type: "failed",
      message: error instanceof Error ? error.message : String(error),
      ...(code ? { code } : {}),
      ...(taken ? { port: taken } : {}),
    });
    port.close();
  }
}
