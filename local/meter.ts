/**
 * What the local stack's functions spend, counted where AWS bills it: DynamoDB capacity as the
 * table reports it (`ReturnConsumedCapacity: INDEXES` on every call, so DynamoDB Local answers
 * with real per-index units), SQS requests by operation, SNS publish requests (the events out),
 * Lambda invocations and their duration.
 * The bench's cost section and the capacity test read it; `npm start` does not meter.
 */
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface MeterReading {
  /** Write and read capacity units, in all and per table or index name. */
  wru: number;
  rru: number;
  wruBy: Record<string, number>;
  /** Whether any call reported capacity (dynalite may not). */
  capacityReported: boolean;
  /** SQS requests by operation (`SendMessage`…), the functions' and the event source's. */
  sqs: Record<string, number>;
  /** SNS publish requests as billed: each 64 KB chunk of a request's messages is one. */
  snsRequests: number;
  /** Lambda invocations and their summed wall time, by function (route or worker name). */
  invocations: Record<string, number>;
  durationMs: Record<string, number>;
}

export interface Meter {
  read(): MeterReading;
  /** The difference between now and an earlier reading. */
  since(earlier: MeterReading): MeterReading;
  meterDocuments(client: DynamoDBDocumentClient): void;
  meterSqs(client: SQSClient): void;
  meterSns(client: SNSClient): void;
  /** Counts one invocation of `name` and its wall time. */
  timed<A extends unknown[], R>(
    name: string,
    fn: (...args: A) => Promise<R>,
  ): (...args: A) => Promise<R>;
}

const CAPACITY_COMMANDS =
  /^(PutItem|UpdateItem|DeleteItem|GetItem|Query|Scan|BatchGetItem|BatchWriteItem|TransactWriteItems|TransactGetItems)Command$/;
const WRITES = /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)Command$/;

interface Capacity {
  TableName?: string;
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

const add = (into: Record<string, number>, key: string, n: number) => {
  into[key] = (into[key] ?? 0) + n;
};

const empty = (): MeterReading => ({
  wru: 0,
  rru: 0,
  wruBy: {},
  capacityReported: false,
  sqs: {},
  snsRequests: 0,
  invocations: {},
  durationMs: {},
});

const copy = (r: MeterReading): MeterReading => ({
  ...r,
  wruBy: { ...r.wruBy },
  sqs: { ...r.sqs },
  invocations: { ...r.invocations },
  durationMs: { ...r.durationMs },
});

const minus = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(a)
      .map(([k, v]) => [k, v - (b[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );

export function createMeter(): Meter {
  const total = empty();
  return {
    read: () => copy(total),
    since(earlier) {
      return {
        wru: total.wru - earlier.wru,
        rru: total.rru - earlier.rru,
        wruBy: minus(total.wruBy, earlier.wruBy),
        capacityReported: total.capacityReported,
        sqs: minus(total.sqs, earlier.sqs),
        snsRequests: total.snsRequests - earlier.snsRequests,
        invocations: minus(total.invocations, earlier.invocations),
        durationMs: minus(total.durationMs, earlier.durationMs),
      };
    },
    meterDocuments(client) {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const command = context.commandName ?? "";
          if (!CAPACITY_COMMANDS.test(command)) return next(args);
          (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = "INDEXES";
          const result = await next(args);
          const reported = (result.output as { ConsumedCapacity?: Capacity | Capacity[] })
            .ConsumedCapacity;
          for (const capacity of [reported ?? []].flat()) {
            total.capacityReported = true;
            const units = capacity.CapacityUnits ?? 0;
            if (!WRITES.test(command)) {
              total.rru += units;
              continue;
            }
            total.wru += units;
            add(total.wruBy, "table", capacity.Table?.CapacityUnits ?? units);
            for (const [name, index] of Object.entries(capacity.GlobalSecondaryIndexes ?? {})) {
              add(total.wruBy, name, index.CapacityUnits ?? 0);
            }
          }
          return result;
        },
        { step: "initialize", name: "meterCapacity" },
      );
    },
    meterSqs(client) {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const operation = (context.commandName ?? "unknown").replace(/Command$/, "");
          const result = await next(args);
          // An idle event source's long polls are a fixed cost, not a per-callback one.
          const messages = (result.output as { Messages?: unknown[] }).Messages;
          const empty = operation === "ReceiveMessage" && (messages ?? []).length === 0;
          add(total.sqs, empty ? "ReceiveMessage (empty)" : operation, 1);
          return result;
        },
        { step: "initialize", name: "meterRequests" },
      );
    },
    meterSns(client) {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as {
            Message?: string;
            PublishBatchRequestEntries?: { Message?: string }[];
          };
          const messages = input.PublishBatchRequestEntries?.map((e) => e.Message) ?? [
            input.Message,
          ];
          const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m ?? ""), 0);
          const result = await next(args);
          if (/^Publish(Batch)?Command$/.test(context.commandName ?? "")) {
            total.snsRequests += Math.max(1, Math.ceil(bytes / (64 * 1024)));
          }
          return result;
        },
        { step: "initialize", name: "meterPublishes" },
      );
    },
    timed(name, fn) {
      return async (...args) => {
        const started = performance.now();
        try {
          return await fn(...args);
        } finally {
          add(total.invocations, name, 1);
          add(total.durationMs, name, performance.now() - started);
        }
      };
    },
  };
}
