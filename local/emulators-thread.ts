/** The embedded services on a thread of their own (services.ts, `threads`). */
import { parentPort, workerData } from "node:worker_threads";
import { startEmulators } from "./emulators";
import type { ServiceOptions } from "./service-options";
import type { ThreadMessage } from "./services";
import { linuxThreadId } from "./thread-id";

const port = parentPort;
if (port) {
  const post = (message: ThreadMessage) => port.postMessage(message);
  try {
    const services = await startEmulators(workerData as ServiceOptions);
    port.once("message", async () => {
      await services.stop();
      post({ type: "stopped" });
      port.close();
    });
    post({ type: "ready", endpoints: services.endpoints, tid: linuxThreadId() });
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
