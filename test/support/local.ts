import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Env } from "../../functions/config/env";
import { ROUTES } from "../../functions/routes";
import { EVENTS_QUEUE } from "../../functions/settings";
import { MARSHALL_OPTIONS } from "../../functions/shared/dynamodb";
import { queryRecords, type RecordFilter } from "../../functions/table/record-store";
import type { RecordItem } from "../../functions/table/records";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { localClients, workerHandlers } from "../../local/functions";
import type { WorkerFailure } from "../../local/inspector/worker-failures";
import { queueDepth } from "../../local/queue-depth";
import type { ServiceEndpoints, ServiceOptions } from "../../local/services";
import { type Exchange, type LocalStack, startLocalStack } from "../../local/stack";
import type { Fixture } from "./fixtures";

export function routePath(name: string): string {
  const route = ROUTES.find((r) => r.name === name);
  if (!route) throw new Error(`no route named ${name}`);
  return route.path;
}

/** A document client on the local DynamoDB, marshalling as the functions do. */
export function localDocuments(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    { marshallOptions: MARSHALL_OPTIONS },
  );
}

export const TEST_KEY = "test-key-0123456789abcdef";

/**
 * `TEST_DYNAMODB_ENDPOINT=http://…` runs the integration tests against that DynamoDB (AWS's
 * DynamoDB Local in `npm run test:aws-local`) instead of the embedded one: each stack gets its
 * own table there, dropped when it stops.
 */
export function testServiceOptions(): ServiceOptions {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) return {};
  return {
    dynamodbEndpoint: endpoint,
    tableName: `records-${randomUUID()}`,
    dropTableOnStop: true,
  };
}

export interface TestStack {
  stack: LocalStack;
  errors: unknown[];
  post(
    path: string,
    body: string,
    options?: { contentType?: string; key?: string | null },
  ): Promise<Response>;
  postFixture(fixture: Fixture, options?: { key?: string | null }): Promise<Response>;
  records(filter?: Partial<RecordFilter>): Promise<RecordItem[]>;
  /** Polls the table until `predicate` holds (the worker runs asynchronously, as on AWS). */
  waitForRecords(
    filter: Partial<RecordFilter>,
    predicate: (records: RecordItem[]) => boolean,
    timeoutMs?: number,
  ): Promise<RecordItem[]>;
  /** Messages on the queue: visible, in flight (being worked on) and delayed. */
  queueDepth(queueUrl: string): Promise<number>;
  /**
   * Waits until the queues hold nothing, visible, in flight or delayed. With "events": every
   * accepted callback has been recorded (and its effects applied). With "all" (the default),
   * every reply job has been worked through too; a duplicate job that found its reply being
   * sent waits out the sender's lease (the worker timeout), so "all" is for tests without
   * concurrent duplicates.
   */
  waitUntilIdle(queues?: "events" | "all", timeoutMs?: number): Promise<void>;
  receiveAll(queueUrl: string): Promise<string[]>;
  sqs: SQSClient;
  documents: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

export async function startTestStack(
  options: {
    /**
     * The deployed visibility timeout (functions/settings.ts) unless set: a test that wants to
     * see a failed message come back asks for a short one. With a short one, a worker slowed
     * down by a busy machine gets its messages redelivered while it still works on them.
     */
    visibilityTimeoutSeconds?: number;
    callbackKey?: string;
    onExchange?: (exchange: Exchange) => void;
    /** The functions' settings (`AIRTIME_*`, `SMS_REPLY_*`, …), as a deployed stage's environment. */
    settings?: Env;
    onWorkerFailure?: (failure: WorkerFailure) => void;
  } = {},
): Promise<TestStack> {
  const errors: unknown[] = [];
  const visibilitySeconds =
    options.visibilityTimeoutSeconds ?? EVENTS_QUEUE.visibilityTimeoutSeconds;
  const stack = await startLocalStack({
    ...testServiceOptions(),
    port: 0,
    callbackKey: options.callbackKey ?? TEST_KEY,
    ...(options.visibilityTimeoutSeconds === undefined
      ? {}
      : { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }),
    onError: (e) => errors.push(e),
    ...(options.onExchange ? { onExchange: options.onExchange } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.onWorkerFailure ? { onWorkerFailure: options.onWorkerFailure } : {}),
  });
  const documents = localDocuments(stack.services.dynamodbEndpoint);
  const sqs = new SQSClient({
    endpoint: stack.services.sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const post: TestStack["post"] = (path, body, opts = {}) => {
    const key = opts.key === undefined ? TEST_KEY : opts.key;
    const url = `${stack.url}${path}${key === null ? "" : `?key=${encodeURIComponent(key)}`}`;
    return fetch(url, {
      method: "POST",
      headers: { "content-type": opts.contentType ?? "application/x-www-form-urlencoded" },
      body,
    });
  };
  // Nothing in a fresh test stack is older than this; it keeps "all records" to a few queries.
  const startedAt = new Date(Date.now() - 60_000).toISOString();
  const records: TestStack["records"] = (filter = {}) =>
    queryRecords(documents, stack.services.tableName, { limit: 1000, since: startedAt, ...filter });
  const depthOf: TestStack["queueDepth"] = (queueUrl) => queueDepth(sqs, queueUrl);
  return {
    stack,
    errors,
    post,
    postFixture: (fixture, opts = {}) =>
      post(routePath(fixture.route), fixture.body, {
        contentType: fixture.contentType,
        ...opts,
      }),
    records,
    async waitForRecords(filter, predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = await records(filter);
        if (predicate(found)) return found;
        if (Date.now() > deadline) {
          throw new Error(
            `records never matched; last saw ${found.length}: ${found.map((r) => `${r.type}:${r.id}`).join(", ")}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    queueDepth: depthOf,
    // Long enough for a message that failed (a call timed out on a busy machine) to come back
    // after the visibility timeout and be worked through: waiting, not racing, the pipeline.
    async waitUntilIdle(queues = "all", timeoutMs = (visibilitySeconds + 60) * 1000) {
      const { eventsQueueUrl, repliesQueueUrl } = stack.services;
      const urls = queues === "all" ? [eventsQueueUrl, repliesQueueUrl] : [eventsQueueUrl];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const depths = await Promise.all(urls.map(depthOf));
        if (depths.every((d) => d === 0)) return;
        if (Date.now() > deadline) {
          throw new Error(`queues never drained: ${depths.join(", ")} message(s) left`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async receiveAll(queueUrl) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      return Messages.map((m) => m.Body ?? "");
    },
    sqs,
    documents,
    async stop() {
      sqs.destroy();
      documents.destroy();
      await stack.stop();
    },
  };
}

/**
 * The workers built by their factories on a local stack's services, to invoke directly with
 * an SQS event (clients of their own, destroyed by `stop`).
 */
export function localWorkers(services: ServiceEndpoints, settings: Env = {}) {
  const clients = localClients(services);
  return {
    ...workerHandlers(services, settings, clients),
    stop() {
      clients.sqs.destroy();
      clients.sns.destroy();
      clients.documents.destroy();
    },
  };
}
