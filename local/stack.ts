import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Env } from "../functions/config/env";
import { findRoute, ROUTES, type RouteName, routeKey } from "../functions/routes";
import { ROUTE_FUNCTION } from "../functions/settings";
import { lambdaContext, PayloadTooLarge, readBody, toHttpApiEvent, writeResult } from "./apigw";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";
import { createForwardQueues, localForwardEndpoints } from "./forwarding";
import { destroyClients, localClients, routeHandlers } from "./functions";
import { onWorkerFailure, type WorkerFailure } from "./inspector/worker-failures";
import type { Meter } from "./meter";
import { queueDepth } from "./queue-depth";
import { type HandlerLayer, type ReloadOutcome, startHandlerLayer } from "./reload";
import { type LocalServices, type ServiceOptions, startServices } from "./services";
import { linuxThreadId } from "./thread-id";
import { startWorkers } from "./workers";

export interface LocalStackOptions extends ServiceOptions {
  /** HTTP port for the callback routes; 0 picks a free one. */
  port: number;
  callbackKey: string;
  onError?: (error: unknown) => void;
  /**
   * Run the embedded services and the queue workers on threads of their own (`npm start`), so
   * that both cores work and recording never delays an answer; all on this thread otherwise
   * (tests: quicker to start, and they can intercept the workers' calls).
   */
  threads?: boolean;
  /** Told of every routed request and its answer (the local inspector listens here). */
  onExchange?: (exchange: Exchange) => void;
  /**
   * The functions' settings, named as the deployed functions' environment variables
   * (`AIRTIME_*`, `SMS_REPLY_*`, `AT_USERNAME`, …): `npm start` passes its environment. The
   * endpoints, queue URLs and table come from the local services.
   */
  settings?: Env;
  /**
   * With `threads`: load the code in functions/ again when a file there changes, and tell
   * `onReload` how it went (local/reload.ts).
   */
  onReload?: ((outcome: ReloadOutcome) => void) | undefined;
  /** With `threads`: each line the handlers and workers write, instead of the console. */
  onOutput?: ((line: string, stream: "stdout" | "stderr") => void) | undefined;
  /** Told of every message a queue worker fails on, with its error (the inspector shows it). */
  onWorkerFailure?: (failure: WorkerFailure) => void;
  /** Without `threads`: counts what the functions spend (local/meter.ts; the bench's cost). */
  meter?: Meter;
}

/** Messages still on the queues: callbacks not yet recorded, replies not yet sent. */
export interface QueueBacklog {
  events: number;
  replies: number;
  deadLetters: number;
}

/** One callback request as the local server received it, and what it answered. */
export interface Exchange {
  /** API Gateway's request id, as the handler saw it. */
  requestId: string;
  /** requestContext.timeEpoch: the handlers' `receivedAt`. */
  receivedAt: number;
  route: string;
  method: string;
  path: string;
  /** Query string without the leading `?` (it holds the callback key). */
  query: string;
  headers: Record<string, string>;
  body: Buffer;
  statusCode: number;
  answerHeaders: Record<string, string>;
  answer: string;
  durationMs: number;
}

export interface LocalStack {
  url: string;
  services: LocalServices;
  /**
   * Linux thread ids by what runs there (`http`: the server, the handlers; the services'
   * threads; `workers`), where there is /proc: the bench accounts CPU time per thread by them.
   */
  threads: Record<string, number>;
  /** The clients the route handlers use (tests slow them down or watch them). */
  clients: ReturnType<typeof localClients>;
  /** What the queues hold right now (waiting, in flight or delayed). */
  backlog(): Promise<QueueBacklog>;
  /**
   * Stops accepting callbacks (every new request gets 503, so AT retries later), lets the
   * requests already accepted finish, and waits until the workers have emptied the queues or
   * `timeoutMs` has passed. Returns what is left.
   */
  drain(timeoutMs: number): Promise<QueueBacklog>;
  stop(): Promise<void>;
}

/**
 * The whole pipeline in one process: every route of the route table served over HTTP by its
 * real handler, the real AWS SDK clients talking to embedded SQS and DynamoDB, and the
 * workers fed by pollers that behave like Lambda's event source mapping.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const started = await startServices({ ...options, onThread: options.threads });
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const settings = options.settings ?? {};

  // Every handler built by its function's factory, once, as a Lambda container builds its own:
  // on threads that load functions/ again on each change (`threads`), or on this one.
  const meter = options.threads ? undefined : options.meter;
  const clients = localClients(started, meter);
  // The forwarding endpoints' queues, subscribed to the topic before any event is published.
  const forwardQueues = await createForwardQueues(
    started,
    clients,
    localForwardEndpoints(settings),
  );
  const services: LocalServices = { ...started, forwardQueues };
  // Worker failures, for the inspector: the threads observe their own workers and post them
  // here; in process, the workers' batch processor is observed on this thread.
  const unobserve =
    options.onWorkerFailure && !options.threads
      ? onWorkerFailure(options.onWorkerFailure)
      : undefined;
  const { stop: _stop, threads: _threads, ...endpoints } = services;
  const layer = options.threads
    ? await startHandlerLayer({
        endpoints,
        callbackKey: options.callbackKey,
        settings,
        onError,
        onOutput: options.onOutput,
        onWorkerFailure: options.onWorkerFailure,
        ...(options.onReload
          ? {
              watch: {
                dir: fileURLToPath(new URL("../functions", import.meta.url)),
                onReload: options.onReload,
              },
            }
          : {}),
      })
    : await inProcess(services, options.callbackKey, settings, clients, onError, meter);

  const sqs = new SQSClient({
    region: LOCAL_REGION,
    endpoint: services.sqsEndpoint,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const http = linuxThreadId();
  const threads = () => ({
    ...(http === undefined ? {} : { http }),
    ...services.threads,
    ...layer.threads(),
  });

  let accepting = true;
  let inFlight = 0;
  let settled: (() => void) | undefined;
  const server: Server = createServer(async (req, res) => {
    if (!accepting) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "60" });
      res.end("stopping: not accepting callbacks, try again later");
      return;
    }
    inFlight++;
    try {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      const target = findRoute(`${req.method} ${path}`);
      if (!target) {
        const known = ROUTES.some((r) => r.path === path);
        res.writeHead(known ? 405 : 404, { "content-type": "text/plain; charset=utf-8" });
        res.end(known ? "method not allowed: AT callbacks are POST" : `no route ${path}`);
        return;
      }
      const body = await readBody(req);
      const event = toHttpApiEvent(req, body, `${req.method} ${path}`);
      const result = await layer.invoke(routeKey(target), event);
      writeResult(res, result);
      if (options.onExchange) report(options.onExchange, event, body, result, target.name);
    } catch (error) {
      if (error instanceof PayloadTooLarge) {
        res.writeHead(413, { "content-type": "text/plain; charset=utf-8" });
        res.end(error.message);
        return;
      }
      onError(error);
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("internal error");
    } finally {
      inFlight--;
      if (inFlight === 0) settled?.();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", resolve);
  }).catch(async (error: unknown) => {
    // A port in use: nothing started is left running.
    await layer.stop();
    unobserve?.();
    sqs.destroy();
    await services.stop();
    throw error;
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const depth = (queueUrl: string) => queueDepth(sqs, queueUrl);
  const backlog = async (): Promise<QueueBacklog> => {
    const [events, replies, eventsDlq, repliesDlq] = await Promise.all(
      [
        services.eventsQueueUrl,
        services.repliesQueueUrl,
        services.eventsDlqUrl,
        services.repliesDlqUrl,
      ].map(depth),
    );
    return {
      events: events ?? 0,
      replies: replies ?? 0,
      deadLetters: (eventsDlq ?? 0) + (repliesDlq ?? 0),
    };
  };

  return {
    url,
    services,
    clients,
    get threads() {
      return threads();
    },
    backlog,
    async drain(timeoutMs) {
      accepting = false;
      const deadline = Date.now() + timeoutMs;
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            settled = resolve;
          }),
          new Promise((resolve) => setTimeout(resolve, timeoutMs)),
        ]);
      }
      for (;;) {
        const left = await backlog();
        if ((left.events === 0 && left.replies === 0) || Date.now() >= deadline) return left;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await layer.stop();
      unobserve?.();
      sqs.destroy();
      destroyClients(clients);
      await services.stop();
    },
  };
}

/** The handlers and workers on this thread, built once (tests: they can intercept calls). */
async function inProcess(
  services: LocalServices,
  callbackKey: string,
  settings: Env,
  clients: ReturnType<typeof localClients>,
  onError: (error: unknown) => void,
  meter: Meter | undefined,
): Promise<HandlerLayer> {
  const byName = routeHandlers(services, callbackKey, settings, clients);
  const workers = await startWorkers(services, settings, onError, meter);
  return {
    async invoke(key, event) {
      const route = findRoute(key);
      const built = route && byName.get(route.name as RouteName);
      if (!route || !built) throw new Error(`no handler for ${key}`);
      const handler = meter ? meter.timed(route.name, built) : built;
      return handler(event, lambdaContext(route.name, ROUTE_FUNCTION.timeoutSeconds * 1000));
    },
    threads: () => ({}),
    stop: () => workers.stop(),
  };
}

function report(
  listener: (exchange: Exchange) => void,
  event: APIGatewayProxyEventV2,
  body: Buffer,
  result: APIGatewayProxyStructuredResultV2,
  route: string,
) {
  const answer = result.body ?? "";
  try {
    listener({
      requestId: event.requestContext.requestId,
      receivedAt: event.requestContext.timeEpoch,
      route,
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: event.rawQueryString,
      headers: event.headers as Record<string, string>,
      body,
      statusCode: result.statusCode ?? 200,
      answerHeaders: Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      ),
      answer: result.isBase64Encoded ? Buffer.from(answer, "base64").toString("utf8") : answer,
      durationMs: Date.now() - event.requestContext.timeEpoch,
    });
  } catch {
    // An observer must never change what AT is answered.
  }
}
