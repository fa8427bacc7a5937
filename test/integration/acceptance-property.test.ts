import { type AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { convertToAttr, unmarshall } from "@aws-sdk/util-dynamodb";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../functions/model/envelope";
import type { RouteName } from "../../functions/routes";
import { MARSHALL_OPTIONS } from "../../functions/shared/dynamodb";
import { recordPartition } from "../../functions/table/keys";
import { toRecordItem } from "../../functions/table/records";
import { lambdaContext } from "../../local/apigw";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { localClients, routeHandlers, workerHandlers } from "../../local/functions";
import { sqsEventOf } from "../../local/poller";
import { type LocalServices, startServices } from "../../local/services";
import {
  CALLBACK_ROUTES,
  type CallbackRoute,
  type EncodedRequest,
  encodeRequest,
  generatedRequest,
  sentFields,
} from "../support/hostile-bodies";
import { TEST_KEY, testServiceOptions } from "../support/local";

/**
 * The acceptance property over all 11 routes, thousands of generated requests, driven
 * in-process: each route's real handler (as Lambda would call it) and the real recorder, with
 * the real SDK clients on the embedded SQS and DynamoDB. HTTP itself is covered by
 * acceptance-http.test.ts. Reproduce a failure with PROPERTY_SEED (and fast-check's path).
 */
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_130);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyStructuredResultV2>;
type Worker = (
  event: SQSEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<SQSBatchResponse>;

let services: LocalServices;
let sqs: SQSClient;
let documents: DynamoDBDocumentClient;
const handlers = new Map<string, HttpHandler>();
let recorder: Worker;
let clients: ReturnType<typeof localClients> | undefined;

beforeAll(async () => {
  services = await startServices({ ...testServiceOptions(), visibilityTimeoutSeconds: 60 });
  // Every handler built by its factory, with clients on the local services.
  clients = localClients(services);
  const byName = routeHandlers(services, TEST_KEY, {}, clients);
  for (const route of CALLBACK_ROUTES) {
    const handler = byName.get(route.name as RouteName);
    if (handler) handlers.set(route.name, handler as unknown as HttpHandler);
  }
  recorder = workerHandlers(services, {}, clients).recorder;
  const local = { endpoint: "", region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  sqs = new SQSClient({ ...local, endpoint: services.sqsEndpoint, useQueueUrlAsEndpoint: false });
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...local, endpoint: services.dynamodbEndpoint }),
  );
});
afterAll(async () => {
  clients?.sqs.destroy();
  clients?.documents.destroy();
  sqs?.destroy();
  documents?.destroy();
  await services?.stop();
});

function eventFor(route: CallbackRoute, request: EncodedRequest): APIGatewayProxyEventV2 {
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: `POST ${route.path}`,
    rawPath: route.path,
    rawQueryString: `key=${TEST_KEY}`,
    headers: {
      host: "127.0.0.1",
      ...(request.contentType ? { "content-type": request.contentType } : {}),
    },
    queryStringParameters: { key: TEST_KEY },
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "127.0.0.1",
      domainPrefix: "local",
      http: {
        method: "POST",
        path: route.path,
        protocol: "HTTP/1.1",
        sourceIp: "196.201.214.200",
        userAgent: "property-test",
      },
      requestId: `req-${now}`,
      routeKey: `POST ${route.path}`,
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: request.body,
    isBase64Encoded: request.isBase64Encoded,
  };
}

/** Receives `count` messages from the events queue (fewer only if the queue runs dry). */
async function receive(count: number): Promise<Message[]> {
  const messages: Message[] = [];
  for (let empty = 0; messages.length < count && empty < 3; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: services.eventsQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    messages.push(...Messages);
    empty = Messages.length === 0 ? empty + 1 : 0;
  }
  return messages;
}

async function drainLeftovers() {
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: services.eventsQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: services.eventsQueueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

const sqsEvent = (messages: Message[]): SQSEvent => sqsEventOf(messages, services.eventsQueueArn);

const stats = { requests: 0, accepted: 0, refused: 0, storedInTable: 0, withNulls: 0 };
let sequence = 0;
let batches = 0;
/** A failed run (while fast-check shrinks) leaves messages behind for the next one to clear. */
let dirty = false;

/** Every accepted callback goes through the marshaller; one batch in STORE_EVERY through the table. */
const STORE_EVERY = 12;

async function storeAndReadBack(messages: Message[], envelopes: Envelope[]) {
  const result = await recorder(sqsEvent(messages), lambdaContext("recorder", 30_000));
  expect(result.batchItemFailures).toEqual([]);
  await Promise.all(
    envelopes.map(async (envelope) => {
      const { Items = [] } = await documents.send(
        new QueryCommand({
          TableName: services.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": recordPartition(envelope.id) },
          ConsistentRead: true,
        }),
      );
      expect(Items).toHaveLength(1);
      expect(Items[0]?.type).toBe(envelope.type);
      expect(Items[0]?.payload).toEqual(JSON.parse(JSON.stringify(envelope.payload)));
    }),
  );
  stats.storedInTable += envelopes.length;
}

describe("acceptance property: every 2xx is exactly one record of what was sent", () => {
  it(`holds for ${RUNS} generated batches of requests over all ${CALLBACK_ROUTES.length} routes (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(generatedRequest, { minLength: 4, maxLength: 10 }),
        async (batch) => {
          if (dirty) await drainLeftovers();
          dirty = true;
          const sent = batch.map((request) => ({
            request,
            encoded: encodeRequest(request, `P${++sequence}x`),
          }));
          const answers = await Promise.all(
            sent.map(({ request, encoded }) =>
              (handlers.get(request.route.name) as HttpHandler)(
                eventFor(request.route, encoded),
                lambdaContext(request.route.name, 30_000),
              ),
            ),
          );
          const statuses = answers.map((a) => a.statusCode ?? 200);
          for (const [i, status] of statuses.entries()) {
            const ok = (status >= 200 && status < 300) || (status >= 400 && status < 500);
            expect(ok, `${status} ${answers[i]?.body}`).toBe(true);
            // A well-formed JSON callback with null fields is never refused.
            if (sent[i]?.request.mustAccept) {
              expect(status, `${sent[i]?.encoded.body} → ${answers[i]?.body}`).toBeLessThan(300);
            }
          }
          const accepted = sent.filter((_, i) => (statuses[i] as number) < 300);
          const messages = await receive(accepted.length);
          const envelopes = messages.map((m) => JSON.parse(m.Body ?? "") as Envelope);
          // Exactly one queued envelope per accepted request, none for a refused one.
          expect(envelopes).toHaveLength(accepted.length);
          for (const { request, encoded } of accepted) {
            const mine = envelopes.filter((e) =>
              encoded.unique ? JSON.stringify(e.payload).includes(`"${encoded.unique}"`) : true,
            );
            expect(mine.length, `${request.route.name}: ${encoded.body}`).toBe(1);
            expect(mine[0]?.type).toBe(request.route.recordType);
            expect(mine[0]?.payload).toEqual(sentFields(encoded, request.encoding));
          }
          // The record the recorder would write, through the SDK's own marshalling.
          for (const envelope of envelopes) {
            const item = toRecordItem(envelope, { now: new Date(), ttlDays: undefined });
            const { M } = convertToAttr(item, MARSHALL_OPTIONS) as {
              M: Record<string, AttributeValue>;
            };
            const readBack = unmarshall(M);
            expect(readBack.payload).toEqual(JSON.parse(JSON.stringify(envelope.payload)));
          }
          if (messages.length > 0 && ++batches % STORE_EVERY === 0) {
            await storeAndReadBack(messages, envelopes);
          }
          if (messages.length > 0) {
            await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: services.eventsQueueUrl,
                Entries: messages.map((m, i) => ({
                  Id: String(i),
                  ReceiptHandle: m.ReceiptHandle,
                })),
              }),
            );
          }
          dirty = false;
          stats.requests += sent.length;
          stats.accepted += accepted.length;
          stats.refused += sent.length - accepted.length;
          stats.withNulls += sent.filter(({ request }) => request.mustAccept).length;
        },
      ),
      { seed: SEED, numRuns: RUNS, endOnFailure: process.env.PROPERTY_NO_SHRINK === "1" },
    );
    // A generator that only produced refusals (or only acceptances) would prove little.
    expect(stats.requests).toBeGreaterThan(RUNS * 4);
    expect(stats.accepted / stats.requests).toBeGreaterThan(0.2);
    expect(stats.refused / stats.requests).toBeGreaterThan(0.2);
    expect(stats.storedInTable).toBeGreaterThan(50);
    expect(stats.withNulls).toBeGreaterThan(RUNS / 2);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: services.eventsQueueUrl, WaitTimeSeconds: 0 }),
    );
    expect(Messages).toEqual([]);
    console.info(`acceptance property: ${JSON.stringify(stats)}`);
  }, 240_000);
});
