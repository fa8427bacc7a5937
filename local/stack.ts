import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { SQSClient } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { ROUTES, routeKey } from "../functions/routes";
import { lambdaContext, PayloadTooLarge, readBody, toHttpApiEvent, writeResult } from "./apigw";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./constants";
import { onWorkerFailure, type WorkerFailure } from "./inspector/worker-failures";
import { queueDepth } from "./queue-depth";
import {
  type LocalServices,
  type ServiceEndpoints,
  type ServiceOptions,
  startServices,
} from "./services";
import { linuxThreadId } from "./thread-id";
import { startWorkers, type Workers } from "./workers";
import type { WorkersThreadMessage } from "./workers-thread";

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

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
  /** Told of every message a queue worker fails on, with its error (the inspector shows it). */
  onWorkerFailure?: (failure: WorkerFailure) => void;
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

/** The environment the handlers read at import: the local services instead of AWS. */
export const handlerEnvironment = (services: LocalServices, callbackKey: string) => ({
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_ENDPOINT_URL_SQS: services.sqsEndpoint,
  AWS_ENDPOINT_URL_DYNAMODB: services.dynamodbEndpoint,
  EVENTS_QUEUE_URL: services.eventsQueueUrl,
  REPLIES_QUEUE_URL: services.repliesQueueUrl,
  TABLE_NAME: services.tableName,
  CALLBACK_KEY: callbackKey,
});

/**
 * The whole pipeline in one process: every route of the route table served over HTTP by its
 * real handler, the real AWS SDK clients talking to embedded SQS and DynamoDB, and the
 * workers fed by pollers that behave like Lambda's event source mapping.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const services = await startServices({ ...options, onThread: options.threads });
  // The handlers read their configuration and build their clients once, at import, as on Lambda.
  Object.assign(process.env, handlerEnvironment(services, options.callbackKey));
  const onError = options.onError ?? ((error: unknown) => console.error(error));

  const handlers = new Map<string, { name: string; handler: HttpHandler }>();
  for (const route of ROUTES) {
    const module = (await import(`../${route.entry}`)) as { handler: HttpHandler };
    handlers.set(routeKey(route), { name: route.name, handler: module.handler });
  }

  const sqs = new SQSClient({
    region: LOCAL_REGION,
    endpoint: services.sqsEndpoint,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const failures = options.onWorkerFailure ?? (() => undefined);
  const unobserve = options.threads ? undefined : onWorkerFailure(failures);
  const workers: Workers & { tid?: number | undefined } = options.threads
    ? await startWorkersThread(services, onError, failures)
    : await startWorkers(services, onError);
  const http = linuxThreadId();
  const threads = {
    ...(http === undefined ? {} : { http }),
    ...services.threads,
    ...(workers.tid === undefined ? {} : { workers: workers.tid }),
  };

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
      const target = handlers.get(`${req.method} ${path}`);
      if (!target) {
        const known = ROUTES.some((r) => r.path === path);
        res.writeHead(known ? 405 : 404, { "content-type": "text/plain; charset=utf-8" });
        res.end(known ? "method not allowed: AT callbacks are POST" : `no route ${path}`);
        return;
      }
      const body = await readBody(req);
      const event = toHttpApiEvent(req, body, `${req.method} ${path}`);
      const result = await target.handler(event, lambdaContext(target.name, 30_000));
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
  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
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
    threads,
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
      await workers.stop();
      unobserve?.();
      sqs.destroy();
      await services.stop();
    },
  };
}

/** The workers of `startWorkers` on their own thread; the environment is copied to it. */
async function startWorkersThread(
  services: LocalServices,
  onError: (error: unknown) => void,
  onFailure: (failure: WorkerFailure) => void,
): Promise<Workers & { tid: number | undefined }> {
  const { stop: _, threads: __, ...endpoints } = services;
  const thread = new Worker(new URL("./thread.mjs", import.meta.url), {
    workerData: { entry: "./workers-thread.ts", ...endpoints } satisfies ServiceEndpoints & {
      entry: string;
    },
  });
  const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
  const tid = await new Promise<number | undefined>((resolve, reject) => {
    thread.on("message", (message: WorkersThreadMessage) => {
      if (message.type === "ready") resolve(message.tid);
      else if (message.type === "error") onError(new Error(message.message));
      else if (message.type === "failure") onFailure(message.failure);
    });
    thread.once("error", reject);
    exited.then(() => reject(new Error("the local workers thread exited while starting")));
  });
  return {
    tid,
    async stop() {
      thread.postMessage({ type: "stop" });
      await exited;
    },
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
