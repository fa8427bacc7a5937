/**
 * One half of the local stack's handler layer on a thread of its own (local/reload.ts): the
 * HTTP handlers (`role: "http"`), answering the requests the server posts here, or the queue
 * workers (`role: "workers"`), polling once told to start. Each thread loads the code in
 * functions/ afresh, which is how an edit is picked up without a restart.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Env } from "../functions/config/env";
import { findRoute, type RouteName } from "../functions/routes";
import { ROUTE_FUNCTION } from "../functions/settings";
import { lambdaContext } from "./apigw";
import { localClients, routeHandlers } from "./functions";
import { onWorkerFailure, type WorkerFailure } from "./inspector/worker-failures";
import type { ServiceEndpoints } from "./services";
import { linuxThreadId } from "./thread-id";
import { startWorkers, type Workers } from "./workers";

export interface LayerThreadData {
  role: "http" | "workers";
  endpoints: ServiceEndpoints;
  callbackKey: string;
  settings: Env;
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
  /** A message a worker failed on, observed here where the workers run (the inspector shows it). */
  | { type: "failure"; failure: WorkerFailure }
  | { type: "stopped" };

/**
 * The bundle's entry (reload.ts): serves the HTTP handlers or runs the workers, each built by
 * its factory through the local composition root (local/functions.ts).
 */
const port = parentPort;
if (port) {
  const post = (message: FromLayerThread) => port.postMessage(message);
  const { role, endpoints, callbackKey, settings } = workerData as LayerThreadData;
  if (role === "http") {
    const handlers = routeHandlers(endpoints, callbackKey, settings, localClients(endpoints));
    port.on("message", async (message: ToLayerThread) => {
      if (message.type !== "invoke") return;
      const { id, routeKey, event } = message;
      try {
        const route = findRoute(routeKey);
        const handler = route && handlers.get(route.name as RouteName);
        if (!route || !handler) throw new Error(`no handler for ${routeKey}`);
        const context = lambdaContext(route.name, ROUTE_FUNCTION.timeoutSeconds * 1000);
        post({ type: "result", id, result: await handler(event, context) });
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        post({ type: "failed", id, message: e.message, stack: e.stack });
      }
    });
  } else {
    let workers: Promise<Workers> | undefined;
    // The batch processor that records a failure is this thread's: observed here, told the
    // main thread, which passes it to the stack's onWorkerFailure.
    onWorkerFailure((failure) => post({ type: "failure", failure }));
    port.on("message", async (message: ToLayerThread) => {
      if (message.type === "start") {
        workers ??= startWorkers(endpoints, settings, (error) =>
          post({
            type: "error",
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
        );
      } else if (message.type === "stop") {
        await (await workers)?.stop({ graceful: message.graceful });
        post({ type: "stopped" });
      }
    });
  }
  post({ type: "loaded", tid: linuxThreadId() });
}
