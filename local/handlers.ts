import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { ROUTES, routeKey, WORKERS } from "../functions/routes";
import type { SqsWorker } from "./poller";
import type { WorkerHandlers } from "./workers";

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/*
 * The handlers loaded in this thread, by import path (the in-process stack of the tests). Never
 * bundled: esbuild would read these template imports as "every file of the repository".
 */

/**
 * Every route's handler by route key (`POST /api/ussd/session`), built as on Lambda:
 * configuration read and clients created once, at import.
 */
export async function loadHttpHandlers(): Promise<ReadonlyMap<string, HttpHandler>> {
  const handlers = new Map<string, HttpHandler>();
  for (const route of ROUTES) {
    const module = (await import(`../${route.entry}`)) as { handler: HttpHandler };
    handlers.set(routeKey(route), module.handler);
  }
  return handlers;
}

/** Each worker's handler (`recorder`, `replier`), built as on Lambda, at import. */
export async function loadWorkerHandlers(): Promise<WorkerHandlers> {
  const handlers = new Map<string, SqsWorker>();
  for (const worker of WORKERS) {
    const module = (await import(`../${worker.entry}`)) as { handler: SqsWorker };
    handlers.set(worker.name, module.handler);
  }
  return handlers;
}
