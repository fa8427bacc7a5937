import { createServer, type Server, type Socket } from "node:net";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fixedCallbackKeys, loadCallbackConfig } from "../../functions/config/callback";
import { createRecorderHandler } from "../../functions/handlers/recorder";
import type { Envelope } from "../../functions/model/envelope";
import { createDocumentClient } from "../../functions/shared/dynamodb";
import { createSnsClient } from "../../functions/shared/sns";
import { createSqsClient, sqsQueue } from "../../functions/shared/sqs";
import { lambdaContext } from "../../local/apigw";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";

/**
 * A service that accepts connections and never answers: the failure no emulator shows and a
 * real network produces (a stuck load balancer, a half-open connection).
 */
let blackHole: Server;
let blackHoleUrl: string;
const sockets = new Set<Socket>();
beforeAll(async () => {
  blackHole = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
  const address = blackHole.address();
  blackHoleUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => blackHole.close(() => resolve()));
});

/** Clients as the local stack builds them: any region, credentials never checked. */
const LOCAL = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
beforeEach(() => {
  vi.resetModules();
  // The Secrets Manager client (built inside the key lookup) finds its region and credentials
  // the SDK's way.
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  });
});

/** How long `work` took to settle, or `limitMs` if it had not settled by then. */
async function settleTime(work: Promise<unknown>, limitMs: number): Promise<number> {
  const started = Date.now();
  const timer = new Promise((resolve) => setTimeout(resolve, limitMs));
  await Promise.race([work.catch(() => undefined), timer]);
  return Date.now() - started;
}

const ussdEvent = () => ({
  version: "2.0",
  routeKey: "POST /api/ussd/session",
  rawPath: "/api/ussd/session",
  rawQueryString: "key=budget-key",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  queryStringParameters: { key: "budget-key" },
  requestContext: { timeEpoch: Date.now() },
  body: "sessionId=ATUid_budget&serviceCode=%2A384%23&phoneNumber=%2B254711000111&text=",
  isBase64Encoded: false,
});
type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;

describe("every call to another service is bounded", () => {
  it("gives up on a DynamoDB that never answers within seconds, not never", async () => {
    const documentClient = createDocumentClient({ ...LOCAL, endpoint: blackHoleUrl });
    const call = documentClient.send(
      new GetCommand({ TableName: "records", Key: { pk: "ID#x", sk: "x" } }),
    );
    expect(await settleTime(call, 9_000)).toBeLessThan(8_000);
    await expect(call).rejects.toThrow();
  }, 90_000);

  it("ends a recorder invocation before Lambda would, reporting the message it could not write", async () => {
    const handler = createRecorderHandler({
      config: {
        tableName: "records",
        recordTtlDays: undefined,
        repliesQueueUrl: "http://sqs.us-east-1.localhost/000000000000/replies",
        deadLetterQueueUrl: "http://sqs.us-east-1.localhost/000000000000/events-dlq",
        eventsTopicArn: "arn:aws:sns:us-east-1:000000000000:events",
        stage: "local",
      },
      clients: {
        sqs: createSqsClient({ ...LOCAL, endpoint: blackHoleUrl }),
        sns: createSnsClient({ ...LOCAL, endpoint: blackHoleUrl }),
        documents: createDocumentClient({ ...LOCAL, endpoint: blackHoleUrl }),
      },
    });
    const envelope = {
      v: 1,
      type: "sms.delivery",
      id: "ATXid_stuck1",
      identity: "ATXid_stuck1#Success#",
      receivedAt: new Date().toISOString(),
      route: "sms-delivery-reports",
      payload: { id: "ATXid_stuck1", status: "Success" },
    };
    const record = {
      messageId: "stuck-1",
      receiptHandle: "stuck-1",
      body: JSON.stringify(envelope),
      attributes: { ApproximateReceiveCount: "1" },
    };
    // An invocation with 1.5 s left: the table never answers, the worker must still report.
    const result = handler({ Records: [record] } as never, lambdaContext("recorder", 1_500));
    expect(await settleTime(result, 9_000)).toBeLessThan(2_500);
    await expect(result).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: "stuck-1" }] });
  }, 90_000);

  it("answers USSD within its budget when Secrets Manager never answers: 503, in AT's format", async () => {
    // The SDK's own endpoint setting for the Secrets Manager client the key lookup uses.
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = blackHoleUrl;
    const { createUssdSessionHandler } = await import("../../functions/handlers/ussd-session");
    const handler = createUssdSessionHandler({
      config: loadCallbackConfig({
        EVENTS_QUEUE_URL: "http://sqs.us-east-1.localhost/000000000000/events",
        CALLBACK_KEY_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:keys",
      }),
      clients: { sqs: createSqsClient({ ...LOCAL, endpoint: blackHoleUrl }) },
    }) as unknown as Handler;
    const answer = handler(ussdEvent(), lambdaContext("ussd-session", 10_000));
    expect(await settleTime(answer, 9_000)).toBeLessThan(7_000);
    await expect(answer).resolves.toMatchObject({
      statusCode: 503,
      body: "END temporarily unavailable, please retry",
    });
  }, 90_000);

  it("shares one deadline between a slow menu and a queue that never answers", async () => {
    const { callbackHandler } = await import("../../functions/ingest/pipeline");
    const { interactive } = await import("../../functions/ingest/interactive");
    const { text } = await import("../../functions/ingest/http");
    const config = {
      eventsQueueUrl: "http://sqs.us-east-1.localhost/000000000000/events",
      callbackKeys: fixedCallbackKeys("budget-key"),
    };
    const queue = sqsQueue<Envelope>(
      config.eventsQueueUrl,
      createSqsClient({ ...LOCAL, endpoint: blackHoleUrl }),
    );
    // A slow menu (4 s), then the event goes to a queue that never answers.
    const slowMenu = interactive(queue, "ussd.session", async () => {
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      return { answer: text(200, "END Sorry, please try again."), recorded: "", note: "deadline" };
    });
    const handler = callbackHandler(slowMenu, config) as unknown as Handler;
    const answer = handler(ussdEvent(), lambdaContext("ussd-session", 10_000));
    expect(await settleTime(answer, 9_000)).toBeLessThan(7_000);
    await expect(answer).resolves.toMatchObject({ statusCode: 200 });
    const { REQUEST_BUDGET_MS } = await import("../../functions/settings");
    expect(REQUEST_BUDGET_MS.ussd).toBeLessThan(10_000);
  }, 90_000);
});
