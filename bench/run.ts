/**
 * `npm run bench`: what our code costs, as ratios to a baseline measured in the same run
 * (absolute times depend on the machine; ratios travel). Loops are bounded; network traffic
 * stays on 127.0.0.1. Progress goes to stderr; `--json FILE` also writes every figure as JSON.
 *
 *   npm run bench -- [--rounds 3] [--requests 1500] [--sessions 300] [--json FILE] [--pipeline-only]
 *                    [--compare-with OTHER_CHECKOUT] [--cost-only] [--cost-per-kind 100]
 *                    [--cost-concurrency 8] [--burst 2000]
 *
 * --compare-with runs another checkout's `npm start` (its own node_modules) as one more
 * contender in the same rounds: a change's before and after, on the same noisy machine.
 * --cost-only runs the cost section alone (bench/cost.ts, docs/cost.md).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "node:querystring";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { defaultMenu } from "../functions/engines/ussd/default-menu";
import { handleUssdRequest } from "../functions/engines/ussd/engine";
import { buildVoiceXml, getDigits, say } from "../functions/engines/voice/xml";
import { acknowledge } from "../functions/ingest/ack";
import { callbackHandler } from "../functions/ingest/pipeline";
import type { EventQueue } from "../functions/model/envelope";
import { envelopeFor } from "../functions/model/envelope";
import { logger } from "../functions/shared/logger";
import { asciiJson } from "../functions/shared/sqs";
import { toRecordItem } from "../functions/table/records";
import { startLocalStack } from "../local/stack";
import { cli } from "../scripts/cli";
import { coldLoads, printColdLoads } from "./cold-load";
import { commandStarts, printCommandStarts } from "./command-start";
import { costSection, printCost } from "./cost";
import { pipelineSection } from "./goals";

// Imports run first: the logger already exists, so silence it rather than its environment.
logger.setLogLevel("SILENT");
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const { values } = cli(
  "Usage: npm run bench -- [--rounds N] [--requests N] [--sessions N] [--json FILE] [--pipeline-only] [--compare-with DIR] [--cost-only] [--cost-per-kind N] [--cost-concurrency N] [--burst N]",
  {
    rounds: { type: "string", default: "3" },
    requests: { type: "string", default: "1500" },
    sessions: { type: "string", default: "300" },
    json: { type: "string" },
    "pipeline-only": { type: "boolean", default: false },
    "compare-with": { type: "string" },
    "cost-only": { type: "boolean", default: false },
    "cost-per-kind": { type: "string", default: "100" },
    "cost-concurrency": { type: "string", default: "8" },
    burst: { type: "string", default: "2000" },
  },
);

/** The cost section: the mix on DynamoDB Local, priced, and a burst of delivery reports. */
const runCost = async () => {
  const result = await costSection({
    perKind: Number(values["cost-per-kind"]),
    concurrency: Number(values["cost-concurrency"]),
    burst: Number(values.burst),
  });
  printCost(result);
  return result;
};
if (values["cost-only"]) {
  const cost = await runCost();
  if (values.json) {
    mkdirSync(new URL(".", `file://${process.cwd()}/${values.json}`).pathname, { recursive: true });
    writeFileSync(values.json, `${JSON.stringify({ cost }, null, 2)}\n`);
  }
  process.exit(0);
}

// 0. The goals: the local pipeline and USSD against the seed's Flask sample (bench/goals.ts).
const goals = await pipelineSection({
  rounds: Number(values.rounds),
  requests: Number(values.requests),
  sessions: Number(values.sessions),
  compareWith: values["compare-with"],
});
const writeJson = (extra: Record<string, unknown>) => {
  if (!values.json) return;
  mkdirSync(new URL(".", `file://${process.cwd()}/${values.json}`).pathname, { recursive: true });
  writeFileSync(values.json, `${JSON.stringify({ ...goals, ...extra }, null, 2)}\n`);
  process.stderr.write(`[bench] results written to ${values.json}\n`);
};
if (values["pipeline-only"]) {
  writeJson({});
  process.exit(0);
}
process.stderr.write("[bench] micro-benchmarks (in-process ratios)...\n");

const SMS =
  "date=2026-11-30+10%3A30%3A00&from=%2B254711000111&id=ATXid_9f1a2b3c4d5e&linkId=SampleLinkId123&text=Hello%2C+I+need+help&to=20880&networkCode=63902";
const KEY = "bench-key-0123456789";

/** Median time per call of `fn` over `rounds` rounds of `n` calls, interleaved with its baseline. */
async function compare(
  n: number,
  baseline: () => unknown,
  subject: () => unknown,
  rounds = 7,
): Promise<{ ratio: number; baselineUs: number; subjectUs: number }> {
  const time = async (fn: () => unknown) => {
    const start = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - start) * 1000) / n;
  };
  await time(baseline);
  await time(subject);
  const b: number[] = [];
  const s: number[] = [];
  for (let r = 0; r < rounds; r++) {
    b.push(await time(baseline));
    s.push(await time(subject));
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  return { ratio: median(s) / median(b), baselineUs: median(b), subjectUs: median(s) };
}

const event = (routeKey: string, body: string): APIGatewayProxyEventV2 =>
  ({
    version: "2.0",
    routeKey,
    rawPath: routeKey.split(" ")[1] ?? "/",
    rawQueryString: `key=${KEY}`,
    queryStringParameters: { key: KEY },
    headers: { "content-type": "application/x-www-form-urlencoded" },
    requestContext: { timeEpoch: Date.now() },
    body,
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const rows: [string, string, Awaited<ReturnType<typeof compare>>][] = [];

// 1. The whole ack path in-process (key check, parsing, validation, envelope, serialisation)
//    against the least any handler must do: parse the form.
const serialisingQueue: EventQueue = { send: async (e) => void asciiJson(e) };
const ack = callbackHandler(acknowledge(serialisingQueue), { callbackKeys: async () => [KEY] });
rows.push([
  "ack handler, in-process",
  "querystring.parse of the SMS body",
  await compare(
    2000,
    () => parse(SMS),
    () => ack(event("POST /api/sms/twoway", SMS) as never, {} as never),
  ),
]);

// 2. Recording: envelope → table item, against JSON.parse of the queue message.
const message = asciiJson(
  envelopeFor("sms.incoming", "sms-twoway", parse(SMS) as Record<string, string>, new Date()),
);
rows.push([
  "recorder mapping (parse + item)",
  "JSON.parse of the queue message",
  await compare(
    5000,
    () => JSON.parse(message),
    () => toRecordItem(JSON.parse(message), { now: new Date(), ttlDays: 90 }),
  ),
]);

// 3. Interactive engines, against the same form parse: what answering costs beyond reading.
rows.push([
  "USSD engine, default menu at 1*1",
  "querystring.parse of the SMS body",
  await compare(
    3000,
    () => parse(SMS),
    () =>
      handleUssdRequest(defaultMenu, {
        sessionId: "ATUid_bench",
        serviceCode: "*384#",
        phoneNumber: "+254711000111",
        text: "1*1",
      }),
  ),
]);
rows.push([
  "voice XML builder (GetDigits + Say)",
  "querystring.parse of the SMS body",
  await compare(
    5000,
    () => parse(SMS),
    () =>
      buildVoiceXml([getDigits({ numDigits: 1, timeout: 10 }, say("Press 1 & hold")), say("Bye")]),
  ),
]);

// 4. Over HTTP on loopback: the local stack's ack route (handler + embedded SQS) against a bare
//    node HTTP server that answers 200 at once.
const bare = createServer((_req, res) => res.end("GOOD"));
await new Promise<void>((r) => bare.listen(0, "127.0.0.1", r));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
const stack = await startLocalStack({ port: 0, callbackKey: KEY, onError: () => undefined });
const post = (url: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: SMS,
  }).then((r) => r.text());
rows.push([
  "POST /api/sms/twoway on the local stack",
  "bare HTTP 200 on loopback",
  await compare(
    150,
    () => post(bareUrl),
    () => post(`${stack.url}/api/sms/twoway?key=${KEY}`),
    5,
  ),
]);
await stack.stop();
bare.close();

console.log("\nBenchmarks (ratio = median time of ours / median time of the baseline, same run)\n");
console.log(`${"what".padEnd(42)}${"baseline".padEnd(38)}ratio`);
for (const [what, baseline, r] of rows) {
  console.log(`${what.padEnd(42)}${baseline.padEnd(38)}${r.ratio.toFixed(1)}x`);
}
console.log("\n(absolute medians, for context only, in µs per call)");
for (const [what, , r] of rows) {
  console.log(`  ${what}: ${r.subjectUs.toFixed(1)} vs ${r.baselineUs.toFixed(1)}`);
}

// 5. Cold load of each deployed bundle against `node -e 0` (bench/cold-load.ts).
process.stderr.write("[bench] cold loads of the deployed bundles...\n");
const cold = await coldLoads();
printColdLoads(cold);

// 6. How quickly each `npm run` tool starts, against a bare `npm run` (bench/command-start.ts).
process.stderr.write("[bench] command starts...\n");
const starts = commandStarts();
printCommandStarts(starts);

// 7. Cost per million callbacks and a burst of delivery reports (bench/cost.ts).
const cost = await runCost();

writeJson({
  cost,
  micro: rows.map(([what, baseline, r]) => ({ what, baseline, ...r })),
  coldLoads: cold,
  commandStarts: starts,
});
