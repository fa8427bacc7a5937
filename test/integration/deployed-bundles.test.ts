import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRecords } from "../../functions/table/record-store";
import { esbuildOptions, NODE_OPTIONS } from "../../infra/bundling";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/constants";
import { sqsEventOf } from "../../local/poller";
import { type LocalServices, startServices } from "../../local/services";
import { localDocuments, testServiceOptions } from "../support/local";

/**
 * The bundles the stack deploys, not the sources the local stack runs: built with the stack's
 * esbuild options (the SDK stand-ins in infra/bundle-stubs included), each loaded by a fresh
 * `node` with Lambda's environment and NODE_OPTIONS, against the embedded SQS and DynamoDB (or
 * DynamoDB Local under `npm run test:aws-local`). What a unit test of a stand-in cannot show:
 * that a real send and a real conditional write still work through them.
 */
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE_KEY = "Zm9yLWZpeHR1cmVzLW9ubHk"; // the key in test/fixtures/api-gateway's events
const work = mkdtempSync(join(tmpdir(), "deployed-bundles-"));
let services: LocalServices;

const bundle = async (entry: string) => {
  const out = join(work, entry.replace(/\W/g, "-"));
  mkdirSync(out, { recursive: true });
  await build({
    ...esbuildOptions(`${REPO_ROOT}functions/handlers/${entry}.ts`),
    outfile: join(out, "index.mjs"),
    logLevel: "silent",
  });
  return join(out, "index.mjs");
};

/** Runs `handler(event)` of a built bundle in a fresh node, as Lambda would; its JSON result. */
const invoke = async (file: string, event: unknown): Promise<unknown> =>
  JSON.parse((await run(file, event)).stdout);

/** Runs a bundle's handler in a fresh node with Lambda's environment (plus `env`); its output. */
const run = async (file: string, event: unknown, env: Record<string, string> = {}) => {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)});
    const context = { functionName: "deployed", awsRequestId: "req-1", getRemainingTimeInMillis: () => 30000 };
    const result = await handler(JSON.parse(process.env.EVENT), context);
    process.stdout.write(JSON.stringify(result));`;
  return promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      PATH: process.env.PATH,
      NODE_OPTIONS,
      EVENT: JSON.stringify(event),
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: "role-session-token",
      AWS_LAMBDA_FUNCTION_NAME: "deployed",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_ENDPOINT_URL_SQS: services.sqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: services.dynamodbEndpoint,
      AWS_ENDPOINT_URL_SNS: services.snsEndpoint,
      EVENTS_QUEUE_URL: services.eventsQueueUrl,
      EVENTS_TOPIC_ARN: services.eventsTopicArn,
      REPLIES_QUEUE_URL: services.repliesQueueUrl,
      DEAD_LETTER_QUEUE_URL: services.eventsDlqUrl,
      TABLE_NAME: services.tableName,
      CALLBACK_KEY: FIXTURE_KEY,
      ...env,
    },
  });
};

beforeAll(async () => {
  services = await startServices(testServiceOptions());
});
afterAll(async () => {
  await services?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("the deployed bundles, run as Lambda runs them", () => {
  it("ack queues a captured API Gateway event, and the recorder writes it once", async () => {
    const [ack, recorder] = await Promise.all([bundle("ack"), bundle("recorder")]);
    const event = JSON.parse(
      readFileSync(`${REPO_ROOT}test/fixtures/api-gateway/form-post.json`, "utf8"),
    );
    expect(await invoke(ack, event)).toMatchObject({ statusCode: 200 });

    const sqs = new SQSClient({
      endpoint: services.sqsEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: services.eventsQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    sqs.destroy();
    expect(Messages).toHaveLength(1);
    const batch = sqsEventOf(Messages, services.eventsQueueArn);
    // Twice: an SQS redelivery writes nothing new.
    expect(await invoke(recorder, batch)).toEqual({ batchItemFailures: [] });
    expect(await invoke(recorder, batch)).toEqual({ batchItemFailures: [] });

    const documents = localDocuments(services.dynamodbEndpoint);
    const records = await queryRecords(documents, services.tableName, {
      type: "sms.incoming",
      limit: 10,
    });
    documents.destroy();
    expect(records.map((r) => r.id)).toEqual(["ATXid_9f1a2b3c4d5e"]);
  }, 180_000);

  it("logs an error with its stack mapped back to the TypeScript source", async () => {
    const recorder = await bundle("recorder");
    const poison = sqsEventOf(
      [{ MessageId: "poison-1", ReceiptHandle: "r", Body: "not json", Attributes: {} }],
      services.eventsQueueArn,
    );
    // Lambda's logging configuration sets the level: errors only, so stdout keeps the result.
    const { stdout, stderr } = await run(recorder, poison, { AWS_LAMBDA_LOG_LEVEL: "ERROR" });
    // A poison message goes to the dead-letter queue on first sight: nothing to retry.
    expect(JSON.parse(stdout)).toEqual({ batchItemFailures: [] });
    const line = JSON.parse(stderr.trim().split("\n")[0] ?? "{}");
    expect(line).toMatchObject({
      level: "ERROR",
      message: "record",
      requestId: "req-1",
      sqsMessageId: "poison-1",
      outcome: "dead-lettered",
      error: { name: "PoisonMessageError", message: "message body is not JSON" },
    });
    // Not index.mjs:1:23456 of the minified bundle: the source file and line.
    expect(line.error.stack).toMatch(/functions\/model\/envelope\.ts:\d+:\d+/);
  }, 180_000);
});
