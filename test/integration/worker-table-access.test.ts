import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeFor } from "../../functions/model/envelope";
import type { ReplyJob } from "../../functions/reply/job";
import { ROUTES, WORKERS } from "../../functions/routes";
import { replyKey } from "../../functions/table/keys";
import { TABLE_ACCESS } from "../../infra/constructs/queue-worker";
import { lambdaContext } from "../../local/apigw";
import { destroyClients, localClients, workerHandlers } from "../../local/functions";
import { sqsEventOf } from "../../local/poller";
import { type LocalServices, startServices } from "../../local/services";
import { allFixtures, INVALID_VARIANT, parsedFields } from "../support/fixtures";
import { testServiceOptions } from "../support/local";

/**
 * Every worker's table grant is exactly what its code calls. The real worker handlers run over
 * every callback AT sends and every reply path, against the embedded DynamoDB; each call their
 * client makes is noted (action and the partition-key prefix of the item it names). The calls
 * must fit the grant (else AccessDenied on AWS), and every (prefix, action) the grant allows
 * must have been called: a grant wider than the code fails here.
 */
type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const caller = new AsyncLocalStorage<string>();
const calls = new Map<string, Map<string, Set<string>>>();
let services: LocalServices;
let recorder: Worker;
let replier: Worker;
let clients: ReturnType<typeof localClients>;

/** The partition key a request names: its Key, its Item, or the value its key condition sets. */
function partitionOf(input: Record<string, unknown>): string {
  const key = (input.Key ?? input.Item) as { pk?: unknown } | undefined;
  if (typeof key?.pk === "string") return key.pk;
  const condition = String(input.KeyConditionExpression ?? "");
  const placeholder = /#pk\s*=\s*(:\w+)/.exec(condition)?.[1];
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const value = placeholder ? values[placeholder] : undefined;
  if (typeof value === "string") return value;
  throw new Error(`cannot tell which items this request names: ${JSON.stringify(input)}`);
}

const prefixOf = (pk: string) => pk.slice(0, pk.indexOf("#") + 1);

beforeAll(async () => {
  services = await startServices(testServiceOptions());
  clients = localClients(services);
  clients.documents.middlewareStack.add(
    (next, context) => async (args) => {
      const worker = caller.getStore();
      if (worker) {
        const action = `dynamodb:${String(context.commandName).replace(/Command$/, "")}`;
        const prefix = prefixOf(partitionOf(args.input as Record<string, unknown>));
        const byPrefix = calls.get(worker) ?? new Map<string, Set<string>>();
        calls.set(worker, byPrefix);
        byPrefix.set(prefix, (byPrefix.get(prefix) ?? new Set()).add(action));
      }
      return next(args);
    },
    { step: "initialize", name: "noteTableCalls", priority: "high" },
  );
  ({ recorder, replier } = workerHandlers(services, {}, clients) as Record<string, Worker> & {
    recorder: Worker;
    replier: Worker;
  });
});
afterAll(async () => {
  if (clients) destroyClients(clients);
  await services?.stop();
});

async function run(worker: "recorder" | "replier", bodies: unknown[]) {
  const queueArn = worker === "recorder" ? services.eventsQueueArn : services.repliesQueueArn;
  const event = sqsEventOf(
    bodies.map((b) => ({
      MessageId: randomUUID(),
      ReceiptHandle: randomUUID(),
      Body: JSON.stringify(b),
      Attributes: { ApproximateReceiveCount: "1" },
    })),
    queueArn,
  );
  const handler = worker === "recorder" ? recorder : replier;
  const result = await caller.run(worker, () => handler(event, lambdaContext(worker, 30_000)));
  expect(result.batchItemFailures, worker).toEqual([]);
}

const job = (inboundId: string, recipient: string): ReplyJob => ({
  v: 1,
  kind: "sms.reply",
  inboundId,
  recipient,
  shortcode: "20880",
  text: "hello",
  receivedAt: new Date().toISOString(),
});

/** What the stack grants a worker, as prefix → actions (infra/constructs/queue-worker.ts). */
function granted(name: string): Record<string, string[]> {
  const access = WORKERS.find((w) => w.name === name)?.grants.table;
  if (!access) return {};
  return Object.fromEntries(
    Object.entries(TABLE_ACCESS[access]).map(([prefix, actions]) => [prefix, [...actions].sort()]),
  );
}
const observed = (name: string) =>
  Object.fromEntries(
    [...(calls.get(name) ?? new Map<string, Set<string>>())].map(([prefix, actions]) => [
      prefix,
      [...actions].sort(),
    ]),
  );

describe("worker table access", () => {
  it("the recorder and the replier call exactly what their grants allow", async () => {
    // Every callback AT sends, twice (AT's retry), as the events queue delivers them.
    const envelopes = allFixtures()
      .filter((f) => !INVALID_VARIANT.test(f.variant))
      .map((f) => {
        const route = ROUTES.find((r) => r.name === f.route);
        if (!route) throw new Error(`no route ${f.route}`);
        return envelopeFor(route.recordType, route.name, parsedFields(f), new Date());
      });
    await run("recorder", envelopes);
    await run("recorder", envelopes);

    // A reply sent (local outbox), its delivery report, and a reply to an opted-out number.
    const inboundId = `ATXid_${randomUUID().slice(0, 12)}`;
    await run("recorder", [
      envelopeFor(
        "sms.incoming",
        "sms-twoway",
        { from: "+254711000401", to: "20880", text: "hello", id: inboundId, date: "2026-12-01" },
        new Date(),
      ),
    ]);
    await run("replier", [job(inboundId, "+254711000401")]);
    await run("replier", [job(inboundId, "+254711000401")]); // a redelivered job
    const { Item } = await clients.documents.send(
      new GetCommand({ TableName: services.tableName, Key: replyKey(inboundId) }),
    );
    const messageId = String(Item?.messageId ?? "");
    expect(messageId).toMatch(/^ATXid_local_/);
    await run("recorder", [
      envelopeFor(
        "sms.delivery",
        "sms-delivery-reports",
        { id: messageId, status: "Success", phoneNumber: "+254711000401" },
        new Date(),
      ),
    ]);
    await run("recorder", [
      envelopeFor(
        "sms.optout",
        "sms-opt-out",
        { senderId: "20880", phoneNumber: "+254711000402" },
        new Date(),
      ),
    ]);
    const optedOut = `ATXid_${randomUUID().slice(0, 12)}`;
    await run("replier", [job(optedOut, "+254711000402")]);

    expect(observed("recorder")).toEqual(granted("recorder"));
    expect(observed("replier")).toEqual(granted("replier"));
  });
});
