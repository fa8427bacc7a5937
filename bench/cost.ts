/**
 * The bench's cost section: the stated mix of callbacks driven over HTTP through the local
 * stack on AWS's DynamoDB Local, with every function's spending metered where AWS bills it
 * (local/meter.ts), priced at list prices (bench/prices.ts), and a burst of delivery reports
 * checked for loss (docs/cost.md).
 */
import { randomUUID } from "node:crypto";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ROUTES } from "../functions/routes";
import { ROUTE_FUNCTION, WORKER_FUNCTION } from "../functions/settings";
import { logger } from "../functions/shared/logger";
import { monthOf, TABLE, typePartition } from "../functions/table/keys";
import { createMeter, type MeterReading } from "../local/meter";
import { type LocalStack, startLocalStack } from "../local/stack";
import { startDynamoDbLocal } from "../scripts/dynamodb-local";
import { GB, PRICES } from "./prices";

const KEY = "bench-key-0123456789";
const GOAL_PER_MILLION = 4.0;
/** The card's floor: HTTP API + ack Lambda + one SQS send + batched recorder + 1 WRU. */
const FLOOR = { plain: 2.4, mix: 2.9 };

type Body = { path: string; body: string; contentType: string };
const form = (route: string, fields: Record<string, string>): Body => ({
  path: pathOf(route),
  body: new URLSearchParams(fields).toString(),
  contentType: "application/x-www-form-urlencoded",
});
const json = (route: string, fields: Record<string, unknown>): Body => ({
  path: pathOf(route),
  body: JSON.stringify(fields),
  contentType: "application/json",
});
function pathOf(name: string): string {
  const route = ROUTES.find((r) => r.name === name);
  if (!route) throw new Error(`no route ${name}`);
  return route.path;
}
const hex = () => randomUUID().replace(/-/g, "");
const phone = (n: number) => `+2547110${String(n % 100_000).padStart(5, "0")}`;

/** One callback of each kind, as AT sends it, with ids of its own. */
const KINDS: Record<string, (n: number) => Body> = {
  "delivery report": (n) =>
    form("sms-delivery-reports", {
      id: `ATXid_${hex()}`,
      status: "Success",
      phoneNumber: phone(n),
      networkCode: "63902",
      retryCount: "0",
    }),
  "incoming SMS + reply": (n) =>
    form("sms-twoway", {
      date: "2026-11-30 10:30:00",
      from: phone(n),
      id: `ATXid_${hex()}`,
      linkId: "SampleLinkId123",
      text: "Hello",
      to: "20880",
    }),
  "USSD hop": (n) =>
    form("ussd-session", {
      phoneNumber: phone(n),
      serviceCode: "*384*44135#",
      text: "",
      sessionId: `ATUid_${hex()}`,
      networkCode: "99999",
    }),
  "USSD end": (n) =>
    form("ussd-status", {
      date: "2026-11-30 10:40:00",
      sessionId: `ATUid_${hex()}`,
      serviceCode: "*384*44135#",
      networkCode: "99999",
      phoneNumber: phone(n),
      status: "Success",
      cost: "KES 0.10",
      durationInMillis: "12345",
      hopsCount: "3",
      input: "1*1",
      lastAppResponse: "END Your account number is ACC1001",
    }),
  "voice event": (n) =>
    form("voice-events", {
      sessionId: `ATVId_${hex()}`,
      eventType: "SessionEnded",
      callerNumber: phone(n),
      destinationNumber: "+254711082000",
      hangupCause: "NORMAL_CLEARING",
      durationInSeconds: "45",
      currencyCode: "KES",
      amount: "1.50",
    }),
  "voice instruct": (n) =>
    form("voice-instruct", {
      isActive: "1",
      sessionId: `ATVId_${hex()}`,
      direction: "Inbound",
      callerNumber: phone(n),
      destinationNumber: "+254711082000",
    }),
  "airtime status": (n) =>
    json("airtime-status", {
      phoneNumber: phone(n),
      description: "Airtime Delivered Successfully",
      status: "Success",
      requestId: `ATQid_${hex()}`,
      discount: "KES 0.6000",
      value: "KES 100.0000",
    }),
  "airtime validation": (n) =>
    json("airtime-validation", {
      transactionId: `ATQid_${hex()}`,
      phoneNumber: phone(n),
      sourceIpAddress: "127.12.32.24",
      currencyCode: "KES",
      amount: 500,
    }),
  "opt-out": (n) => form("sms-opt-out", { senderId: "MyBrand", phoneNumber: phone(n) }),
  subscription: (n) =>
    form("sms-subscription", {
      phoneNumber: phone(n),
      shortCode: "6942",
      keyword: "NEWS",
      updateType: "Addition",
    }),
  "SIM swap status": () =>
    json("sim-swap-status", {
      status: "Swapped",
      lastSimSwapDate: "01-01-1900",
      providerRefId: hex(),
      requestId: `ATSwpid_${hex()}`,
      transactionId: randomUUID(),
    }),
};

/** The stated mix: 50% delivery reports, 15% SMS with reply, 25% USSD hops, 5% ends, 5% rest. */
const REST = [
  "voice event",
  "voice instruct",
  "airtime status",
  "airtime validation",
  "opt-out",
  "subscription",
  "SIM swap status",
];
const MIX: Record<string, number> = {
  "delivery report": 0.5,
  "incoming SMS + reply": 0.15,
  "USSD hop": 0.25,
  "USSD end": 0.05,
  ...Object.fromEntries(REST.map((kind) => [kind, 0.05 / REST.length])),
};

const WORKERS = new Set(["recorder", "replier"]);

/** What one callback of a kind costs, averaged over the run. */
export interface KindCost {
  callbacks: number;
  wru: number;
  rru: number;
  sqsRequests: number;
  invocations: number;
  gbSeconds: number;
  logBytes: number;
  /** US dollars per million callbacks, by component. */
  perMillion: Record<string, number>;
  totalPerMillion: number;
}

/**
 * `reading` is the batched pass (requests, capacity, invocations); `alone` the pass with one
 * callback in flight, whose durations are Lambda's: a deployed invocation has its container to
 * itself, while in the batched pass every handler shares this one process and its wall time
 * counts the others' work too (it read 4–5× higher on 2 busy cores).
 */
function priced(
  reading: MeterReading,
  logBytes: number,
  callbacks: number,
  alone: { reading: MeterReading; callbacks: number },
): KindCost {
  const per = (n: number) => n / callbacks;
  const sqsRequests = Object.entries(reading.sqs)
    .filter(([operation]) => operation !== "ReceiveMessage (empty)")
    .reduce((sum, [, n]) => sum + n, 0);
  const invocations = Object.values(reading.invocations).reduce((a, b) => a + b, 0);
  const gbSeconds =
    (callbacks / alone.callbacks) *
    Object.entries(alone.reading.durationMs).reduce((sum, [name, ms]) => {
      const memory = WORKERS.has(name) ? WORKER_FUNCTION.memorySize : ROUTE_FUNCTION.memorySize;
      return sum + (ms / 1000) * (memory / 1024);
    }, 0);
  const perMillion = {
    "HTTP API": 1e6 * PRICES.httpApiRequest,
    "Lambda requests": 1e6 * per(invocations) * PRICES.lambdaRequest,
    "Lambda duration": 1e6 * per(gbSeconds) * PRICES.lambdaGbSecond,
    SQS: 1e6 * per(sqsRequests) * PRICES.sqsRequest,
    "SNS (events out)": 1e6 * per(reading.snsRequests) * PRICES.snsRequest,
    "DynamoDB writes": 1e6 * per(reading.wru) * PRICES.dynamoWru,
    "DynamoDB reads": 1e6 * per(reading.rru) * PRICES.dynamoRru,
    "CloudWatch Logs": 1e6 * (per(logBytes) / GB) * PRICES.logsGb,
  };
  return {
    callbacks,
    wru: per(reading.wru),
    rru: per(reading.rru),
    sqsRequests: per(sqsRequests),
    invocations: per(invocations),
    gbSeconds: per(gbSeconds),
    logBytes: per(logBytes),
    perMillion,
    totalPerMillion: Object.values(perMillion).reduce((a, b) => a + b, 0),
  };
}

/** Every JSON line the functions write while `work` runs, at the deployed level (INFO). */
async function loggedBytes(work: () => Promise<void>): Promise<number> {
  let bytes = 0;
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      for (const line of text.split("\n")) {
        if (line.startsWith("{")) bytes += Buffer.byteLength(line) + 1;
      }
      if (text.startsWith("{") && !/"level":"(WARN|ERROR)"/.test(text)) return true;
      return (originals[i] as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  logger.setLogLevel("INFO");
  try {
    await work();
  } finally {
    logger.setLogLevel("SILENT");
    streams.forEach((stream, i) => {
      stream.write = originals[i] as typeof stream.write;
    });
  }
  return bytes;
}

async function post(stack: LocalStack, body: Body): Promise<number> {
  const res = await fetch(`${stack.url}${body.path}?key=${KEY}`, {
    method: "POST",
    headers: { "content-type": body.contentType },
    body: body.body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends `count` callbacks `concurrency` at a time; the statuses other than 200 by count. */
async function drive(
  stack: LocalStack,
  make: (n: number) => Body,
  count: number,
  concurrency: number,
): Promise<Record<number, number>> {
  let next = 0;
  const refused: Record<number, number> = {};
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        const status = await post(stack, make(n));
        if (status !== 200) refused[status] = (refused[status] ?? 0) + 1;
      }
    }),
  );
  return refused;
}

/** Waits until the queues hold nothing: every callback recorded, every reply sent. */
async function idle(stack: LocalStack, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await stack.backlog();
    if (left.events === 0 && left.replies === 0) return;
    if (Date.now() > deadline) throw new Error(`queues not idle: ${JSON.stringify(left)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface CostResult {
  perKind: Record<string, KindCost>;
  mixPerMillion: Record<string, number>;
  mixTotalPerMillion: number;
  burst: {
    sent: number;
    refused: Record<number, number>;
    seconds: number;
    recorded: number;
    deadLetters: number;
  };
}

/**
 * Runs the section: `perKind` callbacks of each kind (batched the way a busy stage batches
 * them: `concurrency` in flight), then a burst of `burst` delivery reports.
 */
export async function costSection(options: {
  perKind: number;
  concurrency: number;
  burst: number;
}): Promise<CostResult> {
  process.stderr.write("[bench] cost: starting DynamoDB Local...\n");
  const dynamo = await startDynamoDbLocal();
  const meter = createMeter();
  const errors: unknown[] = [];
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      port: 0,
      callbackKey: KEY,
      dynamodbEndpoint: dynamo.endpoint,
      tableName: `bench-${randomUUID()}`,
      dropTableOnStop: true,
      meter,
      onError: (error) => errors.push(error),
    });
    const local = stack;
    // Warm every handler first, as a deployed stage's containers are: cold starts are not
    // what a million callbacks cost.
    process.stderr.write("[bench] cost: warming every route and worker\n");
    for (const make of Object.values(KINDS)) await drive(local, make, 5, 1);
    await idle(local);
    const perKind: Record<string, KindCost> = {};
    for (const [kind, make] of Object.entries(KINDS)) {
      process.stderr.write(`[bench] cost: ${options.perKind} × ${kind}\n`);
      await idle(local);
      const before = meter.read();
      let refused: Record<number, number> = {};
      const bytes = await loggedBytes(async () => {
        refused = await drive(local, make, options.perKind, options.concurrency);
        await idle(local);
      });
      if (Object.keys(refused).length > 0)
        throw new Error(`${kind} refused: ${JSON.stringify(refused)}`);
      const batched = meter.since(before);
      // The same kind again, one callback at a time, for the durations (see priced).
      const aloneCount = Math.max(10, Math.ceil(options.perKind / 3));
      const beforeAlone = meter.read();
      await drive(local, make, aloneCount, 1);
      await idle(local);
      const alone = { reading: meter.since(beforeAlone), callbacks: aloneCount };
      perKind[kind] = priced(batched, bytes, options.perKind, alone);
    }

    const components = Object.keys(Object.values(perKind)[0]?.perMillion ?? {});
    const mixPerMillion = Object.fromEntries(
      components.map((c) => [
        c,
        Object.entries(MIX).reduce(
          (sum, [kind, share]) => sum + share * (perKind[kind]?.perMillion[c] ?? 0),
          0,
        ),
      ]),
    );
    const mixTotalPerMillion = Object.values(mixPerMillion).reduce((a, b) => a + b, 0);

    process.stderr.write(`[bench] cost: burst of ${options.burst} delivery reports\n`);
    await idle(local);
    const since = new Date().toISOString();
    const started = performance.now();
    const burstRefused = await drive(
      local,
      KINDS["delivery report"] as (n: number) => Body,
      options.burst,
      64,
    );
    const seconds = (performance.now() - started) / 1000;
    await idle(local, 300_000);
    const recorded = await countSince(local, "sms.delivery", since);
    const { deadLetters } = await local.backlog();
    if (errors.length > 0) process.stderr.write(`[bench] cost: ${errors.length} handler errors\n`);
    return {
      perKind,
      mixPerMillion,
      mixTotalPerMillion,
      burst: { sent: options.burst, refused: burstRefused, seconds, recorded, deadLetters },
    };
  } finally {
    await stack?.stop();
    await dynamo.stop();
  }
}

/** Records of one type received since `since`, counted on the index (keys only). */
async function countSince(stack: LocalStack, type: "sms.delivery", since: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stack.clients.documents.send(
      new QueryCommand({
        TableName: stack.services.tableName,
        IndexName: TABLE.byType.indexName,
        KeyConditionExpression: "#pk = :pk AND #sk >= :since",
        ExpressionAttributeNames: { "#pk": TABLE.byType.partitionKey, "#sk": TABLE.byType.sortKey },
        ExpressionAttributeValues: { ":pk": typePartition(type, monthOf(since)), ":since": since },
        Select: "COUNT",
        ExclusiveStartKey: start,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

const usd = (n: number) => `$${n.toFixed(2)}`;

export function printCost(result: CostResult): void {
  const { perKind } = result;
  const out: string[] = [];
  out.push(
    "",
    "## Cost per million callbacks (us-east-1 list prices, measured on DynamoDB Local)",
    "",
  );
  out.push(`Prices: ${PRICES.source}`, "");
  out.push(
    "| kind | share | WRU | RRU | SQS req | invocations | GB-s | log B | $/M |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const [kind, c] of Object.entries(perKind)) {
    out.push(
      `| ${kind} | ${((MIX[kind] ?? 0) * 100).toFixed(1)}% | ${c.wru.toFixed(2)} | ${c.rru.toFixed(2)} | ${c.sqsRequests.toFixed(2)} | ${c.invocations.toFixed(2)} | ${c.gbSeconds.toFixed(4)} | ${c.logBytes.toFixed(0)} | ${usd(c.totalPerMillion)} |`,
    );
  }
  out.push("", "| component | $/M for the mix |", "|---|---:|");
  for (const [component, dollars] of Object.entries(result.mixPerMillion)) {
    out.push(`| ${component} | ${usd(dollars)} |`);
  }
  out.push(`| **total** | **${usd(result.mixTotalPerMillion)}** |`, "");
  const goal = result.mixTotalPerMillion <= GOAL_PER_MILLION ? "met" : "MISSED";
  out.push(
    `Mix total ${usd(result.mixTotalPerMillion)} per million: goal ≤ ${usd(GOAL_PER_MILLION)} ${goal}; floor of the card's shape ${usd(FLOOR.mix)} (${usd(FLOOR.plain)} for a plain callback).`,
  );
  const dr = perKind["delivery report"];
  if (dr) {
    out.push(
      `A plain callback (delivery report) costs ${usd(dr.totalPerMillion)} per million against the floor's ${usd(FLOOR.plain)}: ${dr.wru.toFixed(1)} WRU (the floor counts 1: the index entry listing it is the second), ${dr.invocations.toFixed(2)} invocations, ${dr.sqsRequests.toFixed(2)} SQS requests, ${dr.logBytes.toFixed(0)} log bytes.`,
    );
  }
  const sms = perKind["incoming SMS + reply"];
  if (sms) {
    out.push(
      `An incoming SMS with its reply costs ${usd(sms.totalPerMillion)} per million: the reply is a second queue message, a replier invocation and ${(sms.wru - (dr?.wru ?? 0)).toFixed(1)} WRU more.`,
    );
  }
  const b = result.burst;
  out.push(
    "",
    `Burst: ${b.sent} delivery reports in ${b.seconds.toFixed(1)} s (${(b.sent / b.seconds).toFixed(0)}/s), refused ${JSON.stringify(b.refused)}, recorded ${b.recorded} (once each: one record per AT id), dead-lettered ${b.deadLetters}: ${b.recorded === b.sent && b.deadLetters === 0 ? "nothing lost" : "LOST SOME"}.`,
  );
  console.log(out.join("\n"));
}
