/**
 * One half of the local stack's handler layer on a thread of its own (local/reload.ts): the
 * HTTP handlers (`role: "http"`), answering the requests the server posts here, or the queue
 * workers (`role: "workers"`), polling once told to start. Each thread loads the code in
 * functions/ afresh, which is how an edit is picked up without a restart.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { findRoute } from "../functions/routes";
import { lambdaContext } from "./apigw";
import type { HttpHandler } from "./handlers";
import type { SqsWorker } from "./poller";
import type { ServiceEndpoints } from "./services";
import { linuxThreadId } from "./thread-id";
import { startWorkers, type Workers } from "./workers";

export interface LayerThreadData {
  role: "http" | "workers";
  endpoints: ServiceEndpoints;
}

export type ToLayerThread =
  | { type: "invoke"; id: number; routeKey: string; event: APIGatewayProxyEventV2 }
  | { type: "start" }
  /** `graceful`: let the receives under way finish (a reload) rather than abort them (a stop). */
  | { type: "stop"; graceful: boolean };

export type FromLayerThread =
  | { type: "loaded"; tid?: number | undefined }
  | { type: "result"; id: number; result: APIGatewayProxyStructuredResultV2 }
  | { type: "failed"; id: number; message: string; stack?: string | undefined }
  | { type: "error"; message: string }
  | { type: "stopped" };

/** An HTTP handler answers within API Gateway's 30 s integration timeout. */
const HTTP_TIMEOUT_MS = 30_000;

/**
 * Serves the handlers this thread's bundle imported (its entry is made by reload.ts): HTTP
 * handlers by route key, or workers by name.
 */
export function runLayerThread(
  ...[role, handlers]:
    | [role: "http", handlers: Record<string, HttpHandler>]
    | [role: "workers", handlers: Record<string, SqsWorker>]
) {
  const port = parentPort;
  if (!port) return;
  const post = (message: FromLayerThread) => port.postMessage(message);
  const { endpoints } = workerData as LayerThreadData;
  if (role === "http") {
    port.on("message", async (message: ToLayerThread) => {
      if (message.type !== "invoke") return;
      const { id, routeKey, event } = message;
      try {
        const handler = handlers[routeKey];
        if (!handler) throw new Error(`no handler for ${routeKey}`);
        const name = findRoute(routeKey)?.name ?? routeKey;
        const result = await handler(event, lambdaContext(name, HTTP_TIMEOUT_MS));
        post({ type: "result", id, result });
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        post({ type: "failed", id, message: e.message, stack: e.stack });
      }
    });
  } else {
    let workers: Promise<Workers> | undefined;
    port.on("message", async (message: ToLayerThread) => {
      if (message.type === "start") {
        workers ??= startWorkers(
          endpoints,
          (error) =>
            post({
              type: "error",
              message: error instanceof Error ? (error.stack ?? error.message) : String(error),
            }),
          new Map(Object.entries(handlers)),
        );
      } else if (message.type === "stop") {
        await (await workers)?.stop({ graceful: message.graceful });
        post({ type: "stopped" });
      }
    });
  }
  post({ type: "loaded", tid: linuxThreadId() });
}
